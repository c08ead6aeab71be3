package espeak

import (
	"bytes"
	"crypto/md5"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mewkiz/flac"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tone is PCM audio of a format: a second of a 440 Hz tone, a second of
// silence, then a tone whose pitch rises, so that frames of every kind
// (constant, predicted) are made and the last frame is a short one.
func tone(format pcmFormat) wavAudio {
	frames := 2*format.sampleRate + format.sampleRate/3 + 123
	full := float64(int64(1)<<(format.bitsPerSample-1) - 1)
	a := wavAudio{format: format, data: make([]byte, 0, frames*format.frameSize())}
	for i := range frames {
		t := float64(i) / float64(format.sampleRate)
		var v float64
		switch {
		case i < format.sampleRate:
			v = 0.6 * math.Sin(2*math.Pi*440*t)
		case i >= 2*format.sampleRate:
			v = 0.4 * math.Sin(2*math.Pi*(200+300*t)*t)
		}
		for c := range format.channels {
			s := int32(math.Round(v * full * (1 - 0.3*float64(c))))
			switch format.bitsPerSample {
			case 8:
				a.data = append(a.data, byte(s+128))
			case 16:
				a.data = append(a.data, byte(s), byte(s>>8))
			case 24:
				a.data = append(a.data, byte(s), byte(s>>8), byte(s>>16))
			}
		}
	}
	return a
}

// decodeFLAC reads a FLAC stream back with the library's decoder (a
// separate code path from its encoder) into the samples of each channel.
func decodeFLAC(t *testing.T, b []byte) (*flac.Stream, [][]int32) {
	t.Helper()
	s, err := flac.New(bytes.NewReader(b))
	require.NoError(t, err)
	samples := make([][]int32, s.Info.NChannels)
	for {
		fr, err := s.ParseNext()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		for c, sub := range fr.Subframes {
			samples[c] = append(samples[c], sub.Samples...)
		}
	}
	return s, samples
}

func TestFLACIsLossless(t *testing.T) {
	t.Parallel()
	for name, format := range map[string]pcmFormat{
		"mono 16-bit":   {channels: 1, sampleRate: 22050, bitsPerSample: 16},
		"stereo 8-bit":  {channels: 2, sampleRate: 8000, bitsPerSample: 8},
		"stereo 24-bit": {channels: 2, sampleRate: 48000, bitsPerSample: 24},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := tone(format)
			b, err := writeFLAC(in)
			require.NoError(t, err)
			s, samples := decodeFLAC(t, b)
			assert.Equal(t, uint32(format.sampleRate), s.Info.SampleRate)
			assert.Equal(t, uint8(format.bitsPerSample), s.Info.BitsPerSample)
			assert.Equal(t, uint64(in.frames()), s.Info.NSamples, "the stream info counts every sample")
			require.Len(t, samples, format.channels)
			for c := range samples {
				require.Len(t, samples[c], in.frames())
				for i, got := range samples[c] {
					if want := in.sample(i, c); got != want {
						t.Fatalf("channel %d sample %d: decoded %d, encoded %d", c, i, got, want)
					}
				}
			}
			// The checksum in the stream info is of the samples decoded.
			h := md5.New()
			var buf [3]byte
			n := format.bitsPerSample / 8
			for i := range in.frames() {
				for c := range samples {
					v := samples[c][i]
					buf[0], buf[1], buf[2] = byte(v), byte(v>>8), byte(v>>16)
					h.Write(buf[:n])
				}
			}
			assert.Equal(t, h.Sum(nil), s.Info.MD5sum[:])
			assert.Less(t, len(b), len(in.data)*3/4, "a second of silence and two of tones compress")
		})
	}
}

// TestFLACReferenceDecoder has the reference decoder (the flac command of
// the FLAC project) test a stream: every frame's CRC and the MD5 of the
// samples against the stream info.
func TestFLACReferenceDecoder(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("flac")
	require.NoError(t, err, "install flac (.ci/run does)")
	b, err := writeFLAC(tone(pcmFormat{channels: 1, sampleRate: 22050, bitsPerSample: 16}))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "podcast.flac")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	out, err := exec.Command(bin, "--test", "--silent", path).CombinedOutput()
	require.NoError(t, err, "flac --test: %s", out)
}

func TestFLACRefusesWhatItCannotHold(t *testing.T) {
	t.Parallel()
	_, err := writeFLAC(wavAudio{})
	require.Error(t, err)
	_, err = writeFLAC(wavAudio{format: pcmFormat{channels: 3, sampleRate: 8000, bitsPerSample: 16}, data: make([]byte, 60)})
	require.ErrorContains(t, err, "3 channels")
	_, err = writeFLAC(wavAudio{format: pcmFormat{channels: 1, sampleRate: 8000, bitsPerSample: 32}, data: make([]byte, 40)})
	require.ErrorContains(t, err, "32 bits")
}
