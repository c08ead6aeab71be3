package espeak_test

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/espeak"
)

// TestMP3ReferenceDecoder decodes the stitched podcast with lame's own
// decoder (mpglib, not the backend's code), which must read every frame
// and find exactly the length the result reports.
func TestMP3ReferenceDecoder(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	bin, err := exec.LookPath("lame")
	require.NoError(t, err, "lame is not installed (Debian/Ubuntu: sudo apt-get install lame)")
	res := synthesize(t, aitest.Script(5), "en-US")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "podcast.mp3"), filepath.Join(dir, "podcast.wav")
	require.NoError(t, os.WriteFile(in, aitest.AudioBytes(t, res), 0o600))
	msg, err := exec.Command(bin, "--quiet", "--decode", in, out).CombinedOutput()
	require.NoError(t, err, "lame --decode: %s", msg)
	wav, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Greater(t, len(wav), 44)
	rate := binary.LittleEndian.Uint32(wav[24:28])
	require.Equal(t, uint32(22050), rate)
	// 16-bit mono: two bytes a sample. lame's decoder leaves out the
	// encoder's delay and padding it knows of (529 samples of decoder
	// delay at the start and the last frame's remainder).
	played := time.Duration(len(wav)-44) / 2 * time.Second / time.Duration(rate)
	assert.InDelta(t, res.Duration.Seconds(), played.Seconds(), 0.06, "lame plays %v, the result says %v", played, res.Duration)
}

// TestSpeechPartsAreReadBack makes a narration with a PartStore, then
// loses one of its parts: writing the audio fails, which shows that the
// pieces are read back from the store rather than held in memory; the
// next run makes that piece again and only it.
func TestSpeechPartsAreReadBack(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	parts := &aitest.Parts{}
	req := ai.SpeechRequest{JobID: "job", Script: aitest.Script(3), Language: "en-US", Parts: parts}
	// One line at a time: the second part put is the first turn's.
	first, err := espeak.Speech{Concurrency: 1}.Synthesize(context.Background(), req)
	require.NoError(t, err)
	whole := aitest.AudioBytes(t, first)
	require.Equal(t, 5, parts.Len(), "a part per line: intro, three turns, outro")

	lost := parts.Forget()
	err = first.Audio(context.Background(), new(discard))
	require.ErrorContains(t, err, lost, "the lost part is read back, not held")

	again, err := espeak.Speech{}.Synthesize(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, again.Calls, 1)
	assert.Equal(t, int64(len([]rune(req.Script.Turns[0].Text))), again.Calls[0].Characters, "only the lost line is spoken again")
	assert.Equal(t, len(whole), len(aitest.AudioBytes(t, again)))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
