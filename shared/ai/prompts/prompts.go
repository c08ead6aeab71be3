// Package prompts holds the versioned prompt templates of the Google text
// and image backends (embedded files under templates/) and renders them
// with untrusted input fenced as data.
//
// Every text step gets the same system instruction (system.v5), which
// declares what a data block is and carries the job's canary, and a
// format template (outline.v1, …) that states the task. The request's
// settings, the outline and the job's sources are never spliced into
// instructions: each goes into a data block fenced with a random
// per-request token (see Fence). The sources come as two blocks of one
// JSON object a line, escaped as JSON so no text can pose as another
// line: "sources" (id, kind, title, file name or link) and "passages"
// (the numbered passages of their text, with page or heading). The system
// instruction is the same for every format of a job so that one Vertex
// context cache, holding it and the fenced sources, serves every step of
// the job; the format's instructions are in the user turn.
//
// The canary (guard.Canary) is derived from the job id, so it is the same
// for every step of a job and the cached system instruction holds it too.
// It is a tripwire, not a secret the prompt relies on: nothing in the
// prompts is confidential (OWASP LLM07), and an answer that repeats the
// instructions is caught by the canary and discarded.
//
// The grounding check (RenderCheck, check.v1) has a system instruction of
// its own: a fact checker's, with the same data-block rules and canary;
// its user turn fences the cited passages and the claims to judge.
//
// A template file is never changed once released: a new wording is a new
// file (outline.v2.tmpl) and a new entry in the versions table, and the
// version is recorded with every output (TextResult.PromptVersion).
package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/template"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

//go:embed templates/*.tmpl
var files embed.FS

// Versions are the template versions in use.
var Versions = struct {
	System, Repair, Recheck, Steer, Cache, Image, Check string
	Formats                                             map[content.Format]string
}{
	System:  "system.v5",
	Check:   "check.v1",
	Repair:  "repair.v1",
	Recheck: "recheck.v1",
	Steer:   "steer.v1",
	Cache:   "cache.v2",
	Image:   "image.v2",
	Formats: map[content.Format]string{
		content.FormatOutline:         "outline.v2",
		content.FormatPodcastScript:   "podcast_script.v3",
		content.FormatStudyGuide:      "study_guide.v2",
		content.FormatOnePager:        "one_pager.v2",
		content.FormatDetailedReading: "detailed_reading.v2",
		content.FormatFAQs:            "faqs.v2",
		content.FormatFlashcards:      "flashcards.v2",
		content.FormatReadingGuide:    "reading_guide.v2",
		content.FormatQuiz:            "quiz.v2",
		content.FormatTimeline:        "timeline.v2",
	},
}

// Limits on what a repair prompt repeats.
const (
	maxPrevious = 30_000 // characters of a previous answer
	maxProblems = 60
)

// ErrUnsupported is returned for a format without a template.
var ErrUnsupported = errors.New("no prompt template for this format")

// Text is what a text step's prompt is made from.
type Text struct {
	Format  content.Format
	Request *content.Request
	Outline *content.Outline
	// Sources are the job's sources split into passages (nil: none).
	Sources *content.SourceSet
	// SourceCached says the sources are in the job's context cache (with
	// the system instruction), not in this prompt.
	SourceCached bool
	// Repair carries a failed answer and the validator's findings.
	Repair *ai.Repair
	// Canary is planted in the system instruction; empty: none.
	Canary string
	// Instructions are the caller's words for a regeneration (untrusted:
	// fenced as data); empty: none.
	Instructions string
	// Pace is how fast the voices that will narrate a podcast speak: its
	// script is sized by it. Nil: content.DefaultPace.
	Pace *content.Pace
	// Template names the format's template to render, such as
	// "faqs.v1" (see Released); empty: the one in use (Versions).
	Template string
}

// Prompt is a rendered prompt.
type Prompt struct {
	// System is the system instruction; empty when the source is cached,
	// since the cache holds it.
	System string
	// User is the user turn.
	User string
	// Version names the templates it came from, such as
	// "outline.v1/system.v2" or "faqs.v1/system.v2/repair.v1".
	Version string
	// Token is the fence token of the data blocks in User.
	Token string
}

// Cache is what a job's context cache holds.
type Cache struct {
	System  string
	Source  string // the user turn with the fenced sources and passages
	Version string // "cache.v2/system.v5"
	Token   string
}

