package aitest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	gomp3 "github.com/hajimehoshi/go-mp3"
)

// audioDuration decodes audio of a MIME type the backends answer and
// returns how long it plays. It reads the files with code of its own (WAV)
// or a third-party decoder (MP3), not the backends', so a backend cannot
// pass by agreeing with itself.
func audioDuration(mimeType string, data []byte) (time.Duration, error) {
	switch mimeType {
	case "audio/wav":
		return wavDuration(data)
	case "audio/mpeg":
		return mp3Duration(data)
	}
	return 0, fmt.Errorf("the suite decodes audio/wav and audio/mpeg, not %q", mimeType)
}

// wavDuration is the length of a RIFF/WAVE file of linear PCM: the size
// of its data chunk over the byte rate of its fmt chunk.
func wavDuration(b []byte) (time.Duration, error) {
	le := binary.LittleEndian
	if len(b) < 12 || !bytes.Equal(b[:4], []byte("RIFF")) || !bytes.Equal(b[8:12], []byte("WAVE")) {
		return 0, errors.New("not a RIFF/WAVE file")
	}
	byteRate := uint32(0)
	for rest := b[12:]; len(rest) >= 8; {
		id, size := string(rest[:4]), le.Uint32(rest[4:8])
		body := rest[8:]
		if uint64(size) > uint64(len(body)) {
			return 0, fmt.Errorf("chunk %q of %d bytes overruns the file", id, size)
		}
		switch {
		case id == "fmt " && size >= 16:
			if tag := le.Uint16(body[0:2]); tag != 1 {
				return 0, fmt.Errorf("format %#x is not linear PCM", tag)
			}
			byteRate = le.Uint32(body[8:12])
		case id == "data" && byteRate == 0:
			return 0, errors.New("no fmt chunk with a byte rate before the data")
		case id == "data":
			return time.Duration(uint64(size) * uint64(time.Second) / uint64(byteRate)), nil
		}
		rest = body[min(len(body), int(size)+int(size&1)):]
	}
	return 0, errors.New("no data chunk")
}

// mp3Duration decodes MPEG audio to PCM, 16-bit stereo, and returns its
// length.
func mp3Duration(data []byte) (time.Duration, error) {
	dec, err := gomp3.NewDecoder(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("decode mp3: %w", err)
	}
	const bytesPerFrame = 4 // two channels of 16 bits
	frames := dec.Length() / bytesPerFrame
	if frames <= 0 || dec.SampleRate() <= 0 {
		return 0, errors.New("the mp3 holds no audio")
	}
	return time.Duration(frames) * time.Second / time.Duration(dec.SampleRate()), nil
}
