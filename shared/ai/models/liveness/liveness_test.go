package liveness_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/models/liveness"
)

func config(t *testing.T, vertexURL, ttsAddr string) *models.Config {
	t.Helper()
	env := map[string]string{models.EnvVertexBaseURL: vertexURL, models.EnvTTSEndpoint: ttsAddr, models.EnvTTSInsecure: "true"}
	c, err := models.Load(func(k string) string { return env[k] }, "p")
	require.NoError(t, err)
	return c
}

func byName(rs []liveness.Result) map[string]liveness.Result {
	out := map[string]liveness.Result{}
	for _, r := range rs {
		out[r.Name] = r
	}
	return out
}

func TestCheck(t *testing.T) {
	t.Parallel()
	vx := vertextest.NewServer(vertextest.Options{Retired: []string{"gemini-3.1-flash-image"}})
	defer vx.Close()
	sp := ttstest.NewServer(ttstest.Options{UnknownVoices: []string{"en-US-Chirp3-HD-Puck"}})
	defer sp.Close()
	cfg := config(t, vx.URL, sp.Addr)
	rs := liveness.Check(t.Context(), cfg)
	locales := cfg.TTS.AllLocales()
	require.Len(t, rs, 2+4*len(locales), "two models and four voices of every locale")
	require.Greater(t, len(locales), 30)
	got := byName(rs)
	assert.Equal(t, liveness.OK, got["gemini-3.8-flash"].Status)
	assert.Equal(t, "text", got["gemini-3.8-flash"].Kind)
	assert.Equal(t, liveness.Retired, got["gemini-3.1-flash-image"].Status)
	assert.Contains(t, got["gemini-3.1-flash-image"].Detail, "FACTORY_IMAGE_MODEL")
	assert.Equal(t, liveness.OK, got["en-US-Chirp3-HD-Kore"].Status)
	assert.Equal(t, liveness.Retired, got["en-US-Chirp3-HD-Puck"].Status)
	assert.False(t, liveness.AllOK(rs))
	assert.Equal(t, 2, vx.Count("generate"), "one tiny call per model")
	assert.Len(t, sp.Requests(), 4*len(locales), "one tiny call per voice")
	for _, lang := range []string{"ja", "es", "de", "ar"} {
		locale, voices := cfg.TTS.VoicesFor(lang)
		for _, v := range voices {
			if assert.Contains(t, got, v, "%s's voices are checked", lang) {
				assert.Equal(t, liveness.OK, got[v].Status)
				assert.Contains(t, got[v].Used, "tts.locales", "%s (%s) is spoken with voices the locales table makes", lang, locale)
			}
		}
	}
	assert.Equal(t, "tts.voices.en-US", got["en-US-Chirp3-HD-Kore"].Used)
}

func TestUnreachableServicesAndMissingPrices(t *testing.T) {
	t.Parallel()
	vx := vertextest.NewServer(vertextest.Options{})
	url := vx.URL
	vx.Close()
	sp := ttstest.NewServer(ttstest.Options{})
	defer sp.Close()
	cfg := config(t, url, sp.Addr)
	delete(cfg.Prices, "tts:Chirp3-HD")
	got := byName(liveness.Check(t.Context(), cfg))
	assert.Equal(t, liveness.Unreachable, got["gemini-3.8-flash"].Status)
	assert.Equal(t, liveness.Unreachable, got["gemini-3.1-flash-image"].Status)
	assert.Equal(t, liveness.OK, got["en-US-Chirp3-HD-Kore"].Status)
	assert.Contains(t, got["en-US-Chirp3-HD-Kore"].Detail, "no price: add prices.tts:Chirp3-HD")
}

func TestCheckCoversEveryTextBackend(t *testing.T) {
	t.Parallel()
	const claudeModel, openModel = "claude-sonnet-4-5@20250929", "meta/llama-4-maverick-17b-128e-instruct-maas"
	vx := vertextest.NewServer(vertextest.Options{})
	defer vx.Close()
	cl := gardentest.NewClaude(gardentest.Options{Retired: []string{"claude-retired"}})
	defer cl.Close()
	oa := gardentest.NewOpenAI(gardentest.Options{})
	defer oa.Close()
	sp := ttstest.NewServer(ttstest.Options{})
	defer sp.Close()
	cfg := config(t, vx.URL, sp.Addr)
	cfg.Claude.BaseURL, cfg.OpenAI.BaseURL = cl.URL, oa.URL
	cfg.Text.Default.Fallback = []models.Step{{Backend: models.TextClaude, Model: claudeModel}}
	cfg.Text.Steps["quiz"] = models.Step{Backend: models.TextOpenAI, Model: openModel,
		Fallback: []models.Step{{Backend: models.TextClaude, Model: "claude-retired"}}}
	require.NoError(t, cfg.Validate())

	rs := liveness.Check(t.Context(), cfg)
	got := byName(rs)
	assert.Equal(t, liveness.OK, got["gemini-3.8-flash"].Status)
	assert.Equal(t, models.TextGemini, got["gemini-3.8-flash"].Backend)
	assert.Equal(t, liveness.OK, got[claudeModel].Status, got[claudeModel].Detail)
	assert.Equal(t, models.TextClaude, got[claudeModel].Backend)
	assert.Contains(t, got[claudeModel].Used, "text.default.fallback[0]")
	assert.Empty(t, got[claudeModel].Detail, "the model has a price")
	assert.Equal(t, liveness.OK, got[openModel].Status, got[openModel].Detail)
	assert.Equal(t, models.TextOpenAI, got[openModel].Backend)
	assert.Equal(t, "text.steps.quiz", got[openModel].Used)
	assert.Equal(t, liveness.Retired, got["claude-retired"].Status)
	assert.Contains(t, got["claude-retired"].Detail, "text.steps.quiz.fallback[0]", "names the setting to change")
	assert.False(t, liveness.AllOK(rs))
	assert.Len(t, cl.Requests(), 2, "one tiny call per Claude model")
	assert.Len(t, oa.Requests(), 1, "one tiny call per open model")
}