type requestData struct {
	Topic         string            `json:"topic"`
	Audience      string            `json:"audience,omitempty"`
	Level         string            `json:"level,omitempty"`
	Language      string            `json:"language,omitempty"`
	Speakers      []content.Speaker `json:"speakers,omitempty"`
	TargetMinutes int               `json:"target_minutes,omitempty"`
	Style         string            `json:"style,omitempty"`
}

type textData struct {
	Token        string
	Canary       string
	Cached       bool
	Request      string
	Outline      string
	Sources      string
	Passages     string
	SourceCached bool
	Language     string
	Level        string
	Speakers     int
	Minutes      int
	// A podcast's style, the words a minute of its voices, the words
	// its script should have and may have, and the minutes it must last.
	Style, StyleName           string
	WordsPerMinute             int
	Words, WordsLow, WordsHigh int
	LengthMinutes              string
}

type repairData struct {
	Previous  string
	Problems  string
	Truncated bool
}

func parse(names ...string) (*template.Template, error) {
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = "templates/" + n + ".tmpl"
	}
	t, err := template.New(names[0]+".tmpl").Option("missingkey=error").ParseFS(files, paths...)
	if err != nil {
		return nil, fmt.Errorf("parse prompt templates %v: %w", names, err)
	}
	return t, nil
}

func execute(t *template.Template, name string, data any) (string, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", name, err)
	}
	return strings.TrimSpace(b.String()) + "\n", nil
}

// RenderText renders the prompt of a text step.
func RenderText(in Text) (Prompt, error) {
	name, ok := Versions.Formats[in.Format]
	if !ok {
		return Prompt{}, fmt.Errorf("%w: %q", ErrUnsupported, in.Format)
	}
	if in.Template != "" {
		if !slices.Contains(Released(in.Format), in.Template) {
			return Prompt{}, fmt.Errorf("render prompt: %q is not a released template of %s (%s)", in.Template, in.Format, strings.Join(Released(in.Format), ", "))
		}
		name = in.Template
	}
	if in.Request == nil {
		return Prompt{}, errors.New("render prompt: no request")
	}
	req := in.Request
	rd := requestData{Topic: req.Topic, Audience: req.Audience, Level: req.Level, Language: req.Language}
	d := textData{Language: req.Language, Level: req.Level, SourceCached: in.SourceCached, Canary: in.Canary}
	if in.Format == content.FormatPodcastScript && req.Podcast != nil {
		rd.Speakers, rd.TargetMinutes, rd.Style = req.Podcast.Speakers, req.Podcast.TargetMinutes, req.Podcast.StyleOrDefault()
		d.Speakers, d.Minutes = len(req.Podcast.Speakers), req.Podcast.TargetMinutes
		sizeScript(&d, req.Podcast, in.Pace)
	}
	reqJSON, err := json.MarshalIndent(rd, "", "  ")
	if err != nil {
		return Prompt{}, fmt.Errorf("render prompt: request: %w", err)
	}
	var outlineJSON []byte
	if in.Outline != nil && in.Format != content.FormatOutline {
		if outlineJSON, err = json.Marshal(in.Outline); err != nil {
			return Prompt{}, fmt.Errorf("render prompt: outline: %w", err)
		}
	}
	var srcs, passages string
	if !in.SourceCached {
		srcs, passages = sourceLines(in.Sources)
	}
	var rep *repairData
	var previous, problems string
	if in.Repair != nil {
		rep = &repairData{}
		previous, rep.Truncated = previousAnswer(in.Repair.Previous)
		problems = problemList(in.Repair.Problems)
	}
	fence, err := NewFence(string(reqJSON), string(outlineJSON), srcs, passages, previous, problems, in.Instructions)
	if err != nil {
		return Prompt{}, err
	}
	d.Token = fence.Token()
	d.Request = fence.Block("request", string(reqJSON))
	if outlineJSON != nil {
		d.Outline = fence.Block("outline", string(outlineJSON))
	}
	if passages != "" {
		d.Sources, d.Passages = fence.Block("sources", srcs), fence.Block("passages", passages)
	}

	names := []string{name, Versions.System}
	if in.Instructions != "" {
		names = append(names, Versions.Steer)
	}
	if rep != nil {
		if in.Repair.Checked {
			names = append(names, Versions.Recheck) // a valid answer the checks sent back
		} else {
			names = append(names, Versions.Repair)
		}
		if !rep.Truncated {
			rep.Previous = fence.Block("previous-answer", previous)
		}
		rep.Problems = fence.Block("problems", problems)
	}
	t, err := parse(names...)
	if err != nil {
		return Prompt{}, err
	}
	user, err := execute(t, name+".tmpl", d)
	if err != nil {
		return Prompt{}, err
	}
	if in.Instructions != "" {
		steer, err := execute(t, "steer", fence.Block("instructions", in.Instructions))
		if err != nil {
			return Prompt{}, err
		}
		user += "\n" + steer
	}
	if rep != nil {
		fix, err := execute(t, "repair", rep)
		if err != nil {
			return Prompt{}, err
		}
		user += "\n" + fix
	}
	p := Prompt{User: user, Version: strings.Join(names, "/"), Token: fence.Token()}
	if !in.SourceCached {
		if p.System, err = execute(t, "system", d); err != nil {
			return Prompt{}, err
		}
	}
	return p, nil
}

