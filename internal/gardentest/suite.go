package gardentest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

// FailureSuite checks that a text backend talking to one of these fakes
// maps every failure to the step codes as the Gemini backend does: HTTP
// faults (retryable ones retried to the policy's attempts, which must be
// three), a filtered answer as content_filtered, a retired model as
// model_retired naming its setting, and an answer cut off at the output
// limit left to the repair loop the first time (whose output limit, of
// maxTokens, is doubled) and output_truncated on the repair. newGen
// starts the fake with opts and returns the backend over it, configured
// with the fake's model as text.default.
func FailureSuite(t *testing.T, maxTokens int, newGen func(t *testing.T, opts Options) (ai.TextGenerator, *Server)) {
	cases := []struct {
		kind      vertextest.FaultKind
		code      string
		retryable bool
		calls     int
	}{
		{vertextest.RateLimit, "rate_limited", true, 3},
		{vertextest.Unavailable, "unavailable", true, 3},
		{vertextest.ServerError, "unavailable", true, 3},
		{vertextest.NotFound, "model_retired", false, 1},
		{vertextest.PermissionDenied, "permission_denied", false, 1},
		{vertextest.BadRequest, "invalid_request", false, 1},
		{vertextest.SafetyFinish, "content_filtered", false, 1},
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			gen, srv := newGen(t, Options{Faults: []vertextest.Fault{{Kind: tc.kind, RetryAfter: -1}}})
			req := aitest.FixtureNamed(t, "photosynthesis").Request
			_, err := gen.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
			e, ok := failure.As(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.retryable, e.Retryable)
			assert.Len(t, srv.Requests(), tc.calls)
			if tc.kind == vertextest.NotFound {
				assert.Contains(t, e.Error(), "text.default.model", "names the setting to change")
			}
		})
	}
	t.Run("cut_off", func(t *testing.T) {
		t.Parallel()
		gen, srv := newGen(t, Options{Faults: []vertextest.Fault{{Kind: vertextest.Truncated}}})
		req := aitest.FixtureNamed(t, "photosynthesis").Request
		res, err := gen.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
		require.NoError(t, err, "a first cut-off answer goes to validation")
		_, verr := content.ValidateText(content.FormatOutline, res.JSON, content.Expect{Request: &req})
		require.Error(t, verr)

		_, err = gen.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req,
			Repair: &ai.Repair{Previous: res.JSON, Problems: []string{verr.Error()}}})
		e, ok := failure.As(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "output_truncated", e.Code)
		var limits []int
		for _, r := range srv.Requests() {
			var b struct {
				MaxTokens int `json:"max_tokens"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &b))
			limits = append(limits, b.MaxTokens)
		}
		assert.Equal(t, []int{maxTokens, 2 * maxTokens}, limits, "the repair of a cut-off answer doubles the output limit")
	})
}

// FastRetry is a retry policy of three attempts with millisecond waits,
// for backends under test (FailureSuite counts on three attempts).
var FastRetry = retry.Policy{Attempts: 3, Base: time.Millisecond, Cap: 5 * time.Millisecond}

// Config is the default models configuration with srv as the base URL of
// backend (models.TextClaude or models.TextOpenAI) and model, on that
// backend, as text.default; the Vertex project is "test-project".
func Config(t *testing.T, srv *Server, backend, model string) *models.Config {
	t.Helper()
	key := models.EnvClaudeBaseURL
	if backend == models.TextOpenAI {
		key = models.EnvOpenAIBaseURL
	}
	cfg, err := models.Load(func(k string) string {
		if k == key {
			return srv.URL
		}
		return ""
	}, "test-project")
	require.NoError(t, err)
	cfg.Text.Default.Backend, cfg.Text.Default.Model = backend, model
	require.NoError(t, cfg.Validate())
	return cfg
}
