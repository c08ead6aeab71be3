package espeak

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawWAV builds a WAV file by hand: a fmt chunk, the extra chunks, then a
// data chunk that declares dataSize and holds data.
func rawWAV(format pcmFormat, tag uint16, extra [][2]string, dataSize uint32, data []byte) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	chunk := func(id string, body []byte) {
		b = append(b, id...)
		b = le.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
		if len(body)%2 == 1 {
			b = append(b, 0)
		}
	}
	fmtBody := le.AppendUint16(nil, tag)
	fmtBody = le.AppendUint16(fmtBody, uint16(format.channels))
	fmtBody = le.AppendUint32(fmtBody, uint32(format.sampleRate))
	fmtBody = le.AppendUint32(fmtBody, uint32(format.sampleRate*format.frameSize()))
	fmtBody = le.AppendUint16(fmtBody, uint16(format.frameSize()))
	fmtBody = le.AppendUint16(fmtBody, uint16(format.bitsPerSample))
	chunk("fmt ", fmtBody)
	for _, e := range extra {
		chunk(e[0], []byte(e[1]))
	}
	b = append(b, "data"...)
	b = le.AppendUint32(b, dataSize)
	return append(b, data...)
}

var mono16 = pcmFormat{channels: 1, sampleRate: 22050, bitsPerSample: 16}

func TestReadWAV(t *testing.T) {
	t.Parallel()
	second := make([]byte, 22050*2)
	tests := []struct {
		name   string
		file   []byte
		frames int
	}{
		{"exact size", rawWAV(mono16, formatPCM, nil, uint32(len(second)), second), 22050},
		{"streamed 0xFFFFFFFF", rawWAV(mono16, formatPCM, nil, 0xFFFFFFFF, second), 22050},
		{"espeak-ng's streamed size", rawWAV(mono16, formatPCM, nil, 0x7FFFF000, second), 22050},
		{"odd extra chunk is padded", rawWAV(mono16, formatPCM, [][2]string{{"LIST", "abc"}}, uint32(len(second)), second), 22050},
		{"trailing partial frame dropped", rawWAV(mono16, formatPCM, nil, 0xFFFFFFFF, append(second, 7)), 22050},
		{"declared smaller than present", rawWAV(mono16, formatPCM, nil, 100, second), 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := readWAV(tt.file)
			require.NoError(t, err)
			assert.Equal(t, mono16, a.format)
			assert.Equal(t, tt.frames, a.frames())
		})
	}
}

func TestReadWAVRejects(t *testing.T) {
	t.Parallel()
	data := make([]byte, 100)
	noData := rawWAV(mono16, formatPCM, nil, 0, nil)
	noData = noData[:len(noData)-8]
	dataFirst := append([]byte("RIFF\x00\x00\x00\x00WAVEdata\x04\x00\x00\x00"), 0, 0, 0, 0)
	tests := map[string][]byte{
		"not RIFF":         []byte("ID3 not a wav file at all"),
		"too short":        []byte("RIFF"),
		"not PCM":          rawWAV(mono16, 3, nil, 100, data),
		"data before fmt":  dataFirst,
		"no data chunk":    noData,
		"bad block align":  rawWAV(pcmFormat{channels: 2, sampleRate: 8000, bitsPerSample: 12}, formatPCM, nil, 100, data),
		"overrunning LIST": append(rawWAV(mono16, formatPCM, nil, 0, nil)[:36], []byte("LIST\xff\x00\x00\x00ab")...),
	}
	for name, file := range tests {
		_, err := readWAV(file)
		assert.Error(t, err, name)
	}
}

func TestFormatTiming(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 7718, mono16.framesIn(350*time.Millisecond), "rounded up")
	assert.Equal(t, 500*time.Millisecond, mono16.duration(11025))
}
