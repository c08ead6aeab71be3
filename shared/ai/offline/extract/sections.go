package extract

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/content"
)

// buildSections divides the material into 3 to 15 sections: the source's
// headings when it has enough of them, otherwise runs of consecutive
// paragraphs with related vocabulary, topped up with templated sections
// when the source is too short.
func (a *analysis) buildSections(blocks []block, blockSents [][]int) {
	secs := a.headingSections(blocks, blockSents)
	if len(secs) < minSections {
		secs = a.clusterSections()
	}
	a.sections = a.topUp(secs)
	a.titleSections()
}

// headingSections cuts the text at the shallowest heading level that
// yields at least three sections. A heading opening the text is its title,
// not a section, when it is the only one of its level or repeats the topic.
func (a *analysis) headingSections(blocks []block, blockSents [][]int) []section {
	skip := -1
	var levels []int
	for i, b := range blocks {
		if b.heading {
			levels = append(levels, b.level)
			if i == 0 {
				skip = 0
			} else if skip == 0 && b.level <= blocks[0].level && normKey(blocks[0].title) != normKey(a.req.Topic) {
				skip = -1
			}
		}
	}
	if skip == 0 {
		levels = levels[1:]
	}
	slices.Sort(levels)
	for _, lv := range slices.Compact(levels) {
		if secs := sectionsAtLevel(blocks, blockSents, lv, skip); len(secs) >= minSections {
			return mergeSections(secs, maxSections)
		}
	}
	return nil
}

// sectionsAtLevel starts a section at every heading of level lv or higher;
// deeper headings stay inside their section. Text before the first
// heading becomes an introduction when it has two sentences or more.
func sectionsAtLevel(blocks []block, blockSents [][]int, lv, skip int) []section {
	var secs []section
	var pre []int
	for i, b := range blocks {
		switch {
		case i == skip:
		case b.heading && b.level <= lv:
			secs = append(secs, section{title: b.title})
		case b.heading:
		case len(secs) == 0:
			pre = append(pre, blockSents[i]...)
		default:
			secs[len(secs)-1].sents = append(secs[len(secs)-1].sents, blockSents[i]...)
		}
	}
	secs = slices.DeleteFunc(secs, func(s section) bool { return len(s.sents) == 0 })
	switch {
	case len(pre) >= 2 || (len(pre) > 0 && len(secs) == 0):
		secs = append([]section{{sents: pre, intro: true}}, secs...)
	case len(pre) > 0:
		secs[0].sents = append(pre, secs[0].sents...)
	}
	return secs
}

// mergeSections joins the smallest neighbouring sections until at most
// limit remain; the merged section keeps the first title.
func mergeSections(secs []section, limit int) []section {
	for len(secs) > limit {
		best := 0
		for i := 1; i < len(secs)-1; i++ {
			if len(secs[i].sents)+len(secs[i+1].sents) < len(secs[best].sents)+len(secs[best+1].sents) {
				best = i
			}
		}
		secs[best].sents = append(secs[best].sents, secs[best+1].sents...)
		secs = slices.Delete(secs, best+1, best+2)
	}
	return secs
}

// clusterSections groups consecutive paragraphs (or, for a text of one or
// two paragraphs, sentences) into sections, cutting where neighbouring
// units share the least vocabulary.
func (a *analysis) clusterSections() []section {
	units := a.paragraphs()
	if len(units) < minSections {
		units = nil
		for i := range a.sents {
			units = append(units, []int{i})
		}
	}
	k := min(clampInt((len(a.sents)+3)/4, minSections, 10), len(units))
	if k == 0 {
		return nil
	}
	cuts := a.cutPoints(units, k)
	var secs []section
	start := 0
	for _, c := range append(cuts, len(units)) {
		var s section
		for _, u := range units[start:c] {
			s.sents = append(s.sents, u...)
		}
		secs = append(secs, s)
		start = c
	}
	return secs
}

// paragraphs returns the sentence indexes of each paragraph.
func (a *analysis) paragraphs() [][]int {
	var out [][]int
	for i, s := range a.sents {
		if i == 0 || s.para != a.sents[i-1].para {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], i)
	}
	return out
}

