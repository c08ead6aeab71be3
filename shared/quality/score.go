package quality

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// Input is what a document is scored with.
type Input struct {
	Format content.Format
	// Doc is the decoded document (a pointer to its format's struct).
	Doc     any
	Request *content.Request
	// Outline is the job's outline (nil for the outline itself).
	Outline *content.Outline
	// Sources are the job's sources; nil: the job has none, and citations
	// and grounding do not apply.
	Sources *content.SourceSet
	// Claims and Verdicts are the document's claims (Claims) and the
	// grounding check's verdicts on the cited ones; Checker names what
	// judged them.
	Claims   []content.Claim
	Verdicts []content.Verdict
	Checker  string
	// Others are the job's other documents the repetition across
	// documents is measured against (decoded, pointers).
	Others []any
	// Threshold is the format's (Thresholds.For).
	Threshold float64
}

// Weights of the parts of a score. Citations and grounding apply to a job
// with sources only; the weights of the parts that apply are normalized.
var Weights = struct {
	Readability, Coverage, Repetition, Structure, Citations, Grounding float64
}{0.15, 0.2, 0.15, 0.2, 0.15, 0.15}

// Score scores one document: its reading grade against its level, its
// coverage of the outline's objectives and the sources' key terms, its
// repetition within itself and of the other documents, the form of its
// items, and, with sources, the share of its claims that cite a passage
// and the support the grounding check found.
func Score(in Input) content.Quality {
	lang := content.DefaultLanguage
	level := content.DefaultLevel
	if in.Request != nil {
		if in.Request.Language != "" {
			lang = in.Request.Language
		}
		if in.Request.Level != "" {
			level = in.Request.Level
		}
	}
	var f findings
	q := content.Quality{Threshold: in.Threshold}
	q.Readability = readability(in.Doc, lang, level, &f)
	q.Coverage = coverage(in, lang, &f)
	q.Repetition = repetition(in.Doc, in.Others, lang, &f)
	q.Structure = structure(in.Format, in.Doc, in.Outline, in.Sources, lang, &f)
	parts := []float64{q.Readability.Score, q.Coverage.Score, q.Repetition.Score, q.Structure.Score}
	weights := []float64{Weights.Readability, Weights.Coverage, Weights.Repetition, Weights.Structure}
	if in.Sources != nil {
		q.Citations, q.Grounding = grounding(in, &f)
		parts = append(parts, q.Citations.Coverage)
		weights = append(weights, Weights.Citations)
		if q.Grounding != nil {
			parts = append(parts, q.Grounding.SupportRate)
			weights = append(weights, Weights.Grounding)
		}
	}
	total, sum := 0.0, 0.0
	for i, p := range parts {
		total += weights[i] * p
		sum += weights[i]
	}
	q.Score = round(total / sum)
	q.Findings, q.FindingsTotal = f.top()
	return q
}

// Below reports whether a quality is under its threshold.
func Below(q content.Quality) bool { return q.Score < q.Threshold }

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func clamp01(x float64) float64 { return max(0, min(1, x)) }

// findings collects findings by priority: those that matter most are
// kept when there are more than content.MaxFindings.
type findings struct {
	byRank [4][]content.Finding
}

// Ranks of findings: grounding, form, repetition, the rest.
const (
	rankGrounding = iota
	rankForm
	rankRepetition
	rankOther
)

