package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/content"
)

// Answer is one model answer as a backend read it.
type Answer struct {
	// Text is the document: the structured output (a tool's input, a
	// JSON-schema-constrained message), possibly in a Markdown fence.
	Text string
	// Call is the call's usage; Generate prices it.
	Call ai.Call
	// CutOff says the answer stopped at the output limit.
	CutOff bool
	// Filtered, when set, is why a safety or policy filter stopped the
	// answer.
	Filtered string
}

// Call is what one attempt sends: the rendered prompt, the schema of the
// document, the step's settings and its output limit.
type Call struct {
	Prompt    prompts.Prompt
	Schema    *content.Schema
	Step      models.Step
	MaxTokens int32
}

// Backend is one model backend's wire: it sends a call and reads its
// answer, and maps its own errors to *ai.Error (ClassifyStatus,
// ClassifyTransport).
type Backend interface {
	Send(ctx context.Context, c Call) (Answer, error)
	Classify(err error, model, setting string) error
}

// Generator writes text documents through a Backend: the shared request
// checks, prompt and repair output limit, the retry policy, one deadline
// per call, pricing, and the reading of the answer.
type Generator struct {
	Backend Backend
	Config  *models.Config
	Retry   retry.Policy
	Timeout time.Duration
	Log     *slog.Logger
	// Prompts selects templates other than the ones in use (Options).
	Prompts prompts.Selection
}

// Options are the seams of a backend built on a Generator.
type Options struct {
	// HTTPClient sends the requests. Nil means Google credentials
	// (application default credentials), except for a plaintext base URL,
	// which gets none.
	HTTPClient *http.Client
	// Retry overrides the configured retry policy.
	Retry *retry.Policy
	// Logger receives retries; nil discards them.
	Logger *slog.Logger
	// Prompts selects the template of a format to render instead of the
	// one in use (an evaluation comparing prompt versions); nil: the ones
	// in use.
	Prompts prompts.Selection
}

// NewGenerator is the Generator of a backend: the configured retry
// policy (or opts.Retry) and vertex.timeout for each call.
func NewGenerator(cfg *models.Config, b Backend, opts Options) Generator {
	policy := cfg.Retry.Policy()
	if opts.Retry != nil {
		policy = *opts.Retry
	}
	return Generator{Backend: b, Config: cfg, Retry: policy, Timeout: cfg.Vertex.Timeout.D(), Log: opts.Logger, Prompts: opts.Prompts}
}

// GenerateText implements ai.TextGenerator with the format's configured
// step, whatever backend it names: the Generator sends it to its own.
func (g Generator) GenerateText(ctx context.Context, req ai.TextRequest) (ai.TextResult, error) {
	return g.GenerateStep(ctx, req, g.Config.Text.For(req.Format), g.Config.Text.ModelSetting(req.Format))
}

// GenerateStep writes req's document with step's model; setting names
// the configuration entry that chose it.
func (g Generator) GenerateStep(ctx context.Context, req ai.TextRequest, step models.Step, setting string) (ai.TextResult, error) {
	schema, err := Prepare(&req)
	if err != nil {
		return ai.TextResult{}, err
	}
	p, err := Render(req, false, g.Prompts.For(req.Format))
	if err != nil {
		return ai.TextResult{}, err
	}
	res := ai.TextResult{PromptVersion: p.Version}
	call := Call{Prompt: p, Schema: schema, Step: step, MaxTokens: OutputLimit(g.Config, step, req.Repair)}
	ans, err := retry.Value(ctx, g.Retry, func(ctx context.Context) (Answer, error) {
		start := time.Now()
		ans, err := Attempt(ctx, g.Timeout, func(ctx context.Context) (Answer, error) { return g.Backend.Send(ctx, call) },
			func(err error) error { return g.Backend.Classify(err, step.Model, setting) })
		if err != nil {
			g.log().InfoContext(ctx, "model call failed", "job", req.JobID, "format", req.Format, "model", step.Model, "error", err.Error())
			return ans, err
		}
		ans.Call.Model, ans.Call.Duration = step.Model, time.Since(start)
		res.Calls = append(res.Calls, g.Config.Priced(ans.Call))
		return ans, nil
	})
	if err != nil {
		return res, err
	}
	if ans.Filtered != "" {
		return res, ai.Permanentf(CodeContentFiltered, "the answer was blocked (%s)", ans.Filtered)
	}
	if ans.CutOff {
		if err := CutOffAgain(g.Config, step, req); err != nil {
			return res, err
		}
		g.log().InfoContext(ctx, "answer cut off at the output limit; leaving it to the repair loop",
			"job", req.JobID, "format", req.Format, "max_output_tokens", call.MaxTokens)
	}
	res.JSON = []byte(StripFences(ans.Text))
	res.Made = &ai.Made{Backend: ans.Call.Backend, Model: step.Model}
	return res, nil
}

// Classify maps a backend's error: an *ai.Error as it is; an HTTP
// answer's failure (status says whether err carries one, with its status
// and response) by its status and Retry-After; a transport failure;
// anything else is invalid_request.
func Classify(err error, model, setting string, status func(error) (int, *http.Response, bool)) error {
	if _, ok := ai.AsError(err); ok {
		return err
	}
	if code, resp, ok := status(err); ok {
		var after time.Duration
		if resp != nil {
			after = RetryAfter(resp.Header, time.Now())
		}
		return ClassifyStatus(code, after, err, model, setting)
	}
	if mapped, ok := ClassifyTransport(err); ok {
		return mapped
	}
	return ai.Permanent(CodeInvalidRequest, err)
}

// JSONSchema returns a document schema as standard JSON Schema, decoded:
// without the keywords only Gemini reads (PlainSchema).
func JSONSchema(s *content.Schema) (map[string]any, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode the document schema: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode the document schema: %w", err)
	}
	return PlainSchema(m), nil
}

func (g Generator) log() *slog.Logger {
	if g.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Log
}

// ProbePrompt is the prompt of a model check: a tiny call that any live
// text model answers.
var ProbePrompt = prompts.Prompt{System: "You check that a model answers.", User: "Reply with the single word OK."}

// Probe makes one tiny call to a model without retries, for the model
// check; a 404 maps to model_retired naming setting.
func (g Generator) Probe(ctx context.Context, model, setting string) error {
	step := models.Step{Model: model}
	_, err := Attempt(ctx, min(g.Timeout, time.Minute), func(ctx context.Context) (Answer, error) {
		return g.Backend.Send(ctx, Call{Prompt: ProbePrompt, Step: step, MaxTokens: 256})
	}, func(err error) error { return g.Backend.Classify(err, model, setting) })
	return err
}