// cutPoints picks k-1 unit boundaries: the gaps between the least similar
// neighbours, preferring gaps near an even split.
func (a *analysis) cutPoints(units [][]int, k int) []int {
	type gap struct {
		at   int
		cost float64
	}
	var gaps []gap
	span := float64(len(units)) / float64(k)
	for g := 1; g < len(units); g++ {
		dist := math.Inf(1)
		for j := 1; j < k; j++ {
			dist = min(dist, math.Abs(float64(g)-float64(j)*span))
		}
		gaps = append(gaps, gap{g, a.similarity(units[g-1], units[g]) + 0.5*dist/span})
	}
	slices.SortStableFunc(gaps, func(x, y gap) int {
		switch {
		case x.cost < y.cost:
			return -1
		case x.cost > y.cost:
			return 1
		}
		return x.at - y.at
	})
	var cuts []int
	for _, g := range gaps[:k-1] {
		cuts = append(cuts, g.at)
	}
	slices.Sort(cuts)
	return cuts
}

// similarity is the cosine of two units' weighted word counts.
func (a *analysis) similarity(x, y []int) float64 {
	vx, vy := a.vector(x), a.vector(y)
	dot, nx, ny := 0.0, 0.0, 0.0
	for w, v := range vx {
		dot += v * vy[w]
		nx += v * v
	}
	for _, v := range vy {
		ny += v * v
	}
	if nx == 0 || ny == 0 {
		return 0
	}
	return dot / math.Sqrt(nx*ny)
}

func (a *analysis) vector(unit []int) map[string]float64 {
	v := map[string]float64{}
	for _, i := range unit {
		for _, w := range a.sents[i].words {
			v[w] += a.idf[w]
		}
	}
	return v
}

// topUp adds templated sections until there are three; without a source
// the whole template is used.
func (a *analysis) topUp(secs []section) []section {
	tpl := a.templateSections()
	if len(secs) == 0 {
		return tpl
	}
	need := minSections - len(secs)
	if need <= 0 {
		return secs
	}
	return append(secs, tpl[len(tpl)-need:]...)
}

// titleSections names the sections that have no heading, after their most
// characteristic key terms, and makes every title unique.
func (a *analysis) titleSections() {
	used := uniqueSet{}
	for _, s := range a.sections {
		if s.title != "" {
			used.add(s.title)
		}
	}
	for i := range a.sections {
		s := &a.sections[i]
		switch {
		case s.title != "":
			continue
		case s.intro && !used.has(a.tr("Introduction")):
			s.title = a.tr("Introduction")
		default:
			s.title = a.termTitle(s.sents, used)
			s.named = s.title != ""
		}
		if s.title == "" {
			s.title = fmt.Sprintf(a.tr("Part %d"), i+1)
		}
		used.add(s.title)
	}
	seen := uniqueSet{}
	for i := range a.sections {
		title := truncate(a.sections[i].title, 190)
		for n := 2; !seen.add(title); n++ {
			title = fmt.Sprintf("%s (%d)", truncate(a.sections[i].title, 190), n)
		}
		a.sections[i].title = a.padTitle(title)
	}
}

// padTitle lengthens a title shorter than the schema's three characters.
func (a *analysis) padTitle(title string) string {
	if runeLen(title) >= 3 {
		return title
	}
	return fmt.Sprintf(a.tr("Section %s"), title)
}

// termTitle names a stretch of text after the key terms most specific to
// it: "Chlorophyll and carotenoids".
func (a *analysis) termTitle(sents []int, used uniqueSet) string {
	cands := a.termsIn(sents)
	in := map[int]bool{}
	for _, i := range sents {
		in[i] = true
	}
	spec := func(t term) float64 {
		local := 0
		for _, i := range t.sents {
			if in[i] {
				local++
			}
		}
		score := t.score * float64(local) / float64(len(t.sents))
		if t.def >= 0 && in[a.defs[t.def].sent] {
			score *= 2
		}
		if slices.Contains(t.sents, sents[0]) {
			score *= 1.5
		}
		return score
	}
	slices.SortStableFunc(cands, func(x, y term) int {
		sx, sy := spec(x), spec(y)
		switch {
		case sx > sy:
			return -1
		case sx < sy:
			return 1
		}
		return strings.Compare(x.key, y.key)
	})
	var first *term
	for i, t := range cands {
		if t.key == normKey(a.req.Topic) || used.has(t.display) || used.has(capitalize(t.display)) {
			continue
		}
		if first == nil {
			first = &cands[i]
			continue
		}
		if spec(t) < 0.4*spec(*first) {
			break
		}
		// Two terms make a title only as a phrase the sources write
		// ("supply and demand"); otherwise "Light and oxygen" names two
		// keywords, not what the section teaches.
		if pair := first.display + " and " + t.display; !sharesWord(first.key, t.key) && (t.count >= 2 || t.def >= 0) && a.writes(pair) {
			return capitalize(pair)
		}
	}
	if first == nil {
		return a.wordTitle(sents, used)
	}
	return capitalize(first.display)
}