// sizeScript states a podcast's style and the words its script needs:
// the length the request asks for (content.PodcastOptions.Length) at the
// pace of its voices, within the window the validator accepts.
func sizeScript(d *textData, p *content.PodcastOptions, pace *content.Pace) {
	pc := content.DefaultPace
	if pace != nil {
		pc = *pace
	}
	l := p.Length()
	lo, hi := l.ScriptWindow()
	d.Style = p.StyleOrDefault()
	d.StyleName = strings.ReplaceAll(d.Style, "_", " ")
	d.WordsPerMinute = int(math.Round(pc.Mean(d.Speakers)))
	d.Words, d.WordsLow, d.WordsHigh = pc.Words(l.Target, d.Speakers), pc.Words(lo, d.Speakers), pc.Words(hi, d.Speakers)
	d.LengthMinutes = fmt.Sprintf("about %g", l.Target)
	if d.Style == content.StyleBrief {
		d.LengthMinutes = fmt.Sprintf("%d to %d", content.BriefMinMinutes, content.BriefMaxMinutes)
	}
}

// previousAnswer returns the text of a failed answer worth repeating, and
// whether it was cut off (JSON that ends early: repeating it would only
// spend tokens).
func previousAnswer(prev []byte) (string, bool) {
	var v any
	err := json.Unmarshal(prev, &v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) && strings.Contains(syn.Error(), "unexpected end of JSON input") {
		return "", true
	}
	s := strings.ToValidUTF8(string(prev), "\uFFFD")
	if r := []rune(s); len(r) > maxPrevious {
		s = string(r[:maxPrevious]) + "\n[… cut]"
	}
	return s, false
}

func problemList(ps []string) string {
	var b strings.Builder
	for i, p := range ps {
		if i == maxProblems {
			fmt.Fprintf(&b, "- and %d more\n", len(ps)-i)
			break
		}
		b.WriteString("- " + strings.ReplaceAll(p, "\n", " ") + "\n")
	}
	if b.Len() == 0 {
		return "- the answer was not accepted\n"
	}
	return strings.TrimRight(b.String(), "\n")
}

// Truncated reports whether a failed answer was cut off (JSON that ends
// early), so a backend can give the repair more room.
func Truncated(prev []byte) bool {
	_, t := previousAnswer(prev)
	return t
}

// RenderCache renders what a job's context cache holds: the system
// instruction, with the job's canary, and the fenced sources and their
// passages. It fails for a job without passages.
func RenderCache(set *content.SourceSet, canary string) (Cache, error) {
	srcs, passages := sourceLines(set)
	if passages == "" {
		return Cache{}, errors.New("render cache: the job has no passages")
	}
	fence, err := NewFence(srcs, passages)
	if err != nil {
		return Cache{}, err
	}
	t, err := parse(Versions.Cache, Versions.System)
	if err != nil {
		return Cache{}, err
	}
	d := textData{Token: fence.Token(), Cached: true, Sources: fence.Block("sources", srcs), Passages: fence.Block("passages", passages), Canary: canary}
	sys, err := execute(t, "system", d)
	if err != nil {
		return Cache{}, err
	}
	src, err := execute(t, "cache", d)
	if err != nil {
		return Cache{}, err
	}
	return Cache{System: sys, Source: src, Version: Versions.Cache + "/" + Versions.System, Token: fence.Token()}, nil
}

// sourceLine and passageLine are what the prompts show of a source and a
// passage, one JSON object a line.
// checkData is what the grounding check's prompt is made from.
type checkData struct {
	Token, Canary, Language string
	Passages, Claims        string
}

// claimLine is what the check's prompt shows of a claim.
type claimLine struct {
	ID        string   `json:"id"`
	Text      string   `json:"text"`
	Citations []string `json:"citations"`
}

