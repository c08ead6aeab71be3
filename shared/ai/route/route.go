// Package route is the text generator of the model backends: it sends
// each format to the backend its step names in the models configuration
// (gemini, claude or openai) and walks the format's fallback chain
// (models.Text.Chain) when a model fails in a way another model may not:
// model_retired, unavailable once the backend's in-process retries are
// spent, or content_filtered. Every other failure ends the step as it
// is. The result records the model that wrote the document and, for each
// model tried before it, why it did not (ai.Made); the calls of every
// model tried are kept, so their cost is counted.
package route

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/quality"
)

// StepGenerator writes a document with a given step's model; setting
// names the configuration entry that chose it.
type StepGenerator interface {
	GenerateStep(ctx context.Context, req ai.TextRequest, step models.Step, setting string) (ai.TextResult, error)
}

// CodeNoBackend is the failure of a step whose backend is not built.
const CodeNoBackend = "invalid_request"

// Triggers are the failure codes that move a format to the next model
// of its chain. A retryable failure triggers only once its retries are
// spent, which is when it reaches the router.
var Triggers = []string{"model_retired", "unavailable", "content_filtered"}

// Router implements ai.TextGenerator over the backends, and
// ai.ClaimChecker with Checker for the formats a Gemini model writes
// (models.Text.CheckStep) and the offline support score for the others,
// or when the check's model fails with a trigger.
type Router struct {
	Config *models.Config
	// Backends by name: models.TextGemini, models.TextClaude,
	// models.TextOpenAI.
	Backends map[string]StepGenerator
	// Checker makes the grounding check with a Gemini model; nil: the
	// offline support score for every format.
	Checker ai.ClaimChecker
	Log     *slog.Logger
}

var (
	_ ai.TextGenerator = (*Router)(nil)
	_ ai.ClaimChecker  = (*Router)(nil)
)

// GenerateText writes req's document with the first model of its
// format's chain that does not fail with a trigger.
func (r *Router) GenerateText(ctx context.Context, req ai.TextRequest) (ai.TextResult, error) {
	chain := r.Config.Text.Chain(req.Format)
	var calls []ai.Call
	var fallbacks []ai.Fallback
	for i, step := range chain {
		res, err := r.generate(ctx, req, step, r.Config.Text.ChainSetting(req.Format, i))
		calls = append(calls, res.Calls...)
		res.Calls = calls
		if err == nil {
			if res.Made == nil {
				res.Made = &ai.Made{Backend: step.BackendName(), Model: step.Model}
			}
			res.Made.Fallbacks = fallbacks
			return res, nil
		}
		e, ok := ai.AsError(err)
		if !ok || !slices.Contains(Triggers, e.Code) || i == len(chain)-1 || ctx.Err() != nil {
			// A step that ran out of time or was stopped does not fall
			// back: the next model would fail the same way.
			return res, tried(err, fallbacks)
		}
		next := chain[i+1]
		fallbacks = append(fallbacks, ai.Fallback{Backend: step.BackendName(), Model: step.Model, Code: e.Code, Message: e.Error()})
		r.log().WarnContext(ctx, "model failed; falling back to the next of the format's chain", "job", req.JobID, "format", req.Format,
			"model", step.Model, "code", e.Code, "error", e.Error(), "next_backend", next.BackendName(), "next_model", next.Model)
	}
	return ai.TextResult{}, fmt.Errorf("route %s: empty model chain", req.Format)
}

// tried adds to the failure of the last model tried the models that
// failed before it, so that the step's error tells the whole chain.
func tried(err error, fallbacks []ai.Fallback) error {
	e, ok := ai.AsError(err)
	if !ok || len(fallbacks) == 0 {
		return err
	}
	var before []string
	for _, f := range fallbacks {
		before = append(before, fmt.Sprintf("%s %s (%s)", f.Backend, f.Model, f.Code))
	}
	return &ai.Error{Code: e.Code, Retryable: e.Retryable, RetryAfter: e.RetryAfter,
		Err: fmt.Errorf("%w; tried before it: %s", e.Err, strings.Join(before, ", "))}
}

func (r *Router) generate(ctx context.Context, req ai.TextRequest, step models.Step, setting string) (ai.TextResult, error) {
	gen, ok := r.Backends[step.BackendName()]
	if !ok {
		return ai.TextResult{}, ai.Permanentf(CodeNoBackend, "%s: text backend %q is not available (set by %s)", req.Format, step.BackendName(), setting)
	}
	return gen.GenerateStep(ctx, req, step, setting)
}

// CheckClaims implements ai.ClaimChecker: the Gemini check, falling back
// to the offline support score when the check's model fails with a
// trigger (retired, unavailable after its retries, filtered), as a
// document's model falls back along its chain; the calls of the failed
// check are kept.
func (r *Router) CheckClaims(ctx context.Context, req ai.CheckRequest) (ai.CheckResult, error) {
	if _, ok := r.Config.Text.CheckStep(req.Format); !ok || r.Checker == nil {
		return quality.Lexical{}.CheckClaims(ctx, req)
	}
	res, err := r.Checker.CheckClaims(ctx, req)
	e, ok := ai.AsError(err)
	if err == nil || !ok || !slices.Contains(Triggers, e.Code) {
		return res, err
	}
	r.log().WarnContext(ctx, "grounding check failed; falling back to the offline support score", "job", req.JobID,
		"format", req.Format, "code", e.Code, "error", e.Error())
	off, err := quality.Lexical{}.CheckClaims(ctx, req)
	off.Calls = append(res.Calls, off.Calls...)
	return off, err
}

func (r *Router) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}
