package models_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := models.Load(env(nil), "proj")
	require.NoError(t, err)
	assert.Equal(t, "proj", c.Vertex.Project)
	assert.Equal(t, "global", c.Vertex.Location)
	assert.Equal(t, "gemini-3.8-flash", c.Text.Default.Model)
	assert.Equal(t, "MEDIUM", c.Text.For(content.FormatOutline).ThinkingLevel)
	for _, f := range content.TextFormats()[1:] {
		s := c.Text.For(f)
		assert.Equal(t, "LOW", s.ThinkingLevel, f)
		assert.Equal(t, "gemini-3.8-flash", s.Model, f)
		assert.Positive(t, s.MaxOutputTokens, f)
		require.NotNil(t, s.Temperature)
	}
	assert.Equal(t, int32(32768), c.Text.For(content.FormatPodcastScript).MaxOutputTokens)
	assert.Equal(t, "gemini-3.1-flash-image", c.Image.Model)
	assert.Equal(t, time.Hour, c.Text.CacheTTL.D())
	assert.Equal(t, 8000, c.Text.CacheMinTokens)
	assert.Equal(t, 4800, c.TTS.MaxRequestBytes)
	assert.False(t, c.Vertex.Plaintext())
	text, img := c.Models()
	for _, m := range append(text, img) {
		_, ok := c.Prices[m]
		assert.True(t, ok, "the default model %s has a price", m)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Parallel()
	c, err := models.Load(env(map[string]string{
		models.EnvTextModel:      "gemini-3.7-flash",
		models.EnvImageModel:     "gemini-3-pro-image",
		models.EnvVertexProject:  "other",
		models.EnvVertexLocation: "europe-west4",
		models.EnvVertexBaseURL:  "http://127.0.0.1:9999",
		models.EnvTTSEndpoint:    "127.0.0.1:9998",
		models.EnvTTSInsecure:    "true",
	}), "proj")
	require.NoError(t, err)
	assert.Equal(t, "gemini-3.7-flash", c.Text.For(content.FormatFAQs).Model)
	assert.Equal(t, "gemini-3-pro-image", c.Image.Model)
	assert.Equal(t, "other", c.Vertex.Project)
	assert.Equal(t, "europe-west4", c.Vertex.Location)
	assert.True(t, c.Vertex.Plaintext())
	assert.Equal(t, "127.0.0.1:9998", c.TTS.Endpoint)
	assert.True(t, c.TTS.Insecure)

	_, err = models.Load(env(map[string]string{models.EnvTTSInsecure: "maybe"}), "proj")
	assert.ErrorContains(t, err, "FACTORY_TTS_INSECURE")
}

func TestModelsFileMergesOverTheDefaults(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(path, []byte(`{
		"text": {"steps": {"faqs": {"model": "gemini-3.5-flash-lite", "thinking_level": "MINIMAL"}}},
		"tts": {"voices": {"de-DE": ["de-DE-Chirp3-HD-Kore", "de-DE-Chirp3-HD-Charon", "de-DE-Chirp3-HD-Leda", "de-DE-Chirp3-HD-Orus"]}},
		"prices": {"gemini-3.5-flash-lite": {"input_per_mtok": 0.1}}
	}`), 0o600))
	c, err := models.Load(env(map[string]string{models.EnvFile: path}), "proj")
	require.NoError(t, err)
	assert.Equal(t, "gemini-3.5-flash-lite", c.Text.For(content.FormatFAQs).Model)
	assert.Equal(t, "MINIMAL", c.Text.For(content.FormatFAQs).ThinkingLevel)
	assert.Equal(t, "MEDIUM", c.Text.For(content.FormatOutline).ThinkingLevel, "other entries are kept")
	assert.Len(t, c.TTS.Voices, 2, "maps merge key by key")
	assert.InDelta(t, 0.1, c.Prices["gemini-3.5-flash-lite"].InputPerMTok, 1e-12)
	assert.Contains(t, c.Prices, "gemini-3.8-flash")
	assert.Equal(t, "the models file entry text.steps.faqs.model", c.Text.ModelSetting(content.FormatFAQs))
	assert.Equal(t, "FACTORY_TEXT_MODEL or the models file entry text.default.model", c.Text.ModelSetting(content.FormatOutline))

	require.NoError(t, os.WriteFile(path, []byte(`{"text": {"defualt": {}}}`), 0o600))
	_, err = models.Load(env(map[string]string{models.EnvFile: path}), "proj")
	assert.ErrorContains(t, err, `unknown field "defualt"`, "typos are caught")

	_, err = models.Load(env(map[string]string{models.EnvFile: filepath.Join(t.TempDir(), "none.json")}), "proj")
	assert.ErrorContains(t, err, "FACTORY_MODELS")
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := models.Defaults()
	c.Text.Default.Model = ""
	c.Text.Steps["outline"] = models.Step{ThinkingLevel: "EXTREME"}
	c.Text.Steps["cover"] = models.Step{}
	c.TTS.MaxRequestBytes = 6000
	c.TTS.Voices["fr-FR"] = []string{"fr-FR-Chirp3-HD-Kore", "fr-FR-Chirp3-HD-Kore"}
	c.TTS.WordsPerMinute = map[string]float64{"Chirp3-HD": 20}
	err := c.Validate()
	require.Error(t, err)
	for _, want := range []string{
		"vertex.project is empty: set FACTORY_VERTEX_PROJECT or GOOGLE_CLOUD_PROJECT",
		"text.default.model is empty: set FACTORY_TEXT_MODEL",
		`text.steps.outline.thinking_level "EXTREME"`,
		"text.steps.cover: not a text format",
		"tts.max_request_bytes must be between 200 and 5000",
		"tts.voices.fr-FR needs at least 4 distinct voices",
		"tts.words_per_minute.default must be set",
		"tts.words_per_minute.Chirp3-HD must be between 60 and 400",
	} {
		assert.ErrorContains(t, err, want)
	}
}

