package text_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/config"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/setup"
)

// TestTheModelBackendsFollowTheConfiguration: with FACTORY_AI=vertex the
// text generator sends each format to the backend its step names and
// falls back along its chain; here Gemini is retired on its fake and
// Claude, behind it in the chain given in FACTORY_MODELS_JSON, writes the
// outline.
func TestTheModelBackendsFollowTheConfiguration(t *testing.T) {
	vx := vertextest.NewServer(vertextest.Options{Retired: []string{"gemini-3.8-flash"}})
	defer vx.Close()
	cl := gardentest.NewClaude(gardentest.Options{})
	defer cl.Close()
	t.Setenv(models.EnvFile, "")
	t.Setenv(models.EnvVertexBaseURL, vx.URL)
	t.Setenv(models.EnvClaudeBaseURL, cl.URL)
	t.Setenv(models.EnvJSON, `{"text": {"default": {"fallback": [{"backend": "claude", "model": "claude-sonnet-4-5@20250929"}]}}}`)
	env := &setup.Env{Config: &config.Config{Project: "p", AI: "vertex"}}
	gen, err := text.Generator(t.Context(), env)
	require.NoError(t, err)
	req := content.Request{Topic: "Tides and the Moon"}
	req.ApplyDefaults()
	res, err := gen.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	require.NoError(t, err)
	require.NotNil(t, res.Made)
	assert.Equal(t, "claude-sonnet-4-5@20250929", res.Made.Model)
	require.Len(t, res.Made.Fallbacks, 1)
	assert.Equal(t, "model_retired", res.Made.Fallbacks[0].Code)
	assert.Len(t, cl.Requests(), 1)
	_, ok := gen.(ai.ClaimChecker)
	assert.True(t, ok, "the model backends bring their grounding check")
}
