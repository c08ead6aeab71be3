package text_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/claude"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/openaicompat"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/route"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/quality"
)

// TestTheStepRecordsTheModelThatWroteItAndWhy runs the outline step of a
// job whose Gemini model is retired, with Claude as its fallback, through
// the Executor and the step runner against the Firestore emulator: the
// step and its version record say Claude wrote the document and that
// Gemini was retired.
func TestTheStepRecordsTheModelThatWroteItAndWhy(t *testing.T) {
	const gemini, claudeModel = "gemini-3.8-flash", "claude-sonnet-4-5@20250929"
	vsrv := vertextest.NewServer(vertextest.Options{Seed: 2, Retired: []string{gemini}})
	t.Cleanup(vsrv.Close)
	csrv := gardentest.NewClaude(gardentest.Options{Seed: 2})
	t.Cleanup(csrv.Close)
	env := map[string]string{models.EnvVertexBaseURL: vsrv.URL, models.EnvClaudeBaseURL: csrv.URL}
	cfg, err := models.Load(func(k string) string { return env[k] }, "test-project")
	require.NoError(t, err)
	cfg.Text.Default.Fallback = []models.Step{{Backend: models.TextClaude, Model: claudeModel}}
	fast := &retry.Policy{Attempts: 2, Base: time.Millisecond, Cap: 5 * time.Millisecond}
	vc, err := vertex.New(t.Context(), cfg, vertex.Options{Index: &vertex.MemoryIndex{}, Retry: fast})
	require.NoError(t, err)
	cc, err := claude.New(t.Context(), cfg, claude.Options{Retry: fast})
	require.NoError(t, err)
	gen := &route.Router{Config: cfg, Checker: vc, Backends: map[string]route.StepGenerator{models.TextGemini: vc, models.TextClaude: cc}}

	outline := runOutline(t, text.Executor{Gen: gen, Checker: text.CheckerFor(gen), MaxRepairs: 2})
	require.Equal(t, pipeline.StepSucceeded, outline.Status, "error: %+v", outline.Error)
	require.NotNil(t, outline.Model)
	assert.Equal(t, models.TextClaude, outline.Model.Backend)
	assert.Equal(t, claudeModel, outline.Model.Model)
	require.Len(t, outline.Model.Fallbacks, 1)
	assert.Equal(t, gemini, outline.Model.Fallbacks[0].Model)
	assert.Equal(t, "model_retired", outline.Model.Fallbacks[0].Code)
	require.NotEmpty(t, outline.Versions)
	assert.Equal(t, outline.Model, outline.Versions[len(outline.Versions)-1].Model, "the version record keeps it too")
	require.NotEmpty(t, outline.Calls)
	assert.Equal(t, claude.Backend, outline.Calls[0].Backend)
	assert.Positive(t, outline.Usage.CostUSD)
}

// TestTheRepairLoopServesEveryBackend writes a one-pager through the
// Writer with Claude and with an open model, each against its fake
// answering malformed JSON once: the answer goes back with the
// validator's findings through the shared repair prompt, and a later
// answer is the document, made by the step's model.
func TestTheRepairLoopServesEveryBackend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		backend, model string
		start          func(gardentest.Options) *gardentest.Server
		gen            func(t *testing.T, cfg *models.Config) ai.TextGenerator
	}{
		{models.TextClaude, "claude-sonnet-4-5@20250929", gardentest.NewClaude, func(t *testing.T, cfg *models.Config) ai.TextGenerator {
			c, err := claude.New(t.Context(), cfg, claude.Options{Retry: &gardentest.FastRetry})
			require.NoError(t, err)
			return c
		}},
		{models.TextOpenAI, "meta/llama-4-maverick-17b-128e-instruct-maas", gardentest.NewOpenAI, func(t *testing.T, cfg *models.Config) ai.TextGenerator {
			c, err := openaicompat.New(t.Context(), cfg, openaicompat.Options{Retry: &gardentest.FastRetry})
			require.NoError(t, err)
			return c
		}},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			t.Parallel()
			srv := tc.start(gardentest.Options{Seed: 4, Faults: []vertextest.Fault{{Kind: vertextest.Malformed, Times: 1}}})
			t.Cleanup(srv.Close)
			gen := tc.gen(t, gardentest.Config(t, srv, tc.backend, tc.model))
			w, err := text.Writer{Gen: gen, Checker: quality.Lexical{}, MaxRepairs: 2, Canary: guard.NewCanary("test-secret")}.Write(t.Context(), draft(t))
			require.NoError(t, err)
			assert.GreaterOrEqual(t, w.Rounds, 2, "the malformed answer and its repair (and any repair of what the grounding check found)")
			require.NotNil(t, w.Made)
			assert.Equal(t, ai.Made{Backend: tc.backend, Model: tc.model}, *w.Made)
			require.Len(t, w.Calls, w.Rounds, "one billed call per answer")
			for _, c := range w.Calls {
				assert.Equal(t, tc.backend, c.Backend)
				assert.Positive(t, c.CostUSD)
			}
			rs := srv.Requests()
			require.Len(t, rs, w.Rounds)
			assert.NotContains(t, string(rs[0].Body), "failed validation")
			assert.Contains(t, string(rs[1].Body), "failed validation", "the repair prompt carries the findings")
			assert.Contains(t, string(rs[1].Body), "Sure! Here is the document you asked for", "and the previous answer")
		})
	}
}
