package mp3_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/tts/mp3"
)

// A sequence writes its pieces in order, those it holds and those it reads
// back alike, to what Concat makes of them, and knows its length without
// reading any.
func TestSequence(t *testing.T) {
	t.Parallel()
	h := mp3.Header{Version: mp3.MPEG2, Bitrate: 48000, SampleRate: 22050, Mono: true}
	stored := map[string][]byte{}
	var parts []*mp3.Audio
	seq := &mp3.Sequence{}
	for i, d := range []time.Duration{time.Second, 300 * time.Millisecond, 2 * time.Second} {
		data, err := mp3.Frames(h, d, []byte{byte('a' + i)})
		require.NoError(t, err)
		a, err := mp3.Parse(data)
		require.NoError(t, err)
		parts = append(parts, a)
		key := fmt.Sprintf("part-%d", i)
		if i == 1 {
			require.NoError(t, seq.Add(key, a, true)) // held
			continue
		}
		stored[key] = append(mp3.ID3v2("encoder"), data...) // read back, its tag dropped
		require.NoError(t, seq.Add(key, a.Bare(), false))
	}
	require.NoError(t, seq.Add("empty", &mp3.Audio{}, false), "an empty piece is left out")
	all, err := mp3.Concat(parts...)
	require.NoError(t, err)
	assert.Equal(t, all.Duration(), seq.Duration())
	assert.Equal(t, all.Frames, seq.Frames)

	var reads []string
	read := func(_ context.Context, key string) ([]byte, error) {
		reads = append(reads, key)
		d, ok := stored[key]
		if !ok {
			return nil, fmt.Errorf("%s: no such part", key)
		}
		return d, nil
	}
	var out bytes.Buffer
	require.NoError(t, seq.WriteTo(context.Background(), &out, read))
	assert.Equal(t, all.Data, out.Bytes())
	assert.Equal(t, []string{"part-0", "part-2"}, reads, "only the pieces not held are read, in order")

	// A piece that changed since it was added is refused.
	short, err := mp3.Frames(h, 100*time.Millisecond, nil)
	require.NoError(t, err)
	stored["part-2"] = short
	err = seq.WriteTo(context.Background(), &bytes.Buffer{}, read)
	assert.ErrorIs(t, err, mp3.ErrMixed)

	other, err := mp3.Frames(mp3.Header{Version: mp3.MPEG1, Bitrate: 32000, SampleRate: 48000, Mono: true}, time.Second, nil)
	require.NoError(t, err)
	oa, err := mp3.Parse(other)
	require.NoError(t, err)
	assert.ErrorIs(t, seq.Add("other", oa, true), mp3.ErrMixed)
}
