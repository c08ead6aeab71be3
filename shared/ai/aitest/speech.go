package aitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// SpeechTraits say what a speech backend answers, for SpeechConformance.
type SpeechTraits struct {
	// MIMEType is the type of the backend's audio: "audio/mpeg".
	MIMEType string
	// KeepsParts says the backend keeps what it synthesizes in the
	// request's PartStore and reuses it. A backend that does not skips
	// that part of the suite.
	KeepsParts bool
}

// SpeechConformance checks a speech backend against the narration
// contract. The audio must be of the MIME type the traits name and decode
// as such (read with a third-party MP3 decoder) to the duration reported,
// which must grow with the script; every speaker must get a voice of its
// own; the cues must follow the script in order, one per spoken part
// (the intro, every turn, the outro), each starting after the one before
// and ending within the audio; usage must be reported. A backend that
// keeps parts must, run again with the same PartStore, synthesize nothing
// new and answer the same audio; it must read its parts back when it
// writes the audio (a lost part fails the writing), and make only a lost
// part again. Without a script it must fail with a
// permanent "invalid_request" error. newSynth is called once per subtest.
func SpeechConformance(t *testing.T, newSynth func(t *testing.T) ai.Synthesizer, traits SpeechTraits) {
	t.Run("narration", func(t *testing.T) {
		script := Script(4)
		res := synthesize(t, newSynth(t), ai.SpeechRequest{JobID: "conformance", Script: script, Language: "en-US"})
		checkAudio(t, res, traits.MIMEType)
		checkVoices(t, res, script)
		checkCues(t, res, script)
		assert.Positive(t, checkCalls(t, res.Calls).Characters, "the characters spoken are reported")
	})
	t.Run("duration_grows_with_the_script", func(t *testing.T) {
		synth := newSynth(t)
		short := synthesize(t, synth, ai.SpeechRequest{JobID: "conformance", Script: Script(2), Language: "en-US"})
		long := synthesize(t, synth, ai.SpeechRequest{JobID: "conformance", Script: Script(8), Language: "en-US"})
		assert.Positive(t, short.Duration)
		assert.Greater(t, long.Duration, short.Duration, "eight turns last longer than two")
	})
	t.Run("parts_are_reused", func(t *testing.T) {
		if !traits.KeepsParts {
			t.Skip("the backend does not keep parts in the request's PartStore")
		}
		synth, parts := newSynth(t), &Parts{}
		req := ai.SpeechRequest{JobID: "conformance", Script: Script(4), Language: "en-US", Parts: parts}
		first := synthesize(t, synth, req)
		kept := parts.Puts()
		require.Positive(t, kept, "the first run keeps its parts")
		again := synthesize(t, synth, req)
		assert.Equal(t, kept, parts.Puts(), "the second run keeps no new part")
		assert.Empty(t, again.Calls, "the second run synthesizes (and pays for) nothing")
		assert.Equal(t, AudioBytes(t, first), AudioBytes(t, again), "the second run stitches the same audio")
		assert.Equal(t, first.Duration, again.Duration)
		assert.Equal(t, first.Cues, again.Cues)
	})
	t.Run("parts_are_read_back", func(t *testing.T) {
		if !traits.KeepsParts {
			t.Skip("the backend does not keep parts in the request's PartStore")
		}
		synth, parts := newSynth(t), &Parts{}
		req := ai.SpeechRequest{JobID: "conformance", Script: Script(4), Language: "en-US", Parts: parts}
		first := synthesize(t, synth, req)
		whole := AudioBytes(t, first)
		lost := parts.Forget()
		err := first.Audio(context.Background(), io.Discard)
		require.ErrorContains(t, err, lost, "a kept part is read back when the audio is written, not held")
		again := synthesize(t, synth, req)
		assert.Len(t, again.Calls, 1, "only the lost part is made again")
		assert.Len(t, AudioBytes(t, again), len(whole))
		assert.Equal(t, first.Duration, again.Duration)
	})
	t.Run("no_script", func(t *testing.T) {
		_, err := newSynth(t).Synthesize(context.Background(), ai.SpeechRequest{JobID: "conformance", Language: "en-US"})
		requirePermanent(t, err, "invalid_request")
	})
}

// Script is a podcast script of n turns among three speakers, every line
// different.
func Script(n int) *content.PodcastScript {
	s := &content.PodcastScript{
		Title:         "Tides",
		Speakers:      []content.Speaker{{Name: "Ana", Role: "host"}, {Name: "Ben", Role: "oceanographer"}, {Name: "Cleo", Role: "student"}},
		Intro:         "Welcome to the show about the tides.",
		Outro:         "Thanks for listening, and see you next time.",
		TargetMinutes: 1,
	}
	for i := range n {
		s.Turns = append(s.Turns, content.Turn{
			Speaker: s.Speakers[i%len(s.Speakers)].Name,
			Text:    fmt.Sprintf("This is turn number %d, and the tide keeps rising and falling twice a day.", i+1),
		})
	}
	return s
}

