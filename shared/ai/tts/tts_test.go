package tts_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gomp3 "github.com/hajimehoshi/go-mp3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/tts"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
	"contentfactory.dev/factory/shared/content"
)

var fastRetry = retry.Policy{Attempts: 3, Base: time.Millisecond, Cap: 5 * time.Millisecond}

func newFake(tb testing.TB, opts ttstest.Options) *ttstest.Server {
	tb.Helper()
	srv, err := ttstest.Start(opts)
	require.NoError(tb, err)
	tb.Cleanup(srv.Close)
	return srv
}

// fakeConfig is the default configuration pointed at a fake.
func fakeConfig(tb testing.TB, srv *ttstest.Server) *models.Config {
	tb.Helper()
	env := map[string]string{models.EnvTTSEndpoint: srv.Addr, models.EnvTTSInsecure: "true"}
	cfg, err := models.Load(func(k string) string { return env[k] }, "test-project")
	require.NoError(tb, err)
	return cfg
}

func newSynth(tb testing.TB, srv *ttstest.Server, cfg *models.Config, p *retry.Policy) *tts.Synth {
	tb.Helper()
	if cfg == nil {
		cfg = fakeConfig(tb, srv)
	}
	if p == nil {
		p = &fastRetry
	}
	s, err := tts.New(tb.Context(), cfg, tts.Options{Retry: p})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

var vocabulary = strings.Fields(`the light of a leaf turns water and carbon into sugar while oxygen
	leaves through small pores energy moves along chains of proteins in the membrane and every step
	matters for life on earth scientists measured how fast plants grow under red and blue lamps
	Größe Übung naïve café façade`)

// sentence makes a sentence of n words.
func sentence(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[rng.IntN(len(vocabulary))]
	}
	r := []rune(strings.Join(w, " "))
	return strings.ToUpper(string(r[0])) + string(r[1:]) + "."
}

var greek = strings.Fields("φως φύλλο νερό ζάχαρη οξυγόνο ενέργεια πρωτεΐνη μεμβράνη ζωή γη φυτό ήλιος")

func greekSentence(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = greek[rng.IntN(len(greek))]
	}
	return strings.Join(w, " ") + "."
}

// thirtyMinuteScript is a three-speaker script of 4,500 words (30 minutes
// at 150 words a minute): turns of 40 to 120 words, one long monologue
// that needs several requests, and one long run-on sentence in
// multi-byte text that must be cut between words.
func thirtyMinuteScript() *content.PodcastScript {
	rng := rand.New(rand.NewPCG(30, 3))
	s := &content.PodcastScript{
		Title:    "How Plants Eat Light",
		Speakers: []content.Speaker{{Name: "Ada", Role: "host"}, {Name: "Ben", Role: "biologist"}, {Name: "Cy", Role: "student"}},
		Intro:    "Welcome to the show. Today we talk about how plants eat light.",
		Outro:    "Thanks for listening. See you next time.",
	}
	para := func(words int) string {
		var b []string
		for words > 0 {
			n := min(words, 6+rng.IntN(14))
			b = append(b, sentence(rng, n))
			words -= n
		}
		return strings.Join(b, " ")
	}
	total := len(strings.Fields(s.Intro)) + len(strings.Fields(s.Outro))
	for i := 0; total < 4500; i++ {
		var text string
		switch i {
		case 7: // a monologue in two-byte letters: under 4,000 characters, over 5,000 bytes
			var b []string
			for n := 0; n < 3700; {
				sen := greekSentence(rng, 6+rng.IntN(10))
				b = append(b, sen)
				n += len([]rune(sen)) + 1
			}
			text = strings.Join(b, " ")
		case 13: // one run-on sentence of two-byte words, over 5,000 bytes
			text = strings.Repeat("φωτοσύνθεση χλωροφύλλη ενέργεια ", 120) + "τέλος."
		default:
			text = para(40 + rng.IntN(81))
		}
		s.Turns = append(s.Turns, content.Turn{Speaker: s.Speakers[i%3].Name, Text: text})
		total += len(strings.Fields(text))
	}
	s.TargetMinutes = 30
	s.EstimatedMinutes = float64(total) / 150
	return s
}

// markers reads the fake's marker of every frame of a stitched file and
// collapses runs: the texts it spoke, in order.
func markers(t *testing.T, a *mp3.Audio) [][8]byte {
	t.Helper()
	var out [][8]byte
	for _, start := range a.Starts {
		h, err := mp3.ParseHeader(a.Data[start:])
		require.NoError(t, err)
		off := start + 4 + h.SideInfoLen()
		var m [8]byte
		copy(m[:], a.Data[off:off+8])
		if len(out) == 0 || out[len(out)-1] != m {
			out = append(out, m)
		}
	}
	return out
}