func TestVoicesFor(t *testing.T) {
	t.Parallel()
	c := models.Defaults()
	loc, vs := c.TTS.VoicesFor("en-US")
	assert.Equal(t, "en-US", loc)
	assert.Equal(t, []string{"en-US-Chirp3-HD-Kore", "en-US-Chirp3-HD-Charon", "en-US-Chirp3-HD-Aoede", "en-US-Chirp3-HD-Puck"}, vs)
	loc, vs = c.TTS.VoicesFor("ja")
	assert.Equal(t, "ja-JP", loc)
	assert.Equal(t, "ja-JP-Chirp3-HD-Kore", vs[0])
	for lang, want := range map[string]string{
		"pt-PT": "pt-BR", // a region without voices: its language's locale
		"es-MX": "es-ES",
		"es-US": "es-US", // a region with voices of its own
		"en-GB": "en-GB",
		"zh-TW": "cmn-CN",
		"ar-EG": "ar-XA",
	} {
		loc, vs = c.TTS.VoicesFor(lang)
		assert.Equal(t, want, loc, lang)
		assert.Len(t, vs, 4, lang)
	}
	for _, lang := range []string{"he", "he-IL", "sw-KE", "xx"} {
		_, vs = c.TTS.VoicesFor(lang)
		assert.Empty(t, vs, "%s has no voice", lang)
		_, ok := c.TTS.Speaks(lang, 2)
		assert.False(t, ok, lang)
	}
}

// TestEveryConfiguredLanguageHasDistinctVoices picks the voices of every
// language the defaults configure: four distinct Chirp 3 HD voices of
// its locale, one per speaker.
func TestEveryConfiguredLanguageHasDistinctVoices(t *testing.T) {
	t.Parallel()
	c := models.Defaults()
	langs := slices.Collect(maps.Keys(c.TTS.Locales))
	langs = append(langs, slices.Collect(maps.Keys(c.TTS.Voices))...)
	require.Greater(t, len(langs), 30)
	for _, lang := range langs {
		loc, vs := c.TTS.VoicesFor(lang)
		assert.Len(t, vs, content.MaxSpeakers, lang)
		assert.Len(t, slices.Compact(slices.Sorted(slices.Values(vs))), len(vs), "%s: one distinct voice per speaker", lang)
		for _, v := range vs {
			assert.True(t, strings.HasPrefix(v, loc+"-Chirp3-HD-"), "%s: %s is a Chirp 3 HD voice of %s", lang, v, loc)
		}
		got, ok := c.TTS.Speaks(lang, content.MaxSpeakers)
		assert.True(t, ok, lang)
		assert.Equal(t, loc, got)
		assert.Contains(t, c.TTS.AllLocales(), loc)
	}
}

func TestPace(t *testing.T) {
	t.Parallel()
	c := models.Defaults()
	assert.Equal(t, []float64{155, 155}, c.Pace("en-US", 2).WordsPerMinute, "the default figure for every voice")
	c.TTS.WordsPerMinute = map[string]float64{"default": 150, "Chirp3-HD": 160, "en-US-Chirp3-HD-Charon": 140}
	c.TTS.SpeakingRate = 1.25
	p := c.Pace("en-US", 3)
	assert.Equal(t, []float64{200, 175, 200}, p.WordsPerMinute, "a voice's own figure before its model's, at the speaking rate")
	assert.Zero(t, p.PerLine, "Cloud TTS parts are joined without a pause")
	c.TTS.WordsPerMinute = map[string]float64{"default": 150}
	assert.Equal(t, []float64{187.5}, c.Pace("ja", 0).WordsPerMinute, "one speaker at least")
}

func TestCost(t *testing.T) {
	t.Parallel()
	c := models.Defaults()
	// 10,000 prompt tokens of which 8,000 cached, 1,000 output, 500 thinking.
	text := ai.Call{Backend: "vertex", Model: "gemini-3.8-flash", PromptTokens: 10_000, CachedTokens: 8_000, OutputTokens: 1_000, ThinkingTokens: 500}
	assert.InDelta(t, 2000*0.50/1e6+8000*0.05/1e6+1500*3.00/1e6, c.Cost(text), 1e-12, "thinking is billed as output")
	img := ai.Call{Backend: "vertex", Model: "gemini-3.1-flash-image", PromptTokens: 1000, OutputTokens: 1300, Images: 1}
	assert.InDelta(t, 1000*0.30/1e6+0.039, c.Cost(img), 1e-12, "the per-image price covers the image's tokens")
	speech := ai.Call{Backend: "tts", Model: "en-US-Chirp3-HD-Kore", Characters: 4000}
	assert.InDelta(t, 4000*30.0/1e6, c.Cost(speech), 1e-12)
	assert.InDelta(t, 4000*4.0/1e6, c.Cost(ai.Call{Backend: "tts", Model: "de-DE-Standard-A", Characters: 4000}), 1e-12)
	assert.Zero(t, c.Cost(ai.Call{Backend: "vertex", Model: "unknown-model", PromptTokens: 100}))
	assert.Equal(t, "Chirp3-HD", models.VoiceFamily("cmn-CN-Chirp3-HD-Kore"))
	assert.Equal(t, "Neural2", models.VoiceFamily("en-US-Neural2-F"))
	assert.InDelta(t, c.Cost(text), c.Priced(text).CostUSD, 1e-15)
}