// AudioBytes is the audio a result writes.
func AudioBytes(t testing.TB, res ai.SpeechResult) []byte {
	t.Helper()
	require.NotNil(t, res.Audio, "the result has no audio")
	var buf bytes.Buffer
	require.NoError(t, res.Audio(context.Background(), &buf), "write the audio")
	return buf.Bytes()
}

func synthesize(t *testing.T, synth ai.Synthesizer, req ai.SpeechRequest) ai.SpeechResult {
	t.Helper()
	res, err := synth.Synthesize(context.Background(), req)
	require.NoError(t, err, "synthesize")
	return res
}

// checkAudio decodes the audio as its MIME type says and compares its
// length with the reported duration.
func checkAudio(t *testing.T, res ai.SpeechResult, mimeType string) {
	t.Helper()
	require.Equal(t, mimeType, res.MIMEType)
	decoded, err := AudioDuration(res.MIMEType, AudioBytes(t, res))
	require.NoError(t, err, "the %s audio does not decode", res.MIMEType)
	assert.Positive(t, res.Duration)
	assert.InDelta(t, res.Duration.Seconds(), decoded.Seconds(), 0.05+0.02*res.Duration.Seconds(),
		"the audio plays %v, the result says %v", decoded, res.Duration)
}

// checkVoices requires a voice of its own for every speaker.
func checkVoices(t *testing.T, res ai.SpeechResult, script *content.PodcastScript) {
	t.Helper()
	assert.Len(t, res.Voices, len(script.Speakers), "one voice per speaker: %v", res.Voices)
	seen := map[string]string{}
	for _, sp := range script.Speakers {
		v := res.Voices[sp.Name]
		assert.NotEmpty(t, v, "speaker %s has no voice", sp.Name)
		if other, dup := seen[v]; dup {
			assert.Failf(t, "a voice for two speakers", "%s and %s both speak with %s", other, sp.Name, v)
		}
		seen[v] = sp.Name
	}
}

// checkCues requires one cue per spoken part in the script's order, each
// after the one before and within the audio.
func checkCues(t *testing.T, res ai.SpeechResult, script *content.PodcastScript) {
	t.Helper()
	want := []ai.Cue{{Speaker: script.Speakers[0].Name, Text: script.Intro}}
	for _, turn := range script.Turns {
		want = append(want, ai.Cue{Speaker: turn.Speaker, Text: turn.Text})
	}
	want = append(want, ai.Cue{Speaker: script.Speakers[0].Name, Text: script.Outro})
	require.Len(t, res.Cues, len(want), "one cue for the intro, each turn and the outro")
	var end time.Duration
	for i, c := range res.Cues {
		assert.Equal(t, want[i].Speaker, c.Speaker, "cue %d", i)
		assert.Equal(t, want[i].Text, c.Text, "cue %d", i)
		assert.GreaterOrEqual(t, c.Start, end, "cue %d starts before the one before it ends", i)
		assert.Less(t, c.Start, c.End, "cue %d has no length", i)
		end = c.End
	}
	assert.LessOrEqual(t, end, res.Duration, "the last cue ends within the audio")
}

// Parts is an ai.PartStore in memory that counts what it is asked to
// keep. The zero value is ready to use and safe for concurrent use.
type Parts struct {
	mu    sync.Mutex
	m     map[string][]byte
	order []string
	puts  int
}

var _ ai.PartStore = (*Parts)(nil)

// Get implements ai.PartStore.
func (p *Parts) Get(_ context.Context, key string) ([]byte, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.m[key]
	return d, ok, nil
}

// Put implements ai.PartStore; a part that is not audio is refused.
func (p *Parts) Put(_ context.Context, key string, data []byte, contentType string) error {
	if !strings.HasPrefix(contentType, "audio/") {
		return fmt.Errorf("part %s: content type %q is not audio", key, contentType)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]byte{}
	}
	if _, ok := p.m[key]; !ok {
		p.order = append(p.order, key)
	}
	p.m[key] = data
	p.puts++
	return nil
}

// Forget drops the part that was put second, as if it was lost, and
// returns its key.
func (p *Parts) Forget() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := p.order[1]
	delete(p.m, key)
	return key
}

// Len is the number of parts kept.
func (p *Parts) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// Puts is the number of times a part was put.
func (p *Parts) Puts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.puts
}