// RenderCheck renders the grounding check of claims: a system
// instruction of its own (with the job's canary) and a user turn holding,
// fenced as data, the passages the claims cite and the claims. language
// is the claims' BCP 47 tag.
func RenderCheck(claims []content.Claim, set *content.SourceSet, language, canary string) (Prompt, error) {
	if len(claims) == 0 {
		return Prompt{}, errors.New("render check: no claims")
	}
	cited := map[string]bool{}
	var cl strings.Builder
	for _, c := range claims {
		for _, id := range c.Citations {
			cited[id] = true
		}
		line, err := json.Marshal(claimLine{ID: c.ID, Text: c.Text, Citations: c.Citations})
		if err != nil {
			return Prompt{}, fmt.Errorf("render check: claim %s: %w", c.ID, err)
		}
		cl.Write(line)
		cl.WriteByte('\n')
	}
	only := &content.SourceSet{}
	if set != nil {
		only.Sources = set.Sources
		for _, p := range set.Passages {
			if cited[p.ID] {
				only.Passages = append(only.Passages, p)
			}
		}
	}
	_, passages := sourceLines(only)
	if passages == "" {
		return Prompt{}, errors.New("render check: the claims cite no passage of the job")
	}
	claimText := strings.TrimSuffix(cl.String(), "\n")
	fence, err := NewFence(passages, claimText)
	if err != nil {
		return Prompt{}, err
	}
	t, err := parse(Versions.Check)
	if err != nil {
		return Prompt{}, err
	}
	d := checkData{Token: fence.Token(), Canary: canary, Language: language,
		Passages: fence.Block("passages", passages), Claims: fence.Block("claims", claimText)}
	sys, err := execute(t, "check-system", d)
	if err != nil {
		return Prompt{}, err
	}
	user, err := execute(t, "check", d)
	if err != nil {
		return Prompt{}, err
	}
	return Prompt{System: sys, User: user, Version: Versions.Check, Token: fence.Token()}, nil
}

type sourceLine struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Title    string `json:"title,omitempty"`
	Filename string `json:"filename,omitempty"`
	URL      string `json:"url,omitempty"`
}

type passageLine struct {
	ID      string `json:"id"`
	Source  string `json:"source"`
	Page    int    `json:"page,omitempty"`
	Heading string `json:"heading,omitempty"`
	Text    string `json:"text"`
}

// sourceLines renders the sources and the passages of a set, one JSON
// object a line ("" and "" for a set without passages). JSON escapes
// line breaks and quotes, so no text can end its line or pose as another.
func sourceLines(set *content.SourceSet) (sources, passages string) {
	if set == nil || len(set.Passages) == 0 {
		return "", ""
	}
	var sb, pb strings.Builder
	line := func(b *strings.Builder, v any) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // plain strings and numbers: cannot fail
		b.Write(buf.Bytes())
	}
	for _, d := range set.Sources {
		line(&sb, sourceLine{ID: d.ID, Kind: d.Kind, Title: d.Title, Filename: d.Filename, URL: d.URL})
	}
	for _, p := range set.Passages {
		line(&pb, passageLine{ID: p.ID, Source: p.Source, Page: p.Page, Heading: p.Heading, Text: p.Text})
	}
	return strings.TrimSuffix(sb.String(), "\n"), strings.TrimSuffix(pb.String(), "\n")
}

type imageData struct {
	Title    string `json:"title"`
	Topic    string `json:"topic"`
	Style    string `json:"style,omitempty"`
	Audience string `json:"audience,omitempty"`
}

// RenderImage renders the single user turn of the cover image: the
// image model gets no system instruction, so the fence is declared, and
// the job's canary planted, in the turn itself.
func RenderImage(req *content.Request, outline *content.Outline, canary string) (Prompt, error) {
	if req == nil {
		return Prompt{}, errors.New("render image prompt: no request")
	}
	d := imageData{Title: req.Topic, Topic: req.Topic, Audience: req.Audience}
	if outline != nil {
		d.Title = outline.Title
	}
	if req.Image != nil {
		d.Style = req.Image.Style
	}
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return Prompt{}, fmt.Errorf("render image prompt: %w", err)
	}
	fence, err := NewFence(string(data))
	if err != nil {
		return Prompt{}, err
	}
	t, err := parse(Versions.Image)
	if err != nil {
		return Prompt{}, err
	}
	user, err := execute(t, Versions.Image+".tmpl", map[string]string{
		"Open": fence.Open("cover"), "Close": fence.Close(),
		"Data": fence.Block("cover", string(data)), "Language": req.Language,
		"Canary": canary,
	})
	if err != nil {
		return Prompt{}, err
	}
	return Prompt{User: user, Version: Versions.Image, Token: fence.Token()}, nil
}
