package aitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	gomp3 "github.com/hajimehoshi/go-mp3"
	"github.com/mewkiz/flac"
)

// AudioDuration decodes audio of a MIME type the backends answer and
// returns how long it plays. It reads the files with third-party decoders
// (MP3, and FLAC's decoder where the offline backend uses its encoder),
// not the backends' own code, so a backend cannot pass by agreeing with
// itself.
func AudioDuration(mimeType string, data []byte) (time.Duration, error) {
	switch mimeType {
	case "audio/mpeg":
		return mp3Duration(data)
	case "audio/flac":
		return flacDuration(data)
	}
	return 0, fmt.Errorf("the suite decodes audio/mpeg and audio/flac, not %q", mimeType)
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

// flacDuration decodes every frame of a FLAC stream (checking each
// frame's CRC) and returns the length of the samples they hold, which must
// agree with the count in the stream info.
func flacDuration(data []byte) (time.Duration, error) {
	s, err := flac.New(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("decode flac: %w", err)
	}
	var n uint64
	for {
		fr, err := s.ParseNext()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("decode flac: the frame after sample %d: %w", n, err)
		}
		n += uint64(fr.BlockSize)
	}
	switch {
	case n == 0 || s.Info.SampleRate == 0:
		return 0, errors.New("the flac holds no audio")
	case s.Info.NSamples != 0 && s.Info.NSamples != n:
		return 0, fmt.Errorf("the flac's stream info counts %d samples, its frames hold %d", s.Info.NSamples, n)
	}
	return time.Duration(n) * time.Second / time.Duration(s.Info.SampleRate), nil
}
