package mp3

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Bare returns the audio's format and length without its frames.
func (a *Audio) Bare() *Audio {
	return &Audio{Frames: a.Frames, Samples: a.Samples, Version: a.Version, SampleRate: a.SampleRate, Mono: a.Mono}
}

// Sequence is MP3 pieces of one format stitched in order, known by their
// format and length. A piece's frames are held only when it was added
// with them; the others are read again, one at a time, when the sequence
// is written, so a long narration is never held whole.
type Sequence struct {
	// Format and length of the whole.
	Version    Version
	SampleRate int
	Mono       bool
	Frames     int
	Samples    int64

	pieces []seqPiece
}

type seqPiece struct {
	key     string
	samples int64
	data    []byte
}

// Add appends a piece named key. Its frames (a.Data) are kept when keep
// is set; otherwise WriteTo reads them by key. A piece of another format
// than the first is ErrMixed; an empty one is left out.
func (s *Sequence) Add(key string, a *Audio, keep bool) error {
	if a.Frames == 0 {
		return nil
	}
	if s.SampleRate == 0 {
		s.Version, s.SampleRate, s.Mono = a.Version, a.SampleRate, a.Mono
	} else if a.Version != s.Version || a.SampleRate != s.SampleRate || a.Mono != s.Mono {
		return fmt.Errorf("piece %d is %s %d Hz, not %s %d Hz: %w", len(s.pieces), a.Version, a.SampleRate, s.Version, s.SampleRate, ErrMixed)
	}
	p := seqPiece{key: key, samples: a.Samples}
	if keep {
		p.data = a.Data
	}
	s.pieces = append(s.pieces, p)
	s.Frames += a.Frames
	s.Samples += a.Samples
	return nil
}

// Duration is how long the sequence plays.
func (s *Sequence) Duration() time.Duration {
	if s.SampleRate == 0 {
		return 0
	}
	return time.Duration(s.Samples) * time.Second / time.Duration(s.SampleRate)
}

// WriteTo writes the frames of every piece in order to w: those kept as
// they are, the others read with read and parsed again, which must give
// the length they were added with (a piece that changed meanwhile would
// put every later cue out of time).
func (s *Sequence) WriteTo(ctx context.Context, w io.Writer, read func(ctx context.Context, key string) ([]byte, error)) error {
	for i, p := range s.pieces {
		data := p.data
		if data == nil {
			b, err := read(ctx, p.key)
			if err != nil {
				return fmt.Errorf("read piece %d (%s): %w", i, p.key, err)
			}
			a, err := Parse(b)
			if err != nil {
				return fmt.Errorf("piece %d (%s): %w", i, p.key, err)
			}
			if a.Samples != p.samples || a.Version != s.Version || a.SampleRate != s.SampleRate || a.Mono != s.Mono {
				return fmt.Errorf("piece %d (%s) holds %d samples of %s %d Hz, not %d: %w", i, p.key, a.Samples, a.Version, a.SampleRate, p.samples, ErrMixed)
			}
			data = a.Data
		}
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("write piece %d: %w", i, err)
		}
	}
	return nil
}
