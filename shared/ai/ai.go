// Package ai holds the interfaces the workers generate content through,
// the usage every model call records, and its errors (the portable
// failure.Error). Backends live in subpackages: the offline ones under
// offline/ (extract, cover, espeak: deterministic, no network, the
// default) and the Google ones (vertex, tts); fakes of the Google wire
// protocols live under internal/ in the packages ending in "test".
package ai

import (
	"context"
	"fmt"
	"io"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

// TextRequest asks for one text format's JSON document.
type TextRequest struct {
	JobID string
	// Version and Attempt are the version of the step and its attempt
	// making the call; with the job and the step they label the call for
	// billing reports.
	Version, Attempt int
	Format           content.Format
	Request          *content.Request
	// Outline is the job's outline, for every format derived from it.
	Outline *content.Outline
	// Sources are the job's sources split into numbered passages
	// (sources.json); nil when the job has none. Backends read the
	// passages, never the request's raw source text.
	Sources *content.SourceSet
	// Repair, when set, carries a previous answer and what was wrong with
	// it, so the model can correct itself.
	Repair *Repair
	// Instructions are the caller's words for a regeneration of the
	// document (untrusted text); empty: none.
	Instructions string
	// Canary is planted in the system instruction (see guard.Canary): an
	// answer that contains it has repeated the instructions and is
	// rejected. Empty: none is planted.
	Canary string
	// Round is the attempt at the document within one run of its step: 0,
	// then one more per repair.
	Round int
	// Pace is how fast the voices that will narrate the job's podcast
	// speak: a podcast script is sized by it. Nil: content.DefaultPace.
	Pace *content.Pace
}

// Pacer says how fast the voices that narrate a podcast in a language
// speak (content.Pace), so its script can be sized before it is written.
type Pacer interface {
	Pace(language string, speakers int) content.Pace
}

// SourceSet is the job's sources a backend reads: Sources, or, for a
// caller that gives only a request (a test, a tool), the request's text
// sources split the same way (content.TextSources). Nil: none.
func (r TextRequest) SourceSet() *content.SourceSet {
	if r.Sources != nil || r.Request == nil {
		return r.Sources
	}
	return content.TextSources(r.Request)
}

// Applicable returns failure.NotApplicable with the reason when the
// format asked for does not apply to the job: a timeline of sources that
// hold too few dates (content.TimelineApplicable). Backends and the text
// step answer it before any model call; nil: it applies.
func (r TextRequest) Applicable() error {
	if r.Format != content.FormatTimeline {
		return nil
	}
	if ok, why := content.TimelineApplicable(r.SourceSet()); !ok {
		return failure.NotApplicable(why)
	}
	return nil
}

// Repair is a failed answer and what was found wrong with it: the
// validator's violations, or (Checked) what the grounding check and the
// quality scorer found in a valid answer.
type Repair struct {
	Previous []byte
	Problems []string
	Checked  bool
}

// TextResult is a generated document.
type TextResult struct {
	JSON  []byte
	Calls []Call
	// PromptVersion names the prompt template the document came from.
	PromptVersion string
	// Made says which model wrote the document and why the models before
	// it in its format's fallback chain did not; nil for a backend that
	// is no model (offline).
	Made *Made
}

// Made says which model made a document and, when a fallback did, why
// each model tried before it did not.
type Made struct {
	Backend   string     `json:"backend" firestore:"backend"`
	Model     string     `json:"model" firestore:"model"`
	Fallbacks []Fallback `json:"fallbacks,omitempty" firestore:"fallbacks,omitempty"`
}

// Fallback is a model of a fallback chain that failed, and how: its
// failure's code (model_retired, unavailable or content_filtered) and
// message.
type Fallback struct {
	Backend string `json:"backend" firestore:"backend"`
	Model   string `json:"model" firestore:"model"`
	Code    string `json:"code" firestore:"code"`
	Message string `json:"message" firestore:"message"`
}

// TextGenerator writes text documents.
type TextGenerator interface {
	GenerateText(ctx context.Context, req TextRequest) (TextResult, error)
}

// CheckRequest asks for the grounding check of a document's claims: is
// each claim supported by the passages its item cites?
type CheckRequest struct {
	JobID string
	// Version and Attempt label the call like the document's own (see
	// TextRequest); Round is the round of the document being checked (0,
	// then one more per repair).
	Version, Attempt, Round int
	Format                  content.Format
	// Language is the documents' BCP 47 tag.
	Language string
	// Claims are the cited claims to judge (content.Claim.Citations name
	// their passages, which are in Sources).
	Claims  []content.Claim
	Sources *content.SourceSet
	// Canary is planted in the check's instruction like a text step's.
	Canary string
}

// CheckResult is a verdict for every claim, in the order asked.
type CheckResult struct {
	Verdicts []content.Verdict
	Calls    []Call
	// Checker names what judged: a model, or the offline support score.
	Checker string
	// PromptVersion names the check's prompt template, when a model
	// judged.
	PromptVersion string
}

// ClaimChecker judges whether claims are supported by their passages.
type ClaimChecker interface {
	CheckClaims(ctx context.Context, req CheckRequest) (CheckResult, error)
}

// ImageRequest asks for a cover image.
type ImageRequest struct {
	JobID string
	// Version and Attempt are the version of the step and its attempt
	// making the call (see TextRequest.Attempt).
	Version, Attempt int
	Request          *content.Request
	Outline          *content.Outline
	// Canary is planted in the image prompt; alt text that contains it
	// is rejected. Empty: none is planted.
	Canary string
}

// ImageResult is a generated image and its description.
type ImageResult struct {
	Data     []byte
	MIMEType string
	Width    int
	Height   int
	AltText  string
	Calls    []Call
}

// ImageGenerator draws cover images.
type ImageGenerator interface {
	GenerateImage(ctx context.Context, req ImageRequest) (ImageResult, error)
}

// SpeechRequest asks for the narration of a podcast script.
type SpeechRequest struct {
	JobID    string
	Script   *content.PodcastScript
	Language string
	// Parts, when set, keeps every synthesized part, so a run that is
	// retried only synthesizes (and pays for) the parts still missing.
	Parts PartStore
}

// PartStore keeps the parts of one piece of work by key.
type PartStore interface {
	// Get returns a part and whether it was there.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Put keeps a part; keeping one that is there already is no error.
	Put(ctx context.Context, key string, data []byte, contentType string) error
}

// ReadPart reads back a part that was kept: an error if there is no part
// store or the part is gone.
func ReadPart(ctx context.Context, parts PartStore, key string) ([]byte, error) {
	if parts == nil {
		return nil, fmt.Errorf("part %s: no part store", key)
	}
	data, ok, err := parts.Get(ctx, key)
	switch {
	case err != nil:
		return nil, fmt.Errorf("part %s: %w", key, err)
	case !ok:
		return nil, fmt.Errorf("part %s is gone", key)
	}
	return data, nil
}

// Cue is one spoken line of the narration and when it starts and ends.
type Cue struct {
	Start   time.Duration `json:"start"`
	End     time.Duration `json:"end"`
	Speaker string        `json:"speaker"`
	Text    string        `json:"text"`
}

// SpeechResult is the narrated audio with its transcript.
type SpeechResult struct {
	// Audio writes the narration to w, in order. It may be called more
	// than once, after Synthesize returned. A backend given a PartStore
	// reads each kept part back from it as it writes, so that the whole
	// narration is never held in memory.
	Audio    func(ctx context.Context, w io.Writer) error
	MIMEType string // audio/mpeg
	Duration time.Duration
	// Cues has one cue per spoken part in order: the intro, every turn,
	// then the outro.
	Cues []Cue
	// Voices maps each speaker to the voice that spoke it.
	Voices map[string]string
	Calls  []Call
}

// Synthesizer turns a podcast script into speech.
type Synthesizer interface {
	Synthesize(ctx context.Context, req SpeechRequest) (SpeechResult, error)
}

// Call is the usage of one model call: what it consumed and what it cost.
type Call struct {
	Backend        string        `json:"backend" firestore:"backend"`
	Model          string        `json:"model" firestore:"model"`
	PromptTokens   int64         `json:"prompt_tokens,omitempty" firestore:"prompt_tokens"`
	OutputTokens   int64         `json:"output_tokens,omitempty" firestore:"output_tokens"`
	ThinkingTokens int64         `json:"thinking_tokens,omitempty" firestore:"thinking_tokens"`
	CachedTokens   int64         `json:"cached_tokens,omitempty" firestore:"cached_tokens"`
	Characters     int64         `json:"characters,omitempty" firestore:"characters"`
	Images         int64         `json:"images,omitempty" firestore:"images"`
	Duration       time.Duration `json:"duration" firestore:"duration"`
	CostUSD        float64       `json:"cost_usd" firestore:"cost_usd"`
}

// Usage is the sum of many calls.
type Usage struct {
	Calls          int64   `json:"calls" firestore:"calls"`
	PromptTokens   int64   `json:"prompt_tokens" firestore:"prompt_tokens"`
	OutputTokens   int64   `json:"output_tokens" firestore:"output_tokens"`
	ThinkingTokens int64   `json:"thinking_tokens" firestore:"thinking_tokens"`
	CachedTokens   int64   `json:"cached_tokens" firestore:"cached_tokens"`
	Characters     int64   `json:"characters" firestore:"characters"`
	Images         int64   `json:"images" firestore:"images"`
	DurationMS     int64   `json:"duration_ms" firestore:"duration_ms"`
	CostUSD        float64 `json:"cost_usd" firestore:"cost_usd"`
}

// Add counts one call.
func (u *Usage) Add(c Call) {
	u.Calls++
	u.PromptTokens += c.PromptTokens
	u.OutputTokens += c.OutputTokens
	u.ThinkingTokens += c.ThinkingTokens
	u.CachedTokens += c.CachedTokens
	u.Characters += c.Characters
	u.Images += c.Images
	u.DurationMS += c.Duration.Milliseconds()
	u.CostUSD += c.CostUSD
}

// Merge adds another usage to this one.
func (u *Usage) Merge(o Usage) {
	u.Calls += o.Calls
	u.PromptTokens += o.PromptTokens
	u.OutputTokens += o.OutputTokens
	u.ThinkingTokens += o.ThinkingTokens
	u.CachedTokens += o.CachedTokens
	u.Characters += o.Characters
	u.Images += o.Images
	u.DurationMS += o.DurationMS
	u.CostUSD += o.CostUSD
}

// Error is a failed generation the step runner can act on: a retryable
// one is retried later, any other fails its step with Code. It is the
// portable failure.Error, so the pipeline needs nothing of this package to
// classify it.
type Error = failure.Error

// Transient wraps a failure worth retrying (failure.Transient).
func Transient(code string, err error) error { return failure.Transient(code, err) }

// Permanent wraps a failure that will not go away by retrying
// (failure.Permanent).
func Permanent(code string, err error) error { return failure.Permanent(code, err) }

// Permanentf is Permanent with a formatted message.
func Permanentf(code, format string, args ...any) error {
	return failure.Permanentf(code, format, args...)
}

// CodeInvalidCheck is the code of a grounding check whose answer judged
// nothing usable (not its JSON, or verdicts of claims it was not given).
const CodeInvalidCheck = "invalid_check"

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) { return failure.As(err) }