func TestThirtyMinuteThreeSpeakerScript(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{})
	cfg := fakeConfig(t, srv)
	s := newSynth(t, srv, cfg, nil)
	script := thirtyMinuteScript()
	require.GreaterOrEqual(t, script.Words(), 4500)
	require.Greater(t, len(script.Turns[7].Text), 5000)
	require.Greater(t, len(script.Turns[13].Text), 5000)
	_, err := content.Decode[content.PodcastScript](content.FormatPodcastScript, mustJSON(t, script), content.Expect{})
	require.NoError(t, err, "the test script is a valid podcast script")

	res, err := s.Synthesize(t.Context(), ai.SpeechRequest{JobID: "j", Script: script, Language: "en-US"})
	require.NoError(t, err)

	reqs := srv.Requests()
	var wantPieces [][8]byte
	var speakers []string
	for _, l := range lines(script) {
		for _, p := range tts.Split(l.text, cfg.TTS.MaxRequestBytes) {
			wantPieces = append(wantPieces, ttstest.Marker(p))
			speakers = append(speakers, l.speaker)
		}
	}
	require.Len(t, reqs, len(wantPieces), "one request per piece")
	assert.Greater(t, len(reqs), len(script.Turns)+2, "long turns took several requests")

	// No request over the service's limit.
	var chunkSum time.Duration
	voiceOf := map[[8]byte]string{}
	for _, r := range reqs {
		assert.LessOrEqual(t, len(r.Text), 5000, "request of %d bytes", len(r.Text))
		assert.Equal(t, codes.OK, r.Code)
		chunkSum += r.Duration
		voiceOf[r.Marker] = r.Voice
	}

	// Stitched duration is the sum of the chunks, and it decodes.
	assert.Equal(t, chunkSum, res.Duration)
	data := aitest.AudioBytes(t, res)
	a, err := mp3.Parse(data)
	require.NoError(t, err)
	assert.Equal(t, chunkSum, a.Duration())
	dec, err := gomp3.NewDecoder(bytes.NewReader(data))
	require.NoError(t, err)
	pcm, err := io.ReadAll(dec)
	require.NoError(t, err)
	assert.Equal(t, a.Samples*4, int64(len(pcm)), "a decoder plays every frame")
	assert.Equal(t, "audio/mpeg", res.MIMEType)

	// Turn order: the pieces play in script order.
	assert.Equal(t, wantPieces, markers(t, a))

	// Three speakers, three distinct voices, each piece in its speaker's voice.
	assert.Equal(t, map[string]string{"Ada": "en-US-Chirp3-HD-Kore", "Ben": "en-US-Chirp3-HD-Charon", "Cy": "en-US-Chirp3-HD-Aoede"}, res.Voices)
	distinct := map[string]bool{}
	for i, m := range wantPieces {
		assert.Equal(t, res.Voices[speakers[i]], voiceOf[m])
		distinct[voiceOf[m]] = true
	}
	assert.Len(t, distinct, 3)

	// One cue per spoken line, back to back, covering the whole file.
	ls := lines(script)
	require.Len(t, res.Cues, len(ls))
	for i, c := range res.Cues {
		assert.Equal(t, ls[i].speaker, c.Speaker)
		assert.Equal(t, ls[i].text, c.Text)
		assert.Greater(t, c.End, c.Start)
		if i > 0 {
			assert.Equal(t, res.Cues[i-1].End, c.Start)
		}
	}
	assert.Zero(t, res.Cues[0].Start)
	assert.Equal(t, res.Duration, res.Cues[len(res.Cues)-1].End)

	// Usage: one call per request, priced per character.
	require.Len(t, res.Calls, len(reqs))
	var chars int64
	var cost float64
	for _, c := range res.Calls {
		assert.Equal(t, "tts", c.Backend)
		chars += c.Characters
		cost += c.CostUSD
	}
	var want int64
	for _, r := range reqs {
		want += int64(len([]rune(r.Text)))
	}
	assert.Equal(t, want, chars)
	assert.InDelta(t, float64(want)*30/1e6, cost, 1e-9, "Chirp 3 HD at $30 per million characters")
}

type spoken struct{ speaker, text string }

func lines(s *content.PodcastScript) []spoken {
	out := []spoken{{s.Speakers[0].Name, s.Intro}}
	for _, t := range s.Turns {
		out = append(out, spoken{t.Speaker, t.Text})
	}
	return append(out, spoken{s.Speakers[0].Name, s.Outro})
}

func TestResourceExhaustedIsRetried(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{Faults: []ttstest.Fault{{Code: codes.ResourceExhausted, Times: 2, RetryAfter: 10 * time.Millisecond}}})
	s := newSynth(t, srv, nil, nil)
	script := shortScript()
	res, err := s.Synthesize(t.Context(), ai.SpeechRequest{Script: script, Language: "en-US"})
	require.NoError(t, err)
	ok := 0
	for _, r := range srv.Requests() {
		if r.Code == codes.OK {
			ok++
		}
	}
	assert.Equal(t, len(script.Turns)+2, ok)
	assert.Len(t, srv.Requests(), ok+2)
	assert.Len(t, res.Calls, ok)
}

