package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

// TestAFallbackModelWritesWhenGeminiIsRetired runs a job with sources
// through the local stack, its text model retired on the Vertex fake and
// Claude behind it in the chain the deployment gives (FACTORY_MODELS_JSON):
// every text step succeeds, written by Claude on its fake, and the job
// detail and the manifest say so and why.
func TestAFallbackModelWritesWhenGeminiIsRetired(t *testing.T) {
	const gemini, claude = "gemini-3.8-flash", "claude-sonnet-4-5@20250929"
	s := stacktest.Start(t, devstack.Options{AI: "vertex", FakeAI: true,
		Env: []string{`FACTORY_MODELS_JSON={"text": {"default": {"fallback": [{"backend": "claude", "model": "` + claude + `"}]}}}`}})
	s.Stack.Vertex.Retire(gemini)

	id := s.Submit(t, map[string]any{"topic": "Tides and the Moon", "formats": []string{"outline", "faqs", "package"},
		"source_text": "The Moon's gravity pulls the oceans toward it, raising a bulge of water on the side facing the Moon.\n\n" +
			"A second bulge forms on the far side, so most coasts see two high tides and two low tides every day."})
	j := s.Wait(t, id, 3*time.Minute)
	require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
	for _, f := range []content.Format{content.FormatOutline, content.FormatFAQs} {
		st, ok := j.Step(f)
		require.True(t, ok, f)
		require.NotNil(t, st.Model, f)
		assert.Equal(t, "claude", st.Model.Backend, f)
		assert.Equal(t, claude, st.Model.Model, f)
		require.Len(t, st.Model.Fallbacks, 1, f)
		assert.Equal(t, client.StepFallback{Backend: "gemini", Model: gemini, Code: "model_retired", Message: st.Model.Fallbacks[0].Message}, st.Model.Fallbacks[0])
		assert.Positive(t, st.Usage.CostUSD, "%s: Claude's calls are priced", f)
	}
	assert.NotEmpty(t, s.Stack.Claude.Requests())

	var manifest struct {
		Steps []struct {
			Name  string `json:"name"`
			Model *struct {
				Model string `json:"model"`
			} `json:"model"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(s.Artifact(t, id, "manifest.json"), &manifest))
	models := map[string]string{}
	for _, st := range manifest.Steps {
		if st.Model != nil {
			models[st.Name] = st.Model.Model
		}
	}
	assert.Equal(t, map[string]string{"outline": claude, "faqs": claude}, models)
}
