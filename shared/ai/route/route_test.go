package route_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/claude"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/openaicompat"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/route"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

const (
	gemini     = "gemini-3.8-flash"
	claudeID   = "claude-sonnet-4-5@20250929"
	openModel  = "meta/llama-4-maverick-17b-128e-instruct-maas"
	retryTimes = 3
)

var fastRetry = retry.Policy{Attempts: retryTimes, Base: time.Millisecond, Cap: 5 * time.Millisecond}

// stack is a router over the three backends, each against its fake, with
// the default chain Gemini → Claude → the OpenAI-compatible model.
type stack struct {
	router         *route.Router
	gemini         *vertextest.Server
	claude, openai *gardentest.Server
	cfg            *models.Config
}

func newStack(t *testing.T, vopts vertextest.Options, copts gardentest.Options) *stack {
	t.Helper()
	s := &stack{gemini: vertextest.NewServer(vopts), claude: gardentest.NewClaude(copts), openai: gardentest.NewOpenAI(gardentest.Options{})}
	t.Cleanup(s.gemini.Close)
	t.Cleanup(s.claude.Close)
	t.Cleanup(s.openai.Close)
	env := map[string]string{models.EnvVertexBaseURL: s.gemini.URL, models.EnvClaudeBaseURL: s.claude.URL, models.EnvOpenAIBaseURL: s.openai.URL}
	cfg, err := models.Load(func(k string) string { return env[k] }, "test-project")
	require.NoError(t, err)
	cfg.Text.Default.Fallback = []models.Step{{Backend: models.TextClaude, Model: claudeID}, {Backend: models.TextOpenAI, Model: openModel}}
	require.NoError(t, cfg.Validate())
	s.cfg = cfg
	vc, err := vertex.New(t.Context(), cfg, vertex.Options{Index: &vertex.MemoryIndex{}, Retry: &fastRetry})
	require.NoError(t, err)
	cc, err := claude.New(t.Context(), cfg, claude.Options{Retry: &fastRetry})
	require.NoError(t, err)
	oc, err := openaicompat.New(t.Context(), cfg, openaicompat.Options{Retry: &fastRetry})
	require.NoError(t, err)
	s.router = &route.Router{Config: cfg, Checker: vc, Backends: map[string]route.StepGenerator{
		models.TextGemini: vc, models.TextClaude: cc, models.TextOpenAI: oc}}
	return s
}

// outline asks the router for the photosynthesis fixture's outline.
func (s *stack) outline(t *testing.T) (ai.TextResult, error) {
	t.Helper()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	res, err := s.router.GenerateText(t.Context(), ai.TextRequest{JobID: "job-1", Format: content.FormatOutline, Request: &req})
	if err == nil {
		_, verr := content.ValidateText(content.FormatOutline, res.JSON, content.Expect{Request: &req, Passages: content.PassagesOf(content.TextSources(&req))})
		require.NoError(t, verr, "%s", res.JSON)
	}
	return res, err
}

func TestConfiguredModelWritesWithoutFallback(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1}, gardentest.Options{})
	res, err := s.outline(t)
	require.NoError(t, err)
	require.NotNil(t, res.Made)
	assert.Equal(t, ai.Made{Backend: models.TextGemini, Model: gemini}, *res.Made)
	assert.Empty(t, s.claude.Requests())
}

// claudeWroteAfterGemini checks that Claude wrote the document after
// Gemini, the one model before it, failed with code; it returns that
// failure.
func claudeWroteAfterGemini(t *testing.T, res ai.TextResult, code string) ai.Fallback {
	t.Helper()
	require.NotNil(t, res.Made)
	assert.Equal(t, models.TextClaude, res.Made.Backend)
	assert.Equal(t, claudeID, res.Made.Model)
	require.Len(t, res.Made.Fallbacks, 1)
	fb := res.Made.Fallbacks[0]
	assert.Equal(t, models.TextGemini, fb.Backend)
	assert.Equal(t, gemini, fb.Model)
	assert.Equal(t, code, fb.Code)
	return fb
}

func TestFallbackOnRetiredModel(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1, Retired: []string{gemini}}, gardentest.Options{Seed: 1})
	res, err := s.outline(t)
	require.NoError(t, err)
	fb := claudeWroteAfterGemini(t, res, "model_retired")
	assert.Contains(t, fb.Message, "text.default.model")
	assert.Equal(t, 1, s.gemini.Count("generate"), "a retired model is not retried")
	assert.Len(t, s.claude.Requests(), 1)
	require.Len(t, res.Calls, 1, "the 404 is not billed; Claude's call is")
	assert.Equal(t, claude.Backend, res.Calls[0].Backend)
	assert.Positive(t, res.Calls[0].CostUSD)
}

func TestFallbackOnUnavailableAfterRetries(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1, Faults: []vertextest.Fault{{Kind: vertextest.Unavailable, Model: gemini}}}, gardentest.Options{Seed: 1})
	res, err := s.outline(t)
	require.NoError(t, err)
	claudeWroteAfterGemini(t, res, "unavailable")
	assert.Equal(t, retryTimes, s.gemini.Count("generate"), "Gemini's retries are spent before the fallback")
	assert.Len(t, s.claude.Requests(), 1)
}