func TestUnavailableExhaustsToARetryableError(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{Faults: []ttstest.Fault{{Code: codes.Unavailable}}})
	s := newSynth(t, srv, nil, nil)
	_, err := s.Synthesize(t.Context(), ai.SpeechRequest{Script: shortScript(), Language: "en-US"})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "unavailable", e.Code)
	assert.True(t, e.Retryable)
}

func TestUnknownVoiceIsRetired(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{UnknownVoices: []string{"en-US-Chirp3-HD-Charon"}})
	s := newSynth(t, srv, nil, nil)
	_, err := s.Synthesize(t.Context(), ai.SpeechRequest{Script: shortScript(), Language: "en-US"})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "model_retired", e.Code)
	assert.False(t, e.Retryable)
	assert.Contains(t, e.Error(), "voice en-US-Chirp3-HD-Charon was not found (retired?): set the models file entry tts.voices.en-US")
}

func TestOtherLanguagesGetTheirLocalesVoices(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{})
	s := newSynth(t, srv, nil, nil)
	for lang, want := range map[string]string{"de-DE": "de-DE-Chirp3-HD-Kore", "de": "de-DE-Chirp3-HD-Kore", "fr-CA": "fr-CA-Chirp3-HD-Kore", "es-MX": "es-ES-Chirp3-HD-Kore"} {
		res, err := s.Synthesize(t.Context(), ai.SpeechRequest{Script: shortScript(), Language: lang})
		require.NoError(t, err, lang)
		assert.Equal(t, want, res.Voices["Ada"], lang)
	}
}

// TestEveryConfiguredLanguageIsSpoken synthesizes a four-speaker script in
// every language of the default configuration: each speaker gets a
// distinct voice of the language's locale, and every request to the
// service names that locale.
func TestEveryConfiguredLanguageIsSpoken(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{})
	cfg := fakeConfig(t, srv)
	s := newSynth(t, srv, cfg, nil)
	script := shortScript()
	script.Speakers = append(script.Speakers, content.Speaker{Name: "Cy", Role: "guest"}, content.Speaker{Name: "Di", Role: "guest"})
	script.Turns = append(script.Turns, content.Turn{Speaker: "Cy", Text: "And the wind?"}, content.Turn{Speaker: "Di", Text: "A little."})
	langs := slices.Collect(maps.Keys(cfg.TTS.Locales))
	slices.Sort(langs)
	for _, lang := range langs {
		locale, _ := cfg.TTS.Locale(lang)
		before := len(srv.Requests())
		res, err := s.Synthesize(t.Context(), ai.SpeechRequest{Script: script, Language: lang})
		require.NoError(t, err, lang)
		voices := slices.Collect(maps.Values(res.Voices))
		assert.Len(t, slices.Compact(slices.Sorted(slices.Values(voices))), 4, "%s: four distinct voices", lang)
		for _, v := range voices {
			assert.True(t, strings.HasPrefix(v, locale+"-"), "%s: %s speaks %s", lang, v, locale)
		}
		for _, r := range srv.Requests()[before:] {
			assert.Equal(t, locale, r.Language, lang)
		}
	}
}

func TestALanguageWithoutVoicesIsRefused(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{})
	s := newSynth(t, srv, nil, nil)
	_, err := s.Synthesize(t.Context(), ai.SpeechRequest{Script: shortScript(), Language: "he-IL"})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "invalid_request", e.Code)
	assert.False(t, e.Retryable)
	assert.Empty(t, srv.Requests(), "nothing is asked of the service")
}

func TestProbe(t *testing.T) {
	t.Parallel()
	srv := newFake(t, ttstest.Options{UnknownVoices: []string{"en-US-Chirp3-HD-Gone"}})
	s := newSynth(t, srv, nil, nil)
	require.NoError(t, s.Probe(t.Context(), "en-US", "en-US-Chirp3-HD-Kore"))
	err := s.Probe(t.Context(), "en-US", "en-US-Chirp3-HD-Gone")
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "model_retired", e.Code)
}

func shortScript() *content.PodcastScript {
	return &content.PodcastScript{
		Title:    "Tides",
		Speakers: []content.Speaker{{Name: "Ada", Role: "host"}, {Name: "Ben", Role: "guest"}},
		Intro:    "Hello and welcome.",
		Turns: []content.Turn{
			{Speaker: "Ada", Text: "What makes the tides?"},
			{Speaker: "Ben", Text: "Mostly the Moon. The Sun helps a little."},
			{Speaker: "Ada", Text: "Thanks, Ben."},
			{Speaker: "Ben", Text: "My pleasure."},
		},
		Outro: "Goodbye.",
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
