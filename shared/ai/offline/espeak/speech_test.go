package espeak_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/espeak"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

// requireEspeak fails the test when espeak-ng is missing, unless
// FACTORY_SKIP_ESPEAK=1 asks to skip it.
func requireEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err == nil {
		return
	}
	if os.Getenv("FACTORY_SKIP_ESPEAK") == "1" {
		t.Skip("espeak-ng is not installed and FACTORY_SKIP_ESPEAK=1: skipping speech synthesis")
	}
	t.Fatal("espeak-ng is not installed: install it (Debian/Ubuntu: sudo apt-get install espeak-ng) or set FACTORY_SKIP_ESPEAK=1 to skip speech tests")
}

// podcastScript is the script the offline text backend writes for req.
func podcastScript(t *testing.T, req content.Request) *content.PodcastScript {
	t.Helper()
	res := aitest.Document(t, extract.Text{}, req, content.FormatPodcastScript)
	var s content.PodcastScript
	require.NoError(t, json.Unmarshal(res.JSON, &s))
	return &s
}

func synthesize(t *testing.T, script *content.PodcastScript, lang string) ai.SpeechResult {
	t.Helper()
	res, err := espeak.Speech{}.Synthesize(context.Background(), ai.SpeechRequest{JobID: "job", Script: script, Language: lang})
	require.NoError(t, err)
	return res
}

func TestSpeechThreeSpeakers(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	script := aitest.Script(6)
	res := synthesize(t, script, "en-US")

	assert.Equal(t, "audio/mpeg", res.MIMEType)
	d, err := aitest.AudioDuration(res.MIMEType, aitest.AudioBytes(t, res))
	require.NoError(t, err, "the audio is an MP3 file")
	assert.Equal(t, res.Duration, d)
	assert.Greater(t, d, 5*time.Second)

	require.Len(t, res.Cues, len(script.Turns)+2, "intro, every turn, outro")
	// The intro starts after lame's delay of 1,105 samples at 22.05 kHz.
	assert.Equal(t, ai.Cue{Start: 1105 * time.Second / 22050, End: res.Cues[0].End, Speaker: "Ana", Text: script.Intro}, res.Cues[0])
	assert.Equal(t, script.Outro, res.Cues[len(res.Cues)-1].Text)
	for i, turn := range script.Turns {
		c := res.Cues[i+1]
		assert.Equal(t, turn.Speaker, c.Speaker)
		assert.Equal(t, turn.Text, c.Text)
	}
	for i, c := range res.Cues {
		assert.Less(t, c.Start, c.End, "cue %d has a length", i)
		if i > 0 {
			gap := c.Start - res.Cues[i-1].End
			// 350 ms of silence, give or take the encoder's padding of a
			// line's last frame (up to 26 ms).
			assert.InDelta(t, 350*time.Millisecond, gap, float64(30*time.Millisecond), "cue %d follows the previous one after a pause", i)
		}
	}
	assert.LessOrEqual(t, res.Cues[len(res.Cues)-1].End, res.Duration)

	require.Len(t, res.Voices, 3)
	distinct := map[string]bool{}
	for _, sp := range script.Speakers {
		v := res.Voices[sp.Name]
		assert.True(t, strings.HasPrefix(v, "en-us+"), v)
		distinct[v] = true
	}
	assert.Len(t, distinct, 3, "one voice per speaker: %v", res.Voices)

	chars := utf8.RuneCountInString(script.Intro) + utf8.RuneCountInString(script.Outro)
	for _, turn := range script.Turns {
		chars += utf8.RuneCountInString(turn.Text)
	}
	require.Len(t, res.Calls, 1)
	assert.Equal(t, "offline", res.Calls[0].Backend)
	assert.Equal(t, "espeak-ng", res.Calls[0].Model)
	assert.Equal(t, int64(chars), res.Calls[0].Characters)
}

func TestSpeechDurationGrowsWithScript(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	short := synthesize(t, aitest.Script(4), "en-US")
	long := synthesize(t, aitest.Script(8), "en-US")
	assert.Greater(t, long.Duration, short.Duration*3/2, "twice the turns: %v vs %v", long.Duration, short.Duration)
}

func TestSpeechOtherLanguage(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	fx := aitest.FixtureNamed(t, "unicode")
	script := podcastScript(t, fx.Request)
	res := synthesize(t, script, fx.Request.Language)
	assert.Equal(t, map[string]string{"Jürgen": "de+m3", "Zoë": "de+f3"}, res.Voices)
	d, err := aitest.AudioDuration(res.MIMEType, aitest.AudioBytes(t, res))
	require.NoError(t, err)
	assert.Greater(t, d, 30*time.Second)
}

