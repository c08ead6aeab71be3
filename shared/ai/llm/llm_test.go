package llm_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
)

func TestClassifyStatus(t *testing.T) {
	t.Parallel()
	cause := errors.New("answer")
	for status, want := range map[int]struct {
		code      string
		retryable bool
	}{
		429: {"rate_limited", true}, 500: {"unavailable", true}, 503: {"unavailable", true}, 529: {"unavailable", true},
		504: {"timeout", true}, 408: {"timeout", true}, 401: {"permission_denied", false}, 403: {"permission_denied", false},
		404: {"model_retired", false}, 400: {"invalid_request", false}, 422: {"invalid_request", false}, 418: {"invalid_request", false},
	} {
		err := llm.ClassifyStatus(status, 3*time.Second, cause, "m", "text.default")
		e, ok := ai.AsError(err)
		require.True(t, ok, "%d", status)
		assert.Equal(t, want.code, e.Code, "%d", status)
		assert.Equal(t, want.retryable, e.Retryable, "%d", status)
		assert.ErrorIs(t, err, cause)
		if want.retryable {
			assert.Equal(t, 3*time.Second, e.RetryAfter, "%d keeps the service's wait", status)
		}
	}
	assert.Contains(t, llm.ClassifyStatus(404, 0, cause, "claude-x", "the models file entry text.steps.quiz.model").Error(),
		"model claude-x was not found (retired?): set the models file entry text.steps.quiz.model")
}

func TestClassifyReadsTheAnswerThenTheTransport(t *testing.T) {
	t.Parallel()
	type apiError struct{ error }
	status := func(err error) (int, *http.Response, bool) {
		var a apiError
		if errors.As(err, &a) {
			return 429, &http.Response{Header: http.Header{"Retry-After": {"7"}}}, true
		}
		return 0, nil, false
	}
	e, ok := ai.AsError(llm.Classify(apiError{errors.New("slow down")}, "m", "s", status))
	require.True(t, ok)
	assert.Equal(t, "rate_limited", e.Code)
	assert.Equal(t, 7*time.Second, e.RetryAfter)

	e, ok = ai.AsError(llm.Classify(context.DeadlineExceeded, "m", "s", status))
	require.True(t, ok)
	assert.Equal(t, "timeout", e.Code)

	e, ok = ai.AsError(llm.Classify(errors.New("odd"), "m", "s", status))
	require.True(t, ok)
	assert.Equal(t, "invalid_request", e.Code)
	assert.False(t, e.Retryable)

	filtered := ai.Permanent("content_filtered", errors.New("blocked"))
	assert.Same(t, filtered, llm.Classify(filtered, "m", "s", status), "an *ai.Error is kept as it is")
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	assert.Equal(t, 5*time.Second, llm.RetryAfter(http.Header{"Retry-After": {"5"}}, now))
	assert.Equal(t, time.Minute, llm.RetryAfter(http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, now))
	assert.Zero(t, llm.RetryAfter(http.Header{}, now))
	assert.Zero(t, llm.RetryAfter(http.Header{"Retry-After": {"soon"}}, now))
}

func TestStripFences(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `{"a":1}`, llm.StripFences("```json\n{\"a\":1}\n```"))
	assert.Equal(t, `{"a":1}`, llm.StripFences("  {\"a\":1}  "))
	assert.Equal(t, `{"a":1}`, llm.StripFences("```{\"a\":1}```"))
}

func TestJSONSchemaDropsGeminiKeywords(t *testing.T) {
	t.Parallel()
	req := content.Request{Topic: "Tides", Formats: []content.Format{content.FormatOutline}}
	tr := ai.TextRequest{Format: content.FormatOutline, Request: &req}
	schema, err := llm.Prepare(&tr)
	require.NoError(t, err)
	m, err := llm.JSONSchema(schema)
	require.NoError(t, err)
	var walk func(v any)
	walk = func(v any) {
		switch t2 := v.(type) {
		case map[string]any:
			assert.NotContains(t, t2, "propertyOrdering")
			for _, x := range t2 {
				walk(x)
			}
		case []any:
			for _, x := range t2 {
				walk(x)
			}
		}
	}
	walk(m)
	assert.Equal(t, "object", m["type"])
	assert.NotEmpty(t, m["properties"])
}

func TestPrepareRefusesWhatNoBackendCanWrite(t *testing.T) {
	t.Parallel()
	req := content.Request{Topic: "Tides"}
	for _, tr := range []ai.TextRequest{{Format: content.FormatImage, Request: &req}, {Format: content.FormatOutline}} {
		_, err := llm.Prepare(&tr)
		e, ok := ai.AsError(err)
		require.True(t, ok, "%v", err)
		assert.False(t, e.Retryable)
	}
}

func TestOutputLimitDoublesForTheRepairOfACutOffAnswer(t *testing.T) {
	t.Parallel()
	cfg := models.Defaults()
	step := models.Step{MaxOutputTokens: 40000}
	assert.Equal(t, int32(40000), llm.OutputLimit(cfg, step, nil))
	assert.Equal(t, int32(40000), llm.OutputLimit(cfg, step, &ai.Repair{Previous: []byte(`{"a":1}`)}))
	cut := &ai.Repair{Previous: []byte(`{"title": "Ti`)}
	assert.Equal(t, cfg.Text.MaxOutputTokensLimit, llm.OutputLimit(cfg, step, cut), "doubled up to the limit")
	require.Error(t, llm.CutOffAgain(cfg, step, ai.TextRequest{Format: content.FormatOutline, Repair: cut}))
	assert.NoError(t, llm.CutOffAgain(cfg, step, ai.TextRequest{Format: content.FormatOutline}))
}