// wordTitle names a stretch of text after its weightiest word when no key
// term occurs in it, as the word is written there.
func (a *analysis) wordTitle(sents []int, used uniqueSet) string {
	best, bestScore := "", 0.0
	for _, i := range sents {
		text := a.sents[i].text
		for j, t := range tokenize(text) {
			lower := strings.ToLower(t.Text)
			if !contentWord(lower, t.Text) || a.topicWords[lower] || used.has(t.Text) || strings.HasPrefix(text[t.End:], "-") {
				continue
			}
			score := a.idf[lower] * float64(utf8.RuneCountInString(lower))
			if j > 0 && lower != t.Text {
				score *= 2 // a name, or a German noun
			}
			if score > bestScore || (score == bestScore && t.Text < best) {
				best, bestScore = t.Text, score
			}
		}
	}
	return capitalize(best)
}

// writes reports whether a sentence of the sources holds a phrase, as
// words, ignoring case.
func (a *analysis) writes(phrase string) bool {
	want := " " + wordLine(phrase) + " "
	for _, s := range a.sents {
		if strings.Contains(" "+wordLine(s.text)+" ", want) {
			return true
		}
	}
	return false
}

func sharesWord(x, y string) bool {
	for _, w := range strings.Fields(x) {
		if containsWords(y, w) {
			return true
		}
	}
	return false
}

// material returns the source sentences an outline section stands for: the
// sentences of the section with that title, or, for an outline written
// elsewhere, the sentences sharing most words with the section.
func (a *analysis) material(sec content.OutlineSection) []int {
	for _, s := range a.sections {
		if normKey(s.title) == normKey(sec.Title) {
			return s.sents
		}
	}
	want := map[string]bool{}
	for _, text := range append([]string{sec.Title, sec.Description}, sec.KeyPoints...) {
		for _, t := range tokenize(text) {
			if lower := strings.ToLower(t.Text); contentWord(lower, t.Text) {
				want[lower] = true
			}
		}
	}
	need := 2
	if len(want) <= 3 {
		need = 1
	}
	overlap := func(i int) int {
		n := 0
		for _, w := range distinct(a.sents[i].words) {
			if want[w] {
				n++
			}
		}
		return n
	}
	var cands []int
	for i := range a.sents {
		if overlap(i) >= need {
			cands = append(cands, i)
		}
	}
	slices.SortStableFunc(cands, func(x, y int) int { return overlap(y) - overlap(x) })
	cands = cands[:min(8, len(cands))]
	slices.Sort(cands)
	return cands
}

// spokenLines is what a speaker can say about an outline section: its
// source sentences, or its description and key points worded for speech.
func (a *analysis) spokenLines(sec content.OutlineSection) []string {
	if m := a.material(sec); len(m) > 0 {
		return a.texts(m)
	}
	out := []string{fmt.Sprintf(a.tr("This part is about %s."), strings.TrimSuffix(lowerFirst(sec.Description), "."))}
	if len(sec.KeyPoints) > 0 {
		out = append(out, fmt.Sprintf(a.tr("Along the way we look at %s."), a.joinList(lowerAll(sec.KeyPoints))))
	}
	return out
}

// defsIn returns the definitions made by any of the sentences.
func (a *analysis) defsIn(sents []int) []definition {
	in := map[int]bool{}
	for _, i := range sents {
		in[i] = true
	}
	var out []definition
	for _, d := range a.defs {
		if in[d.sent] {
			out = append(out, d)
		}
	}
	return out
}
