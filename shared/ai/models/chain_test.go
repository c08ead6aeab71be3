package models_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
)

// load reads a models file over the defaults.
func load(t *testing.T, file string) (*models.Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))
	return models.Load(env(map[string]string{models.EnvFile: path}), "proj")
}

func TestBackendsAndFallbackChains(t *testing.T) {
	t.Parallel()
	c, err := load(t, `{"text": {
		"default": {"fallback": [{"backend": "claude", "model": "claude-sonnet-4-5@20250929"}]},
		"steps": {
			"quiz": {"backend": "openai", "model": "meta/llama-4-maverick-17b-128e-instruct-maas", "fallback": []},
			"faqs": {"fallback": [{"backend": "openai", "model": "meta/llama-4-maverick-17b-128e-instruct-maas", "max_output_tokens": 4000}]}
		}}}`)
	require.NoError(t, err)

	outline := c.Text.Chain(content.FormatOutline)
	require.Len(t, outline, 2)
	assert.Equal(t, models.TextGemini, outline[0].BackendName())
	assert.Equal(t, "gemini-3.8-flash", outline[0].Model)
	assert.Equal(t, "MEDIUM", outline[0].ThinkingLevel)
	assert.Equal(t, models.TextClaude, outline[1].BackendName())
	assert.Equal(t, "claude-sonnet-4-5@20250929", outline[1].Model)
	assert.Equal(t, outline[0].MaxOutputTokens, outline[1].MaxOutputTokens, "a fallback inherits what it leaves unset")
	assert.Nil(t, outline[1].Fallback)

	quiz := c.Text.Chain(content.FormatQuiz)
	require.Len(t, quiz, 1, "an empty fallback list replaces the default's")
	assert.Equal(t, models.TextOpenAI, quiz[0].BackendName())

	faqs := c.Text.Chain(content.FormatFAQs)
	require.Len(t, faqs, 2)
	assert.Equal(t, int32(4000), faqs[1].MaxOutputTokens)
	assert.Equal(t, "the models file entry text.steps.faqs.fallback[0].model", c.Text.ChainSetting(content.FormatFAQs, 1))
	assert.Equal(t, "the models file entry text.default.fallback[0].model", c.Text.ChainSetting(content.FormatOutline, 1))

	var names []string
	for _, m := range c.TextModels() {
		names = append(names, m.Backend+":"+m.Model)
	}
	assert.Equal(t, []string{"gemini:gemini-3.8-flash", "claude:claude-sonnet-4-5@20250929", "openai:meta/llama-4-maverick-17b-128e-instruct-maas"}, names)

	step, ok := c.Text.CheckStep(content.FormatQuiz)
	require.True(t, ok)
	assert.Equal(t, "gemini-3.8-flash", step.Model, "a format no Gemini model writes is checked by the Gemini default")
}

func TestBadBackendsAreRefused(t *testing.T) {
	t.Parallel()
	for name, file := range map[string]string{
		"unknown backend":         `{"text": {"steps": {"quiz": {"backend": "bedrock", "model": "x"}}}}`,
		"fallback without model":  `{"text": {"default": {"fallback": [{"backend": "claude"}]}}}`,
		"nested fallback":         `{"text": {"default": {"fallback": [{"backend": "claude", "model": "c", "fallback": [{"model": "d"}]}]}}}`,
		"backend without a model": `{"text": {"steps": {"quiz": {"backend": "claude"}}}}`,
		"base url":                `{"claude": {"base_url": "localhost:1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, file)
			require.Error(t, err)
		})
	}
}

func TestJSONInTheEnvironmentIsMergedLikeTheFile(t *testing.T) {
	t.Parallel()
	c, err := models.Load(env(map[string]string{
		models.EnvJSON:      `{"text": {"default": {"fallback": [{"backend": "claude", "model": "claude-sonnet-4-5@20250929"}]}}}`,
		models.EnvTextModel: "gemini-3.7-flash",
	}), "proj")
	require.NoError(t, err)
	chain := c.Text.Chain(content.FormatFAQs)
	require.Len(t, chain, 2)
	assert.Equal(t, "gemini-3.7-flash", chain[0].Model, "the single-setting variables come last")
	assert.Equal(t, "claude-sonnet-4-5@20250929", chain[1].Model)

	_, err = models.Load(env(map[string]string{models.EnvJSON: `{"text": {"defualt": {}}}`}), "proj")
	require.ErrorContains(t, err, models.EnvJSON, "a typo names the variable")
}
