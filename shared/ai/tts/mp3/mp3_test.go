package mp3_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	gomp3 "github.com/hajimehoshi/go-mp3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/tts/mp3"
)

func TestParseHeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		b        []byte
		ver      mp3.Version
		bitrate  int
		rate     int
		length   int
		samples  int
		mono     bool
		duration time.Duration
	}{
		{"MPEG-1 128k 44.1k stereo", []byte{0xFF, 0xFB, 0x90, 0x64}, mp3.MPEG1, 128000, 44100, 417, 1152, false, 26122448 * time.Nanosecond},
		{"MPEG-1 with padding", []byte{0xFF, 0xFB, 0x92, 0x64}, mp3.MPEG1, 128000, 44100, 418, 1152, false, 26122448 * time.Nanosecond},
		{"MPEG-1 32k 48k mono", []byte{0xFF, 0xFB, 0x14, 0xC4}, mp3.MPEG1, 32000, 48000, 96, 1152, true, 24 * time.Millisecond},
		{"MPEG-2 32k 24k mono", []byte{0xFF, 0xF3, 0x44, 0xC4}, mp3.MPEG2, 32000, 24000, 96, 576, true, 24 * time.Millisecond},
		{"MPEG-2.5 8k 8k", []byte{0xFF, 0xE3, 0x18, 0xC4}, mp3.MPEG25, 8000, 8000, 72, 576, true, 72 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := mp3.ParseHeader(tc.b)
			require.NoError(t, err)
			assert.Equal(t, tc.ver, h.Version)
			assert.Equal(t, tc.bitrate, h.Bitrate)
			assert.Equal(t, tc.rate, h.SampleRate)
			assert.Equal(t, tc.length, h.Len())
			assert.Equal(t, tc.samples, h.Samples())
			assert.Equal(t, tc.mono, h.Mono)
			assert.Equal(t, tc.duration, h.Duration())
			enc, err := h.Bytes()
			require.NoError(t, err)
			back, err := mp3.ParseHeader(enc[:])
			require.NoError(t, err)
			assert.Equal(t, h, back, "encode and parse agree")
		})
	}
	for _, bad := range [][]byte{
		{0xFF, 0xFB, 0xF0, 0x64}, // bitrate index 15
		{0xFF, 0xFB, 0x9C, 0x64}, // sample rate index 3
		{0xFF, 0xEB, 0x90, 0x64}, // reserved version
		{0xFF, 0xF9, 0x90, 0x64}, // reserved layer
		{0x49, 0x44, 0x33, 0x03}, // "ID3"
		{0xFF},
	} {
		_, err := mp3.ParseHeader(bad)
		assert.ErrorIs(t, err, mp3.ErrNoFrame, "% x", bad)
	}
	_, err := mp3.ParseHeader([]byte{0xFF, 0xFD, 0x90, 0x64}) // Layer II
	assert.ErrorIs(t, err, mp3.ErrUnsupported)
	_, err = mp3.ParseHeader([]byte{0xFF, 0xFB, 0x00, 0x64}) // free format
	assert.ErrorIs(t, err, mp3.ErrUnsupported)
}

func TestFramesParseToTheirDuration(t *testing.T) {
	t.Parallel()
	for _, h := range []mp3.Header{
		{Version: mp3.MPEG1, Bitrate: 32000, SampleRate: 48000, Mono: true},
		{Version: mp3.MPEG1, Bitrate: 32000, SampleRate: 44100},
		{Version: mp3.MPEG2, Bitrate: 32000, SampleRate: 24000, Mono: true},
		{Version: mp3.MPEG2, Bitrate: 32000, SampleRate: 22050},
		{Version: mp3.MPEG25, Bitrate: 8000, SampleRate: 8000, Mono: true},
	} {
		data, err := mp3.Frames(h, 2*time.Second, []byte("mark"))
		require.NoError(t, err)
		a, err := mp3.Parse(data)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, a.Duration(), 2*time.Second)
		assert.Less(t, a.Duration(), 2*time.Second+h.Duration())
		assert.Equal(t, int64(a.Frames*h.Samples()), a.Samples)
		// Padding holds the bitrate: bytes·8 / seconds is the bitrate.
		assert.InDelta(t, float64(h.Bitrate), float64(len(data)*8)/a.Duration().Seconds(), float64(h.Bitrate)/100)
	}
}

