// Package llm holds what every model text backend (Gemini, Claude, the
// OpenAI-compatible models) shares, so that none forks it: the checks a
// text request passes before any call and the JSON Schema of its
// document, the rendered prompt (package prompts: system instruction,
// canary, fenced data, repair), the output limit of a repair, the reading
// of an answer (a Markdown fence around it, an answer cut off at the
// output limit), one call with its own deadline, and the mapping of a
// failure to the stable step codes.
package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/content"
)

// Error codes of the model backends (ai.Error.Code).
const (
	CodeRateLimited      = "rate_limited"
	CodeUnavailable      = "unavailable"
	CodeTimeout          = "timeout"
	CodeInvalidRequest   = "invalid_request"
	CodePermissionDenied = "permission_denied"
	CodeModelRetired     = "model_retired"
	CodeContentFiltered  = "content_filtered"
	CodeOutputTruncated  = "output_truncated"
	CodeUnsupported      = "unsupported_format"
)

// Prepare checks a text request before any call (a text format, a
// request, a format that applies to the job's sources), fills in its
// sources and returns the JSON Schema its document must follow, with what
// the request and outline decide pinned.
func Prepare(req *ai.TextRequest) (*content.Schema, error) {
	spec, ok := content.Lookup(req.Format)
	if !ok || spec.Kind != content.KindText {
		return nil, ai.Permanentf(CodeUnsupported, "%q is not a text format", req.Format)
	}
	if req.Request == nil {
		return nil, ai.Permanentf(CodeInvalidRequest, "generate %s: no request", req.Format)
	}
	if err := req.Applicable(); err != nil {
		return nil, err
	}
	req.Sources = req.SourceSet()
	return spec.SchemaFor(content.Expect{Request: req.Request, Outline: req.Outline, Passages: content.PassagesOf(req.Sources)}), nil
}

// Render renders a text request's prompt (prompts.RenderText); cached says
// the sources are in a context cache rather than in the prompt, template
// names the format's template to render instead of the one in use ("":
// the one in use).
func Render(req ai.TextRequest, cached bool, template string) (prompts.Prompt, error) {
	p, err := prompts.RenderText(prompts.Text{
		Format: req.Format, Request: req.Request, Outline: req.Outline, Sources: req.Sources,
		SourceCached: cached, Repair: req.Repair, Canary: req.Canary, Instructions: req.Instructions, Pace: req.Pace,
		Template: template,
	})
	if err != nil {
		if errors.Is(err, prompts.ErrUnsupported) {
			return p, ai.Permanent(CodeUnsupported, err)
		}
		return p, ai.Permanent(CodeInvalidRequest, err)
	}
	return p, nil
}

// OutputLimit is the step's output limit, doubled (up to the configured
// limit) for the repair of an answer that was cut off.
func OutputLimit(cfg *models.Config, step models.Step, rep *ai.Repair) int32 {
	n := step.MaxOutputTokens
	if rep != nil && prompts.Truncated(rep.Previous) {
		n *= 2
		if lim := cfg.Text.MaxOutputTokensLimit; lim > 0 {
			n = min(n, lim)
		}
	}
	return n
}

// CutOffAgain returns the output_truncated failure of an answer cut off
// at the output limit when the request was already the repair of a
// cut-off answer; nil otherwise: the first cut-off answer is returned as
// it is, fails validation, and the repair asks for a more concise
// document with a larger limit.
func CutOffAgain(cfg *models.Config, step models.Step, req ai.TextRequest) error {
	if req.Repair == nil || !prompts.Truncated(req.Repair.Previous) {
		return nil
	}
	return ai.Permanentf(CodeOutputTruncated,
		"%s was cut off at the output limit again after a repair with %d output tokens; raise text.steps.%s.max_output_tokens",
		req.Format, OutputLimit(cfg, step, req.Repair), req.Format)
}

// StripFences removes a Markdown code fence around a JSON answer, which
// some models add even when asked for JSON.
func StripFences(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "```") {
		return t
	}
	t = strings.TrimPrefix(t, "```")
	if i := strings.IndexByte(t, '\n'); i >= 0 && !strings.ContainsAny(t[:i], "{[") {
		t = t[i+1:]
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), "```"))
}

// ClassifyStatus maps a failed HTTP answer of a model service to an
// *ai.Error: rate_limited, unavailable and timeout are retryable (after
// retryAfter at least); a 404 is model_retired naming the setting that
// chose the model; the rest are permanent.
func ClassifyStatus(status int, retryAfter time.Duration, err error, model, setting string) error {
	switch status {
	case http.StatusTooManyRequests:
		return &ai.Error{Code: CodeRateLimited, Retryable: true, RetryAfter: retryAfter, Err: err}
	case 500, 502, 503, 529:
		return &ai.Error{Code: CodeUnavailable, Retryable: true, RetryAfter: retryAfter, Err: err}
	case 408, 504:
		return &ai.Error{Code: CodeTimeout, Retryable: true, RetryAfter: retryAfter, Err: err}
	case 401, 403:
		return ai.Permanent(CodePermissionDenied, err)
	case 404:
		return ai.Permanent(CodeModelRetired, fmt.Errorf("model %s was not found (retired?): set %s: %w", model, setting, err))
	case 400, 409, 411, 413, 422:
		return ai.Permanent(CodeInvalidRequest, err)
	}
	if status >= 500 {
		return &ai.Error{Code: CodeUnavailable, Retryable: true, RetryAfter: retryAfter, Err: err}
	}
	return ai.Permanent(CodeInvalidRequest, err)
}

// ClassifyTransport maps an error that came with no answer: a deadline
// is a retryable timeout, a network failure retryable unavailability;
// ok is false for any other error.
func ClassifyTransport(err error) (mapped error, ok bool) {
	if errors.Is(err, context.DeadlineExceeded) {
		return &ai.Error{Code: CodeTimeout, Retryable: true, Err: err}, true
	}
	if errors.Is(err, context.Canceled) {
		return &ai.Error{Code: CodeUnavailable, Retryable: true, Err: err}, true
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		if ne != nil && ne.Timeout() {
			return &ai.Error{Code: CodeTimeout, Retryable: true, Err: err}, true
		}
		return &ai.Error{Code: CodeUnavailable, Retryable: true, Err: err}, true
	}
	return nil, false
}

// Attempt runs one call to a model service with its own deadline and
// maps its error with classify; a call that ran out of its own deadline
// (not the caller's) says how long it waited.
func Attempt[T any](ctx context.Context, timeout time.Duration, call func(ctx context.Context) (T, error), classify func(error) error) (T, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := call(cctx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w (no answer within %s)", err, timeout)
		}
		var zero T
		return zero, classify(err)
	}
	return resp, nil
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// PlainSchema returns a decoded JSON Schema without the keywords only
// Gemini reads (propertyOrdering), at every depth, for the backends that
// take standard JSON Schema.
func PlainSchema(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k == "propertyOrdering" {
			continue
		}
		out[k] = plainValue(v)
	}
	return out
}

func plainValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return PlainSchema(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plainValue(x)
		}
		return out
	}
	return v
}
