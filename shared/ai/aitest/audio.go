package aitest

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	gomp3 "github.com/hajimehoshi/go-mp3"
)

// AudioDuration decodes audio of a MIME type the backends answer and
// returns how long it plays. It reads the files with a third-party
// decoder, not the backends' own code, so a backend cannot pass by
// agreeing with itself.
func AudioDuration(mimeType string, data []byte) (time.Duration, error) {
	if mimeType != "audio/mpeg" {
		return 0, fmt.Errorf("the suite decodes audio/mpeg, not %q", mimeType)
	}
	return mp3Duration(data)
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
