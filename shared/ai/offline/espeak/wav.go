package espeak

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// pcmFormat is the shape of linear PCM audio.
type pcmFormat struct {
	channels      int
	sampleRate    int
	bitsPerSample int
}

// frameSize is the number of bytes of one sample on every channel.
func (f pcmFormat) frameSize() int { return f.channels * f.bitsPerSample / 8 }

// duration is the playing time of n frames.
func (f pcmFormat) duration(frames int) time.Duration {
	return time.Duration(frames) * time.Second / time.Duration(f.sampleRate)
}

// framesIn is the number of whole frames lasting at least d.
func (f pcmFormat) framesIn(d time.Duration) int {
	return int((int64(d)*int64(f.sampleRate) + int64(time.Second) - 1) / int64(time.Second))
}

// silence returns the bytes of n silent frames: zero for signed samples,
// the midpoint 0x80 for 8-bit unsigned ones.
func (f pcmFormat) silence(frames int) []byte {
	b := make([]byte, frames*f.frameSize())
	if f.bitsPerSample == 8 {
		for i := range b {
			b[i] = 0x80
		}
	}
	return b
}

// wavAudio is decoded PCM audio: whole frames, interleaved.
type wavAudio struct {
	format pcmFormat
	data   []byte
}

func (w wavAudio) frames() int {
	if w.format.frameSize() == 0 {
		return 0
	}
	return len(w.data) / w.format.frameSize()
}

// Sizes of the RIFF/WAVE structures read and written.
const (
	riffHeaderSize  = 12
	chunkHeaderSize = 8
	fmtChunkMinSize = 16
	formatPCM       = 1
	formatExtensive = 0xFFFE
	streamedSize    = 0xFFFFFFFF
)

// readWAV decodes a RIFF/WAVE file of linear PCM. It reads the format
// from the fmt chunk rather than assuming one, skips chunks it does not
// know, and takes a data chunk whose declared size is 0xFFFFFFFF or runs
// past the end (as a program writing to a pipe declares it) to hold the
// rest of the file.
func readWAV(b []byte) (wavAudio, error) {
	if len(b) < riffHeaderSize || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return wavAudio{}, errors.New("wav: not a RIFF/WAVE file")
	}
	var format pcmFormat
	haveFormat := false
	pos := riffHeaderSize
	for pos+chunkHeaderSize <= len(b) {
		id := string(b[pos : pos+4])
		size := binary.LittleEndian.Uint32(b[pos+4 : pos+8])
		pos += chunkHeaderSize
		remaining := len(b) - pos
		switch id {
		case "fmt ":
			if int64(size) > int64(remaining) {
				return wavAudio{}, fmt.Errorf("wav: fmt chunk of %d bytes overruns the file", size)
			}
			f, err := parseFormat(b[pos : pos+int(size)])
			if err != nil {
				return wavAudio{}, err
			}
			format, haveFormat = f, true
		case "data":
			if !haveFormat {
				return wavAudio{}, errors.New("wav: data chunk before the fmt chunk")
			}
			n := remaining
			if size != streamedSize && int64(size) <= int64(remaining) {
				n = int(size)
			}
			n -= n % format.frameSize()
			return wavAudio{format: format, data: b[pos : pos+n]}, nil
		}
		if int64(size) > int64(remaining) {
			return wavAudio{}, fmt.Errorf("wav: %q chunk of %d bytes overruns the file", id, size)
		}
		pos += int(size) + int(size&1) // chunks are padded to an even size
	}
	return wavAudio{}, errors.New("wav: no data chunk")
}

// parseFormat reads a fmt chunk of linear PCM.
func parseFormat(c []byte) (pcmFormat, error) {
	if len(c) < fmtChunkMinSize {
		return pcmFormat{}, fmt.Errorf("wav: fmt chunk of %d bytes is too short", len(c))
	}
	tag := binary.LittleEndian.Uint16(c[0:2])
	f := pcmFormat{
		channels:      int(binary.LittleEndian.Uint16(c[2:4])),
		sampleRate:    int(binary.LittleEndian.Uint32(c[4:8])),
		bitsPerSample: int(binary.LittleEndian.Uint16(c[14:16])),
	}
	blockAlign := int(binary.LittleEndian.Uint16(c[12:14]))
	if tag == formatExtensive && len(c) >= 26 {
		tag = binary.LittleEndian.Uint16(c[24:26]) // the sub-format GUID starts with the format tag
	}
	switch {
	case tag != formatPCM:
		return pcmFormat{}, fmt.Errorf("wav: encoding %#04x is not linear PCM", tag)
	case f.channels < 1 || f.channels > 8:
		return pcmFormat{}, fmt.Errorf("wav: %d channels is not supported", f.channels)
	case f.sampleRate < 1 || f.sampleRate > 384000:
		return pcmFormat{}, fmt.Errorf("wav: sample rate %d Hz is not supported", f.sampleRate)
	case f.bitsPerSample != 8 && f.bitsPerSample != 16 && f.bitsPerSample != 24 && f.bitsPerSample != 32:
		return pcmFormat{}, fmt.Errorf("wav: %d bits per sample is not supported", f.bitsPerSample)
	case blockAlign != f.frameSize():
		return pcmFormat{}, fmt.Errorf("wav: block align %d does not match %d channels of %d bits", blockAlign, f.channels, f.bitsPerSample)
	}
	return f, nil
}
