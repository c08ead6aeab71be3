package models_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
)

// request is a request for exactly these formats (none of the steps they
// depend on), in English, with a five-minute podcast.
func request(formats ...content.Format) *content.Request {
	return &content.Request{Topic: "Tides", Language: "en-US", Formats: formats, Podcast: &content.PodcastOptions{TargetMinutes: 5}}
}

func TestEstimatePricesTheExpectedCallsWithTheTable(t *testing.T) {
	t.Parallel()
	c, err := models.Load(env(nil), "proj")
	require.NoError(t, err)
	const flashIn, flashOut = 0.50 / 1e6, 3.00 / 1e6
	tests := []struct {
		name string
		req  *content.Request
		want float64
	}{
		// 2000 tokens of instructions and 2 of topic in; a 2000-token
		// outline and 1000 of thinking out.
		{"outline", request(content.FormatOutline), 2002*flashIn + 3000*flashOut},
		// A derived format reads the outline too.
		{"faqs", request(content.FormatFAQs), 3502*flashIn + 3000*flashOut},
		// The script grows with its target minutes: 300 + 250 a minute.
		{"podcast script", request(content.FormatPodcastScript), 3502*flashIn + (1300+5*250)*flashOut},
		{"cover", request(content.FormatImage), 600*0.30/1e6 + 0.039},
		// 900 characters a minute of Chirp 3 HD at $30 a million.
		{"five minutes of speech", request(content.FormatAudio), 5 * 900 * 30.0 / 1e6},
		{"the package is free", request(content.FormatPackage), 0},
		// Reading the sources calls no model.
		{"the sources step is free", request(content.FormatSources), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.InDelta(t, tt.want, c.Estimate(tt.req), 1e-12)
		})
	}
}

// Text sources count as they are; an upload or a link, unknown until it
// is read, as a typical document of 30,000 characters (7,500 tokens).
func TestEstimateCountsEverySource(t *testing.T) {
	t.Parallel()
	c, err := models.Load(env(nil), "proj")
	require.NoError(t, err)
	const flashIn = 0.50 / 1e6
	bare := c.Estimate(request(content.FormatOutline))
	withText := request(content.FormatOutline)
	withText.SourceText = strings.Repeat("x", 400)
	withText.Sources = []content.Source{{Text: strings.Repeat("y", 400)}}
	assert.InDelta(t, bare+200*flashIn, c.Estimate(withText), 1e-12)
	withFiles := request(content.FormatOutline)
	withFiles.Sources = []content.Source{{UploadID: "up_x"}, {URL: "https://example.com/"}}
	assert.InDelta(t, bare+2*7500*flashIn, c.Estimate(withFiles), 1e-12)
}

func TestEstimateOfADefaultRequest(t *testing.T) {
	t.Parallel()
	c, err := models.Load(env(nil), "proj")
	require.NoError(t, err)
	r := &content.Request{Topic: "Tides"}
	r.ApplyDefaults()
	require.Len(t, r.Formats, len(content.TextFormats())+3, "every text format, the cover, the audio and the package")
	// The hard-coded admission prices this estimate replaced came to
	// $0.27 for such a request of eight text formats (8 × $0.01 + $0.04 +
	// 5 × $0.03); the quiz and the timeline add about $0.01 each.
	assert.InDelta(t, 0.29, c.Estimate(r), 0.05)
}

func TestEstimateFollowsTheConfiguration(t *testing.T) {
	t.Parallel()
	load := func(t *testing.T) *models.Config {
		t.Helper()
		c, err := models.Load(env(nil), "proj")
		require.NoError(t, err)
		return c
	}
	base := load(t)
	full := request(append(content.TextFormats(), content.FormatImage, content.FormatAudio)...)

	t.Run("prices", func(t *testing.T) {
		t.Parallel()
		c := load(t)
		p := c.Prices["gemini-3.8-flash"]
		p.InputPerMTok, p.OutputPerMTok = 2*p.InputPerMTok, 2*p.OutputPerMTok
		c.Prices["gemini-3.8-flash"] = p
		text := request(content.TextFormats()...)
		assert.InDelta(t, 2*base.Estimate(text), c.Estimate(text), 1e-12)
	})
	t.Run("step model", func(t *testing.T) {
		t.Parallel()
		c := load(t)
		c.Text.Steps["faqs"] = models.Step{Model: "gemini-3.5-flash-lite"}
		faqs := request(content.FormatFAQs)
		assert.InDelta(t, 3502*0.30/1e6+3000*2.50/1e6, c.Estimate(faqs), 1e-12)
	})
	t.Run("model without a price", func(t *testing.T) {
		t.Parallel()
		c := load(t)
		c.Image.Model = "unpriced-image-model"
		assert.InDelta(t, base.Estimate(full)-base.Estimate(request(content.FormatImage)), c.Estimate(full), 1e-12)
	})
	t.Run("voice of the language", func(t *testing.T) {
		t.Parallel()
		c := load(t)
		c.Prices["tts:Neural2"] = models.Price{PerMChar: 16}
		c.TTS.Voices["de-DE"] = []string{"de-DE-Neural2-A", "de-DE-Neural2-B", "de-DE-Neural2-C", "de-DE-Neural2-D"}
		audio := request(content.FormatAudio)
		audio.Language = "de"
		assert.InDelta(t, 5*900*16.0/1e6, c.Estimate(audio), 1e-12)
	})
	t.Run("longer podcast", func(t *testing.T) {
		t.Parallel()
		audio := request(content.FormatAudio)
		audio.Podcast.TargetMinutes = 20
		assert.InDelta(t, 4*base.Estimate(request(content.FormatAudio)), base.Estimate(audio), 1e-12)
	})
	t.Run("source text", func(t *testing.T) {
		t.Parallel()
		long := request(content.FormatOutline)
		long.SourceText = strings.Repeat("word ", 8000) // 40,000 characters, 10,000 tokens
		assert.InDelta(t, base.Estimate(request(content.FormatOutline))+10_000*0.50/1e6, base.Estimate(long), 1e-9)
	})
}