func (f *findings) add(rank int, path, code, format string, args ...any) {
	f.byRank[rank] = append(f.byRank[rank], content.Finding{Path: path, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (f *findings) top() ([]content.Finding, int) {
	out := []content.Finding{}
	total := 0
	for _, fs := range f.byRank {
		total += len(fs)
		for _, x := range fs {
			if len(out) < content.MaxFindings {
				out = append(out, x)
			}
		}
	}
	return out, total
}

// Reading bands: the school grades each level's prose should read at.
var bands = map[string][2]float64{
	"beginner":     {3, 9},
	"intermediate": {7, 13},
	"advanced":     {10, 18},
}

// readability grades a document's prose: Flesch-Kincaid in English, a
// grade from LIX (sentence length and long words) in other languages.
func readability(doc any, lang, level string, f *findings) content.ReadabilityQuality {
	band, ok := bands[level]
	if !ok {
		band = bands[content.DefaultLevel]
	}
	r := content.ReadabilityQuality{Min: band[0], Max: band[1]}
	sents, words, syllables, long := 0, 0, 0, 0
	for _, s := range sentences(doc, lang) {
		ws := tokenize(s.text)
		if len(ws) < 3 {
			continue
		}
		sents++
		for _, w := range ws {
			words++
			syllables += prose.Syllables(w)
			if utf8.RuneCountInString(w) > 6 {
				long++
			}
		}
	}
	if sents == 0 || words == 0 {
		r.Score = 1
		return r
	}
	perSentence := float64(words) / float64(sents)
	if english(lang) {
		r.Grade = 0.39*perSentence + 11.8*float64(syllables)/float64(words) - 15.59
	} else {
		lix := perSentence + 100*float64(long)/float64(words)
		r.Grade = (lix - 14) / 3.2
	}
	r.Grade = math.Round(max(r.Grade, 0)*10) / 10
	dist := 0.0
	switch {
	case r.Grade < band[0]:
		dist = band[0] - r.Grade
	case r.Grade > band[1]:
		dist = r.Grade - band[1]
	}
	r.Score = round(clamp01(1 - dist/5))
	if dist > 0 {
		f.add(rankOther, "", content.FindingReadability, "reads at grade %.1f; the %s level asks for %.0f to %.0f", r.Grade, level, band[0], band[1])
	}
	return r
}

func english(lang string) bool {
	l := strings.ToLower(lang)
	return l == "" || l == "en" || strings.HasPrefix(l, "en-")
}

// coverage is the share of the outline's learning objectives a document
// covers and the share of the key terms of the sources (or, without
// sources, of the outline's section titles) it uses.
func coverage(in Input, lang string, f *findings) content.CoverageQuality {
	var c content.CoverageQuality
	have := stemSet(in.Doc)
	objectives := in.Outline
	if o, ok := in.Doc.(*content.Outline); ok {
		objectives = o
		have = map[string]bool{}
		for _, s := range o.Sections {
			for _, t := range append([]string{s.Title, s.Description}, s.KeyPoints...) {
				for _, w := range prose.ContentStems(t) {
					have[w] = true
				}
			}
		}
	}
	var parts []float64
	if objectives != nil && len(objectives.LearningObjectives) > 0 {
		met := 0
		for i, obj := range objectives.LearningObjectives {
			if covers(have, obj) {
				met++
			} else {
				f.add(rankOther, fmt.Sprintf("/learning_objectives/%d", i), content.FindingObjective, "does not cover the objective %q", obj)
			}
		}
		share := round(float64(met) / float64(len(objectives.LearningObjectives)))
		c.Objectives = &share
		parts = append(parts, share)
	}
	terms := KeyTerms(in.Sources, lang)
	if len(terms) == 0 && in.Outline != nil {
		for _, s := range in.Outline.Sections {
			terms = append(terms, prose.ContentStems(s.Title)...)
		}
		terms = distinct(terms)
	}
	if len(terms) > 0 {
		used := 0
		var missing []string
		for _, t := range terms {
			if have[t] {
				used++
			} else {
				missing = append(missing, t)
			}
		}
		share := round(float64(used) / float64(len(terms)))
		c.KeyTerms = &share
		parts = append(parts, share)
		if share < 0.5 {
			f.add(rankOther, "", content.FindingLowCoverage, "uses %d of the %d key terms; missing: %s", used, len(terms), strings.Join(missing[:min(5, len(missing))], ", "))
		}
	}
	c.Score = 1
	if len(parts) > 0 {
		sum := 0.0
		for _, p := range parts {
			sum += p
		}
		c.Score = round(sum / float64(len(parts)))
	}
	return c
}

// covers reports whether a text's stems hold at least half of an
// objective's content words, its opening verb left out.
func covers(have map[string]bool, objective string) bool {
	stems := prose.ContentStems(objective)
	if len(stems) > 1 {
		stems = stems[1:]
	}
	words := distinct(stems)
	if len(words) == 0 {
		return true
	}
	n := 0
	for _, w := range words {
		if have[w] {
			n++
		}
	}
	return 2*n >= len(words)
}

// stemSet is every content stem of a document's text, labels included.
func stemSet(doc any) map[string]bool {
	out := map[string]bool{}
	for _, fl := range fields(doc, true) {
		for _, w := range prose.ContentStems(fl.text) {
			out[w] = true
		}
	}
	return out
}

// MaxKeyTerms is how many key terms of the sources coverage looks for.
const MaxKeyTerms = 12

// KeyTerms returns the key terms of a job's sources, as stems: the content
// words that occur most often across passages, weighted by how few
// passages hold them (TF-IDF), at least twice each.
func KeyTerms(set *content.SourceSet, lang string) []string {
	if set == nil || len(set.Passages) == 0 {
		return nil
	}
	tf, df := map[string]int{}, map[string]int{}
	for _, p := range set.Passages {
		stems := prose.ContentStems(p.Text)
		for _, w := range stems {
			tf[w]++
		}
		for _, w := range distinct(stems) {
			df[w]++
		}
	}
	type scored struct {
		w string
		s float64
	}
	var all []scored
	n := float64(len(set.Passages))
	for w, c := range tf {
		if c < 2 || utf8.RuneCountInString(w) < 4 {
			continue
		}
		all = append(all, scored{w, float64(c) * math.Log(1+n/float64(df[w]))})
	}
	slices.SortFunc(all, func(a, b scored) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		}
		return strings.Compare(a.w, b.w)
	})
	var out []string
	for _, s := range all[:min(MaxKeyTerms, len(all))] {
		out = append(out, s.w)
	}
	return out
}

// minRepeatWords is the shortest sentence repetition counts: shorter ones
// ("Let me add to that.") may recur in good writing.
const minRepeatWords = 5

// repetition is the share of a document's sentences that repeat an
// earlier one of it, and the share that repeat a sentence of the others.
func repetition(doc any, others []any, lang string, f *findings) content.RepetitionQuality {
	other := map[string]bool{}
	for _, o := range others {
		for _, s := range sentences(o, lang) {
			if n := norm(s.text); strings.Count(n, " ")+1 >= minRepeatWords {
				other[n] = true
			}
		}
	}
	seen := map[string]bool{}
	total, within, across := 0, 0, 0
	for _, s := range sentences(doc, lang) {
		n := norm(s.text)
		if strings.Count(n, " ")+1 < minRepeatWords {
			continue
		}
		total++
		switch {
		case seen[n]:
			within++
			f.add(rankRepetition, s.path, content.FindingRepeated, "repeats an earlier sentence: %q", clip(s.text))
		case other[n]:
			across++
		}
		seen[n] = true
	}
	r := content.RepetitionQuality{Score: 1}
	if total > 0 {
		r.Within = round(float64(within) / float64(total))
		r.Across = round(float64(across) / float64(total))
		r.Score = round(clamp01(1 - 2*r.Within - 0.5*r.Across))
	}
	return r
}

// grounding counts the claims that cite a passage and the verdicts of the
// check on them.
func grounding(in Input, f *findings) (*content.CitationQuality, *content.GroundingQuality) {
	c := &content.CitationQuality{Passages: len(in.Sources.Passages), Claims: len(in.Claims), Coverage: 1}
	g := &content.GroundingQuality{Checker: in.Checker, SupportRate: 1}
	byID := map[string]content.Verdict{}
	for _, v := range in.Verdicts {
		byID[v.Claim] = v
	}
	uncited := map[string]bool{}
	for _, cl := range in.Claims {
		if len(cl.Citations) == 0 {
			if !uncited[cl.Path] {
				uncited[cl.Path] = true
				f.add(rankOther, cl.Path, content.FindingUncited, "cites no passage for %q", clip(cl.Text))
			}
			continue
		}
		c.Cited++
		v, ok := byID[cl.ID]
		if !ok {
			continue
		}
		g.Checked++
		switch v.Verdict {
		case content.Supported:
			g.Supported++
		case content.Partial:
			g.Partial++
		default:
			g.Unsupported++
			f.add(rankGrounding, cl.Path, content.FindingUnsupported, "%q is not supported by %s: %s", clip(cl.Text), strings.Join(cl.Citations, ", "), v.Reason)
		}
	}
	if c.Claims > 0 {
		c.Coverage = round(float64(c.Cited) / float64(c.Claims))
	}
	if g.Checked == 0 {
		return c, nil // nothing judged: no support rate to claim
	}
	g.SupportRate = round((float64(g.Supported) + 0.5*float64(g.Partial)) / float64(g.Checked))
	return c, g
}

// clip shortens a quoted text for a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}

func tokenize(s string) []string {
	toks := prose.Tokenize(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}