func TestFallbackOnContentFiltered(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1, Faults: []vertextest.Fault{{Kind: vertextest.SafetyFinish, Model: gemini}}}, gardentest.Options{Seed: 1})
	res, err := s.outline(t)
	require.NoError(t, err)
	claudeWroteAfterGemini(t, res, "content_filtered")
	require.Len(t, res.Calls, 2, "the blocked answer was billed, and is counted")
	assert.Equal(t, models.BackendVertex, res.Calls[0].Backend)
	assert.Equal(t, claude.Backend, res.Calls[1].Backend)
}

func TestChainWalksOnToTheLastModel(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1, Retired: []string{gemini}},
		gardentest.Options{Faults: []vertextest.Fault{{Kind: vertextest.SafetyFinish}}})
	res, err := s.outline(t)
	require.NoError(t, err)
	require.NotNil(t, res.Made)
	assert.Equal(t, ai.Made{Backend: models.TextOpenAI, Model: openModel, Fallbacks: []ai.Fallback{
		{Backend: models.TextGemini, Model: gemini, Code: "model_retired", Message: res.Made.Fallbacks[0].Message},
		{Backend: models.TextClaude, Model: claudeID, Code: "content_filtered", Message: res.Made.Fallbacks[1].Message},
	}}, *res.Made)
	assert.Len(t, s.openai.Requests(), 1)
}

func TestOtherFailuresDoNotFallBack(t *testing.T) {
	t.Parallel()
	for _, kind := range []vertextest.FaultKind{vertextest.PermissionDenied, vertextest.BadRequest, vertextest.RateLimit} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vertextest.Options{Seed: 1, Faults: []vertextest.Fault{{Kind: kind, RetryAfter: -1}}}, gardentest.Options{})
			_, err := s.outline(t)
			_, ok := failure.As(err)
			require.True(t, ok, "%v", err)
			assert.Empty(t, s.claude.Requests(), "%s is not a reason to fall back", kind)
		})
	}
}

func TestLastModelsFailureIsTheSteps(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1, Retired: []string{gemini}}, gardentest.Options{Retired: []string{claudeID}})
	s.openai.Retire(openModel)
	_, err := s.outline(t)
	e, ok := failure.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "model_retired", e.Code)
	assert.Contains(t, e.Error(), openModel)
	assert.Contains(t, e.Error(), "text.default.fallback[1].model", "names the setting of the model that failed last")
	assert.Contains(t, e.Error(), "tried before it: gemini "+gemini+" (model_retired), claude "+claudeID+" (model_retired)")
}

func TestNotApplicableIsNoFallback(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1}, gardentest.Options{})
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	outline, err := s.outline(t)
	require.NoError(t, err)
	o, err := content.Decode[content.Outline](content.FormatOutline, outline.JSON, content.Expect{Request: &req, Passages: content.PassagesOf(content.TextSources(&req))})
	require.NoError(t, err)
	_, err = s.router.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatTimeline, Request: &req, Outline: o})
	_, ok := failure.AsNotApplicable(err)
	require.True(t, ok, "%v", err)
	assert.Empty(t, s.claude.Requests())
}

func TestGroundingCheckUsesGeminiOrTheOfflineScore(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1}, gardentest.Options{})
	claims := []content.Claim{{ID: "c1", Text: "Plants make sugar from light.", Citations: []string{"p1"}}}
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	res, err := s.router.CheckClaims(t.Context(), ai.CheckRequest{Format: content.FormatFAQs, Claims: claims, Sources: content.TextSources(&req)})
	require.NoError(t, err)
	assert.Equal(t, vertex.CheckerName+":"+gemini, res.Checker)

	s.cfg.Text.Default = models.Step{Backend: models.TextClaude, Model: claudeID, MaxOutputTokens: 1000}
	res, err = s.router.CheckClaims(t.Context(), ai.CheckRequest{Format: content.FormatFAQs, Claims: claims, Sources: content.TextSources(&req)})
	require.NoError(t, err)
	assert.NotContains(t, res.Checker, "gemini", "no Gemini model writes the format: the offline score checks it")
	assert.Empty(t, res.Calls)
}

func TestGroundingCheckFallsBackToTheOfflineScore(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1, Retired: []string{gemini}}, gardentest.Options{})
	claims := []content.Claim{{ID: "c1", Text: "Plants make sugar from light.", Citations: []string{"p1"}}}
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	res, err := s.router.CheckClaims(t.Context(), ai.CheckRequest{Format: content.FormatFAQs, Claims: claims, Sources: content.TextSources(&req)})
	require.NoError(t, err, "a retired check model is no reason to fail the step")
	assert.NotContains(t, res.Checker, "gemini")
	require.Len(t, res.Verdicts, 1)
	assert.Equal(t, 1, s.gemini.Count("generate"), "the Gemini check was asked once")

	s = newStack(t, vertextest.Options{Seed: 1, Faults: []vertextest.Fault{{Kind: vertextest.PermissionDenied}}}, gardentest.Options{})
	_, err = s.router.CheckClaims(t.Context(), ai.CheckRequest{Format: content.FormatFAQs, Claims: claims, Sources: content.TextSources(&req)})
	require.Error(t, err, "what is no trigger for a document's fallback is none for the check's")
}

func TestAStoppedStepDoesNotFallBack(t *testing.T) {
	t.Parallel()
	s := newStack(t, vertextest.Options{Seed: 1}, gardentest.Options{})
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.router.GenerateText(ctx, ai.TextRequest{Format: content.FormatOutline, Request: &req})
	e, ok := failure.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "unavailable", e.Code, "a stopped call is unavailable, a trigger")
	assert.NotContains(t, e.Error(), "tried before it", "a stopped step falls back to no other model")
}