func TestTagsAndInfoFramesAreDropped(t *testing.T) {
	t.Parallel()
	h := mp3.Header{Version: mp3.MPEG2, Bitrate: 32000, SampleRate: 24000, Mono: true}
	frames, err := mp3.Frames(h, time.Second, nil)
	require.NoError(t, err)
	info, err := mp3.InfoFrame(h, 42, len(frames))
	require.NoError(t, err)
	v1 := make([]byte, 128)
	copy(v1, "TAG")
	file := append(append(append(mp3.ID3v2("fake"), info...), frames...), v1...)
	a, err := mp3.Parse(file)
	require.NoError(t, err)
	assert.Equal(t, frames, a.Data)
	assert.Equal(t, 42, a.Frames)
	assert.Equal(t, 1008*time.Millisecond, a.Duration())

	_, err = mp3.Parse(frames[:len(frames)-3])
	assert.ErrorIs(t, err, mp3.ErrTruncated)
	_, err = mp3.Parse(append([]byte("junk"), frames...))
	assert.ErrorIs(t, err, mp3.ErrNoFrame)
}

func TestConcat(t *testing.T) {
	t.Parallel()
	h := mp3.Header{Version: mp3.MPEG2, Bitrate: 32000, SampleRate: 24000, Mono: true}
	var parts []*mp3.Audio
	var want time.Duration
	for i, d := range []time.Duration{time.Second, 300 * time.Millisecond, 2 * time.Second} {
		data, err := mp3.Frames(h, d, []byte{byte('a' + i)})
		require.NoError(t, err)
		a, err := mp3.Parse(data)
		require.NoError(t, err)
		parts = append(parts, a)
		want += a.Duration()
	}
	all, err := mp3.Concat(parts...)
	require.NoError(t, err)
	assert.Equal(t, want, all.Duration())
	assert.Equal(t, parts[0].Frames+parts[1].Frames+parts[2].Frames, len(all.Starts))
	again, err := mp3.Parse(all.Data)
	require.NoError(t, err)
	assert.Equal(t, all.Duration(), again.Duration())

	other, err := mp3.Frames(mp3.Header{Version: mp3.MPEG1, Bitrate: 32000, SampleRate: 48000, Mono: true}, time.Second, nil)
	require.NoError(t, err)
	oa, err := mp3.Parse(other)
	require.NoError(t, err)
	_, err = mp3.Concat(parts[0], oa)
	assert.ErrorIs(t, err, mp3.ErrMixed)
}

// TestFramesDecode proves the silent frames are real MP3: a decoder reads
// them and produces the expected number of samples.
func TestFramesDecode(t *testing.T) {
	t.Parallel()
	for _, h := range []mp3.Header{
		{Version: mp3.MPEG1, Bitrate: 32000, SampleRate: 48000, Mono: true},
		{Version: mp3.MPEG1, Bitrate: 32000, SampleRate: 44100},
		{Version: mp3.MPEG2, Bitrate: 32000, SampleRate: 24000, Mono: true},
	} {
		data, err := mp3.Frames(h, 1500*time.Millisecond, []byte("mark"))
		require.NoError(t, err)
		a, err := mp3.Parse(data)
		require.NoError(t, err)
		dec, err := gomp3.NewDecoder(bytes.NewReader(data))
		require.NoError(t, err, "%s %d Hz", h.Version, h.SampleRate)
		pcm, err := io.ReadAll(dec)
		require.NoError(t, err)
		assert.Equal(t, h.SampleRate, dec.SampleRate())
		assert.Equal(t, a.Samples*4, int64(len(pcm)), "16-bit stereo samples of every frame")
		assert.Equal(t, make([]byte, len(pcm)), pcm, "silence")
	}
}