// TestSpeechFiveMinuteScript narrates the photosynthesis fixture's
// five-minute script and reports how long that takes.
func TestSpeechFiveMinuteScript(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	fx := aitest.FixtureNamed(t, "photosynthesis")
	script := podcastScript(t, fx.Request)
	start := time.Now()
	res := synthesize(t, script, fx.Request.Language)
	took := time.Since(start)
	// espeak-ng speaks 16-bit mono at 22.05 kHz: 44,100 bytes a second
	// as WAV; the MP3 is 48 kbit/s, 6,000 bytes a second.
	const wavBytesPerSecond = 44100
	data := aitest.AudioBytes(t, res)
	ratio := float64(len(data)) / (res.Duration.Seconds() * wavBytesPerSecond)
	t.Logf("%d words (estimated %.1f min) synthesized in %v: %v of audio, %d bytes (%.3f of the WAV), %d cues",
		script.Words(), script.EstimatedMinutes, took.Round(time.Millisecond), res.Duration.Round(time.Millisecond), len(data), ratio, len(res.Cues))
	assert.Greater(t, res.Duration, 3*time.Minute)
	assert.Less(t, res.Duration, 8*time.Minute)
	assert.InDelta(t, 6000*res.Duration.Seconds(), float64(len(data)), 0.01*6000*res.Duration.Seconds(), "48 kbit/s")
}

func TestSpeechUnavailable(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"/nonexistent/espeak-ng", "no-such-espeak-binary"} {
		_, err := espeak.Speech{Binary: bin}.Synthesize(context.Background(), ai.SpeechRequest{Script: aitest.Script(4), Language: "en-US"})
		e, ok := ai.AsError(err)
		require.True(t, ok, "want *ai.Error, got %v", err)
		assert.Equal(t, "speech_unavailable", e.Code)
		assert.False(t, e.Retryable)
		assert.Contains(t, err.Error(), "sudo apt-get install espeak-ng")
		assert.Contains(t, err.Error(), "FACTORY_AI=vertex")
	}
}

func TestSpeechWithoutLame(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	_, err := espeak.Speech{Lame: "/nonexistent/lame"}.Synthesize(context.Background(), ai.SpeechRequest{Script: aitest.Script(4), Language: "en-US"})
	e, ok := ai.AsError(err)
	require.True(t, ok, "want *ai.Error, got %v", err)
	assert.Equal(t, "speech_unavailable", e.Code)
	assert.False(t, e.Retryable)
	assert.Contains(t, err.Error(), "sudo apt-get install lame")
}

func TestSpeechCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := espeak.Speech{}.Synthesize(ctx, ai.SpeechRequest{Script: aitest.Script(4), Language: "en-US"})
	require.ErrorIs(t, err, context.Canceled)
}

func TestSpeechRejectsUndeclaredSpeaker(t *testing.T) {
	t.Parallel()
	script := aitest.Script(4)
	script.Turns[2].Speaker = "Zed"
	_, err := espeak.Speech{}.Synthesize(context.Background(), ai.SpeechRequest{Script: script, Language: "en-US"})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "invalid_request", e.Code)
}

func TestSpeechDeadline(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := espeak.Speech{Concurrency: 1}.Synthesize(ctx, ai.SpeechRequest{Script: aitest.Script(200), Language: "en-US"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestSpeechFailingBinary runs a stand-in for espeak-ng that fails the way
// it does for an unknown voice.
func TestSpeechFailingBinary(t *testing.T) {
	t.Parallel()
	bin := t.TempDir() + "/espeak-ng"
	script := "#!/bin/sh\necho 'Error: The specified espeak-ng voice does not exist.' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))
	_, err := espeak.Speech{Binary: bin}.Synthesize(context.Background(), ai.SpeechRequest{Script: aitest.Script(4), Language: "xx"})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "speech_failed", e.Code)
	assert.False(t, e.Retryable)
	assert.Contains(t, err.Error(), "voice does not exist")
}

// TestPodcastDurations narrates the offline backend's podcast of every
// style at 1, 5 and 15 target minutes, its script sized at the voices'
// pace (Speech.Pace), and requires the measured audio within the bounds
// of its request (content.Length) and close to the pace's estimate,
// which keeps the calibrated words per minute honest. It logs the table
// of target and measured minutes.
func TestPodcastDurations(t *testing.T) {
	requireEspeak(t)
	fx := aitest.FixtureNamed(t, "photosynthesis")
	var table strings.Builder
	table.WriteString("style        target  bounds      script  measured\n")
	for _, style := range content.PodcastStyles {
		for _, minutes := range []int{1, 5, 15} {
			req := fx.Request
			p := *req.Podcast
			p.Style, p.TargetMinutes = style, minutes
			req.Podcast = &p
			req.ApplyDefaults()
			pace := espeak.Speech{}.Pace(req.Language, len(p.Speakers))
			o := aitest.Outline(t, extract.Text{}, req)
			res, err := extract.Text{}.GenerateText(context.Background(), ai.TextRequest{
				Format: content.FormatPodcastScript, Request: &req, Outline: o, Pace: &pace})
			require.NoError(t, err)
			var script content.PodcastScript
			require.NoError(t, json.Unmarshal(res.JSON, &script))
			audio := synthesize(t, &script, req.Language)
			got := audio.Duration.Minutes()
			l := req.Podcast.Length()
			fmt.Fprintf(&table, "%-12s %6d  %4.2f–%5.2f  %6.2f  %8.2f\n", style, minutes, l.Min, l.Max, pace.Minutes(&script), got)
			assert.True(t, l.Contains(got), "%s, %d minutes: %.2f measured minutes, want %.2f–%.2f", style, minutes, got, l.Min, l.Max)
			assert.InEpsilon(t, pace.Minutes(&script), got, content.AudioTolerance-content.ScriptTolerance, "%s, %d minutes: the pace's estimate is off the audio", style, minutes)
		}
	}
	t.Log("\n" + table.String())
}
