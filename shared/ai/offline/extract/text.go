package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline"
	"contentfactory.dev/factory/shared/content"
)

// Names recorded with every document: the model in its usage and the
// prompt version in its result. offline-v2: podcast styles and spoken
// length, the quiz and the timeline, citations.
const (
	Model         = "extractive-v1"
	PromptVersion = "offline-v2"
)

// Text writes every text format by extraction from the request's source
// text, or from templates when there is none. The zero value is ready to
// use and safe for concurrent use.
type Text struct{}

var _ ai.TextGenerator = Text{}

// Deterministic reports that the same request always yields the same
// document: a repair for anything but a validation failure would not
// change it, so the text step does not ask for one.
func (Text) Deterministic() bool { return true }

// generators build each text format's document; every derived format
// receives the job's outline. A format that does not apply to the job
// (a timeline of sources without dates) returns a failure.NotApplicable.
var generators = map[content.Format]func(a *analysis, o *content.Outline) (any, error){
	content.FormatOutline:         func(a *analysis, _ *content.Outline) (any, error) { return ptr(a.outline()), nil },
	content.FormatPodcastScript:   func(a *analysis, o *content.Outline) (any, error) { return ptr(a.podcast(o)), nil },
	content.FormatStudyGuide:      func(a *analysis, o *content.Outline) (any, error) { return ptr(a.studyGuide(o)), nil },
	content.FormatOnePager:        func(a *analysis, o *content.Outline) (any, error) { return ptr(a.onePager(o)), nil },
	content.FormatDetailedReading: func(a *analysis, o *content.Outline) (any, error) { return ptr(a.detailedReading(o)), nil },
	content.FormatFAQs:            func(a *analysis, o *content.Outline) (any, error) { return ptr(a.faqs(o)), nil },
	content.FormatFlashcards:      func(a *analysis, o *content.Outline) (any, error) { return ptr(a.flashcards(o)), nil },
	content.FormatReadingGuide:    func(a *analysis, o *content.Outline) (any, error) { return ptr(a.readingGuide(o)), nil },
	content.FormatQuiz:            func(a *analysis, o *content.Outline) (any, error) { return ptr(a.quiz(o)), nil },
	content.FormatTimeline:        func(a *analysis, o *content.Outline) (any, error) { t, err := a.timeline(o); return &t, err },
}

func ptr[T any](v T) *T { return &v }

// GenerateText returns the JSON document of one text format, every item
// citing the passages its sentences were taken from. The same request
// always yields the same bytes. A Repair is ignored: the output
// would not change. A podcast script is sized for the request's Pace
// (content.DefaultPace without one). Every document is checked against
// the content contract, its length at that pace and its citations
// included, before it is returned.
func (Text) GenerateText(ctx context.Context, req ai.TextRequest) (ai.TextResult, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return ai.TextResult{}, fmt.Errorf("offline text %s: %w", req.Format, err)
	}
	gen, ok := generators[req.Format]
	if !ok {
		return ai.TextResult{}, ai.Permanentf("unsupported_format", "offline text backend: %q is not a text format", req.Format)
	}
	if req.Request == nil {
		return ai.TextResult{}, ai.Permanentf("invalid_request", "offline text %s: the request is missing", req.Format)
	}
	set := req.SourceSet()
	pace := content.DefaultPace
	if req.Pace != nil {
		pace = *req.Pace
	}
	exp := content.Expect{Request: req.Request, Passages: content.PassagesOf(set), Pace: &pace}
	if req.Format != content.FormatOutline {
		if req.Outline == nil {
			return ai.TextResult{}, ai.Permanentf("missing_outline", "offline text %s: the outline it derives from is missing", req.Format)
		}
		exp.Outline = req.Outline
	}
	a := analyze(req.Request, set)
	a.pace = pace
	doc, err := gen(a, req.Outline)
	if err != nil {
		return ai.TextResult{}, fmt.Errorf("offline text %s: %w", req.Format, err)
	}
	newCiter(set, req.Request.Language).cite(doc)
	raw, err := encode(doc)
	if err != nil {
		return ai.TextResult{}, ai.Permanent("encode_failed", fmt.Errorf("offline text %s: %w", req.Format, err))
	}
	if _, err := content.ValidateText(req.Format, raw, exp); err != nil {
		return ai.TextResult{}, ai.Permanent("invalid_output", fmt.Errorf("offline text %s breaks the content contract: %w", req.Format, err))
	}
	call := ai.Call{
		Backend:      offline.Backend,
		Model:        Model,
		PromptTokens: int64(promptChars(req, set)+3) / 4,
		OutputTokens: int64(utf8.RuneCount(raw)+3) / 4,
		Duration:     time.Since(start),
	}
	return ai.TextResult{JSON: raw, Calls: []ai.Call{call}, PromptVersion: PromptVersion}, nil
}

// encode marshals a document compactly, without HTML escaping.
func encode(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// promptChars is the size of what the backend reads: the topic, the
// passages and, for derived formats, the outline.
func promptChars(req ai.TextRequest, set *content.SourceSet) int {
	n := utf8.RuneCountInString(req.Request.Topic)
	if set != nil {
		for _, p := range set.Passages {
			n += utf8.RuneCountInString(p.Text)
		}
	}
	if req.Outline != nil {
		if b, err := json.Marshal(req.Outline); err == nil {
			n += utf8.RuneCount(b)
		}
	}
	return n
}
