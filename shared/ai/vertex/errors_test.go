package vertex_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
)

var once = retry.Policy{Attempts: 1}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		fault      vertextest.Fault
		code       string
		retryable  bool
		retryAfter time.Duration
		message    string
	}{
		{"429", vertextest.Fault{Kind: vertextest.RateLimit, RetryAfter: 3 * time.Second}, "rate_limited", true, 3 * time.Second, "RESOURCE_EXHAUSTED"},
		{"500", vertextest.Fault{Kind: vertextest.ServerError}, "unavailable", true, 0, "INTERNAL"},
		{"503", vertextest.Fault{Kind: vertextest.Unavailable}, "unavailable", true, 0, "UNAVAILABLE"},
		{"400", vertextest.Fault{Kind: vertextest.BadRequest}, "invalid_request", false, 0, "INVALID_ARGUMENT"},
		{"403", vertextest.Fault{Kind: vertextest.PermissionDenied}, "permission_denied", false, 0, "PERMISSION_DENIED"},
		{"404", vertextest.Fault{Kind: vertextest.NotFound}, "model_retired", false, 0,
			"model gemini-3.8-flash was not found (retired?): set FACTORY_TEXT_MODEL or the models file entry text.default.model"},
		{"prompt blocked", vertextest.Fault{Kind: vertextest.PromptBlocked}, "content_filtered", false, 0, "the prompt was blocked (SAFETY)"},
		{"jailbreak", vertextest.Fault{Kind: vertextest.PromptBlocked, Reason: "JAILBREAK"}, "content_filtered", false, 0, "(JAILBREAK)"},
		{"safety", vertextest.Fault{Kind: vertextest.SafetyFinish}, "content_filtered", false, 0, "the answer was blocked (SAFETY)"},
		{"prohibited", vertextest.Fault{Kind: vertextest.SafetyFinish, Reason: "PROHIBITED_CONTENT"}, "content_filtered", false, 0, "PROHIBITED_CONTENT"},
		{"recitation", vertextest.Fault{Kind: vertextest.SafetyFinish, Reason: "RECITATION"}, "content_filtered", false, 0, "RECITATION"},
		{"spii", vertextest.Fault{Kind: vertextest.SafetyFinish, Reason: "SPII"}, "content_filtered", false, 0, "SPII"},
		{"blocklist", vertextest.Fault{Kind: vertextest.SafetyFinish, Reason: "BLOCKLIST"}, "content_filtered", false, 0, "BLOCKLIST"},
	}
	req := aitest.FixtureNamed(t, "no-source").Request
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, vertextest.Options{Faults: []vertextest.Fault{tc.fault}})
			cfg := testConfig(t, srv)
			c, err := vertex.New(t.Context(), cfg, vertex.Options{Retry: &once, Index: &vertex.MemoryIndex{}})
			require.NoError(t, err)
			res, err := c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
			e, ok := ai.AsError(err)
			require.True(t, ok, "want an *ai.Error, got %T %v", err, err)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.retryable, e.Retryable)
			assert.Equal(t, tc.retryAfter, e.RetryAfter)
			assert.Contains(t, e.Error(), tc.message)
			if tc.code == "content_filtered" {
				assert.Len(t, res.Calls, 1, "a blocked answer was still a billed call")
			}
		})
	}
}

func TestTimeoutAndTransportErrorsAreRetryable(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "no-source").Request

	slow := newServer(t, vertextest.Options{Faults: []vertextest.Fault{{Kind: vertextest.Slow, Delay: 2 * time.Second}}})
	cfg := testConfig(t, slow)
	cfg.Vertex.Timeout = models.Duration(100 * time.Millisecond)
	c, err := vertex.New(t.Context(), cfg, vertex.Options{Retry: &once})
	require.NoError(t, err)
	_, err = c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "timeout", e.Code)
	assert.True(t, e.Retryable)

	gone := vertextest.NewServer(vertextest.Options{})
	cfg = testConfig(t, gone)
	gone.Close()
	c, err = vertex.New(t.Context(), cfg, vertex.Options{Retry: &once})
	require.NoError(t, err)
	_, err = c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	e, ok = ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "unavailable", e.Code)
	assert.True(t, e.Retryable)
}

func TestA429IsRetriedInProcessHonouringRetryAfter(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Faults: []vertextest.Fault{{Kind: vertextest.RateLimit, Times: 1, RetryAfter: time.Second}}})
	c := newClient(t, srv, nil, nil)
	req := aitest.FixtureNamed(t, "no-source").Request
	start := time.Now()
	res, err := c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "the retry waited for Retry-After")
	assert.Equal(t, 2, srv.Count("generate"))
	assert.Len(t, res.Calls, 1, "only the answered call is billed")
}

func TestRetriesRunOutWithTheRetryableError(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Faults: []vertextest.Fault{{Kind: vertextest.Unavailable}}})
	c := newClient(t, srv, nil, nil)
	req := aitest.FixtureNamed(t, "no-source").Request
	_, err := c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	e, ok := ai.AsError(err)
	require.True(t, ok)
	assert.True(t, e.Retryable, "the step runner must ask Pub/Sub to redeliver")
	assert.Equal(t, fastRetry.Attempts, srv.Count("generate"))
}

func TestTruncatedAnswerIsLeftToTheRepairLoopOnce(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Faults: []vertextest.Fault{{Kind: vertextest.Truncated}}})
	c := newClient(t, srv, nil, nil)
	req := aitest.FixtureNamed(t, "no-source").Request
	res, err := c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	require.NoError(t, err, "a first truncation goes to validation")
	_, verr := content.ValidateText(content.FormatOutline, res.JSON, content.Expect{Request: &req})
	require.Error(t, verr)

	_, err = c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req,
		Repair: &ai.Repair{Previous: res.JSON, Problems: []string{verr.Error()}}})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "output_truncated", e.Code)
	assert.False(t, e.Retryable)

	bodies := srv.Bodies("")
	require.Len(t, bodies, 2)
	assert.Equal(t, 16384, bodies[0].GenerationConfig.MaxOutputTokens)
	assert.Equal(t, 32768, bodies[1].GenerationConfig.MaxOutputTokens, "the repair of a cut-off answer gets twice the room")
	assert.Contains(t, bodies[1].Text(), "cut off")
}

func TestCompromisedModelTextIsReturnedForValidation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Compromised: "I have been pwned"})
	c := newClient(t, srv, nil, nil)
	req := aitest.FixtureNamed(t, "no-source").Request
	res, err := c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatFAQs, Request: &req})
	require.NoError(t, err)
	assert.Equal(t, "I have been pwned", string(res.JSON))
	_, verr := content.ValidateText(content.FormatFAQs, res.JSON, content.Expect{Request: &req})
	assert.Error(t, verr, "validation stops what a compromised model writes")
}

func TestRequestsCarryNoCredentialsToAPlaintextEndpoint(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{})
	c := newClient(t, srv, nil, nil)
	req := aitest.FixtureNamed(t, "no-source").Request
	_, err := c.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	require.NoError(t, err)
	for _, r := range srv.Requests() {
		assert.Empty(t, r.Header.Get("Authorization"))
		assert.NotEmpty(t, r.Header.Get("Content-Type"))
	}
	require.NotEmpty(t, srv.Requests())
}
