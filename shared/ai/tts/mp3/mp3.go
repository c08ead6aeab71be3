// Package mp3 reads and writes the MPEG audio frame layer of MP3 files,
// enough to stitch the answers of Cloud Text-to-Speech (and the lines the
// offline backend encodes) into one file and
// to know exactly how long each piece is: frame headers of MPEG-1, MPEG-2
// and MPEG-2.5 Layer III (bitrate and sample-rate tables, padding), ID3v1
// and ID3v2 tags (dropped), and Xing/Info/VBRI frames (dropped: they
// describe a single file and would be wrong in the stitched one). It does
// not decode audio. A Sequence stitches pieces kept elsewhere, reading
// them one at a time as it writes them.
package mp3

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Version is an MPEG audio version.
type Version int

// MPEG versions.
const (
	MPEG1  Version = 1
	MPEG2  Version = 2
	MPEG25 Version = 25
)

func (v Version) String() string {
	switch v {
	case MPEG1:
		return "MPEG-1"
	case MPEG2:
		return "MPEG-2"
	case MPEG25:
		return "MPEG-2.5"
	}
	return fmt.Sprintf("MPEG(%d)", int(v))
}

// Header is a Layer III frame header.
type Header struct {
	Version    Version
	Bitrate    int // bits per second
	SampleRate int // hertz
	Padding    bool
	Mono       bool
	// CRC says a 16-bit checksum follows the header.
	CRC bool
}

// Errors of the parser.
var (
	ErrNoFrame     = errors.New("mp3: no MPEG audio frame")
	ErrUnsupported = errors.New("mp3: unsupported stream")
	ErrTruncated   = errors.New("mp3: truncated frame")
	ErrMixed       = errors.New("mp3: pieces differ in sample rate, version or channels")
)

// Layer III bitrates in kbit/s by version family and index (0 is "free
// format", 15 is invalid).
var bitrates = [2][16]int{
	{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1}, // MPEG-1
	{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},     // MPEG-2 and 2.5
}

// Sample rates by version and index (3 is reserved).
var sampleRates = map[Version][3]int{
	MPEG1:  {44100, 48000, 32000},
	MPEG2:  {22050, 24000, 16000},
	MPEG25: {11025, 12000, 8000},
}

// ParseHeader reads a frame header from the first four bytes of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return Header{}, ErrNoFrame
	}
	var h Header
	switch (b[1] >> 3) & 3 {
	case 0:
		h.Version = MPEG25
	case 2:
		h.Version = MPEG2
	case 3:
		h.Version = MPEG1
	default:
		return Header{}, fmt.Errorf("%w: reserved version", ErrNoFrame)
	}
	switch (b[1] >> 1) & 3 {
	case 1: // Layer III
	case 0:
		return Header{}, fmt.Errorf("%w: reserved layer", ErrNoFrame)
	default:
		return Header{}, fmt.Errorf("%w: only Layer III is supported", ErrUnsupported)
	}
	h.CRC = b[1]&1 == 0
	fam := 1
	if h.Version == MPEG1 {
		fam = 0
	}
	br := bitrates[fam][b[2]>>4]
	switch br {
	case 0:
		return Header{}, fmt.Errorf("%w: free-format bitrate", ErrUnsupported)
	case -1:
		return Header{}, fmt.Errorf("%w: invalid bitrate index", ErrNoFrame)
	}
	h.Bitrate = br * 1000
	sri := (b[2] >> 2) & 3
	if sri == 3 {
		return Header{}, fmt.Errorf("%w: reserved sample rate", ErrNoFrame)
	}
	h.SampleRate = sampleRates[h.Version][sri]
	h.Padding = (b[2]>>1)&1 == 1
	h.Mono = b[3]>>6 == 3
	return h, nil
}

// Bytes encodes the header (no private, copyright or emphasis bits; the
// original bit set).
func (h Header) Bytes() ([4]byte, error) {
	var out [4]byte
	var ver byte
	switch h.Version {
	case MPEG1:
		ver = 3
	case MPEG2:
		ver = 2
	case MPEG25:
		ver = 0
	default:
		return out, fmt.Errorf("%w: version %d", ErrUnsupported, h.Version)
	}
	fam := 1
	if h.Version == MPEG1 {
		fam = 0
	}
	bri := -1
	for i, v := range bitrates[fam] {
		if v > 0 && v*1000 == h.Bitrate {
			bri = i
		}
	}
	sri := -1
	for i, v := range sampleRates[h.Version] {
		if v == h.SampleRate {
			sri = i
		}
	}
	if bri < 0 || sri < 0 {
		return out, fmt.Errorf("%w: %s has no %d bit/s at %d Hz", ErrUnsupported, h.Version, h.Bitrate, h.SampleRate)
	}
	out[0] = 0xFF
	out[1] = 0xE0 | ver<<3 | 1<<1
	if !h.CRC {
		out[1] |= 1
	}
	out[2] = byte(bri)<<4 | byte(sri)<<2
	if h.Padding {
		out[2] |= 2
	}
	out[3] = 0x04 // stereo mode 00, original
	if h.Mono {
		out[3] |= 3 << 6
	}
	return out, nil
}

// Samples is the number of samples per channel in one frame.
func (h Header) Samples() int {
	if h.Version == MPEG1 {
		return 1152
	}
	return 576
}

// Len is the length of the frame in bytes, header included.
func (h Header) Len() int {
	coef := 144
	if h.Version != MPEG1 {
		coef = 72
	}
	n := coef * h.Bitrate / h.SampleRate
	if h.Padding {
		n++
	}
	return n
}

// SideInfoLen is the length of the side information after the header
// (and its CRC).
func (h Header) SideInfoLen() int {
	switch {
	case h.Version == MPEG1 && h.Mono:
		return 17
	case h.Version == MPEG1:
		return 32
	case h.Mono:
		return 9
	}
	return 17
}

// Duration is how long one frame plays.
func (h Header) Duration() time.Duration {
	return time.Duration(h.Samples()) * time.Second / time.Duration(h.SampleRate)
}

// Audio is the frames of one MP3 file without its tags.
type Audio struct {
	// Data is the audio frames, back to back.
	Data []byte
	// Frames is their number and Samples the samples per channel in all.
	Frames  int
	Samples int64
	// Format of the frames.
	Version    Version
	SampleRate int
	Mono       bool
	// Starts holds the byte offset of every frame in Data.
	Starts []int
}

// Duration is how long the audio plays.
func (a *Audio) Duration() time.Duration {
	if a.SampleRate == 0 {
		return 0
	}
	return time.Duration(a.Samples) * time.Second / time.Duration(a.SampleRate)
}

// Parse reads an MP3 file: it skips ID3v2 tags at the start and an ID3v1
// tag at the end, drops a Xing, Info or VBRI frame, and requires the rest
// to be whole Layer III frames of one format.
func Parse(b []byte) (*Audio, error) {
	b = stripID3v2(b)
	b = stripID3v1(b)
	a := &Audio{Data: make([]byte, 0, len(b))}
	pos := 0
	for pos < len(b) {
		h, err := ParseHeader(b[pos:])
		if err != nil {
			return nil, fmt.Errorf("frame at byte %d: %w", pos, err)
		}
		n := h.Len()
		if pos+n > len(b) {
			return nil, fmt.Errorf("frame at byte %d needs %d bytes, %d left: %w", pos, n, len(b)-pos, ErrTruncated)
		}
		frame := b[pos : pos+n]
		pos += n
		if a.Frames == 0 && len(a.Starts) == 0 && isTagFrame(h, frame) {
			continue
		}
		if a.SampleRate == 0 {
			a.Version, a.SampleRate, a.Mono = h.Version, h.SampleRate, h.Mono
		} else if h.Version != a.Version || h.SampleRate != a.SampleRate || h.Mono != a.Mono {
			return nil, fmt.Errorf("frame at byte %d: %w", pos-n, ErrMixed)
		}
		a.Starts = append(a.Starts, len(a.Data))
		a.Data = append(a.Data, frame...)
		a.Frames++
		a.Samples += int64(h.Samples())
	}
	if a.Frames == 0 {
		return nil, ErrNoFrame
	}
	return a, nil
}

// isTagFrame reports whether a frame carries a Xing/Info or VBRI header.
func isTagFrame(h Header, frame []byte) bool {
	off := 4 + h.SideInfoLen()
	if h.CRC {
		off += 2
	}
	if len(frame) >= off+4 {
		if id := string(frame[off : off+4]); id == "Xing" || id == "Info" {
			return true
		}
	}
	return len(frame) >= 40 && string(frame[36:40]) == "VBRI"
}

// stripID3v2 drops every ID3v2 tag at the start.
func stripID3v2(b []byte) []byte {
	for len(b) >= 10 && string(b[:3]) == "ID3" {
		size := int(b[6]&0x7F)<<21 | int(b[7]&0x7F)<<14 | int(b[8]&0x7F)<<7 | int(b[9]&0x7F)
		n := 10 + size
		if b[5]&0x10 != 0 {
			n += 10 // footer
		}
		if n > len(b) {
			return nil
		}
		b = b[n:]
	}
	return b
}

// stripID3v1 drops a 128-byte ID3v1 tag at the end.
func stripID3v1(b []byte) []byte {
	if len(b) >= 128 && string(b[len(b)-128:len(b)-125]) == "TAG" {
		return b[:len(b)-128]
	}
	return b
}

// Concat joins audio pieces of one format into one stream of frames.
func Concat(parts ...*Audio) (*Audio, error) {
	out := &Audio{}
	size := 0
	for _, p := range parts {
		size += len(p.Data)
	}
	out.Data = make([]byte, 0, size)
	for i, p := range parts {
		if p.Frames == 0 {
			continue
		}
		if out.SampleRate == 0 {
			out.Version, out.SampleRate, out.Mono = p.Version, p.SampleRate, p.Mono
		} else if p.Version != out.Version || p.SampleRate != out.SampleRate || p.Mono != out.Mono {
			return nil, fmt.Errorf("piece %d is %s %d Hz, not %s %d Hz: %w", i, p.Version, p.SampleRate, out.Version, out.SampleRate, ErrMixed)
		}
		base := len(out.Data)
		for _, s := range p.Starts {
			out.Starts = append(out.Starts, base+s)
		}
		out.Data = append(out.Data, p.Data...)
		out.Frames += p.Frames
		out.Samples += p.Samples
	}
	return out, nil
}

// Frames returns a silent (all-zero side information and main data)
// sequence of frames of the format of h, at least d long, with padding
// applied as an encoder does to hold the bitrate. mark, if not empty, is
// written into the main-data bytes of every frame (which a decoder
// ignores, as the side information says there is no main data), so that
// tests can tell pieces apart in a stitched file.
func Frames(h Header, d time.Duration, mark []byte) ([]byte, error) {
	n := int((d + h.Duration() - 1) / h.Duration())
	n = max(n, 1)
	coef := 144
	if h.Version != MPEG1 {
		coef = 72
	}
	rem := 0
	var out []byte
	for range n {
		fh := h
		rem += coef * h.Bitrate % h.SampleRate
		fh.Padding = rem >= h.SampleRate
		if fh.Padding {
			rem -= h.SampleRate
		}
		hb, err := fh.Bytes()
		if err != nil {
			return nil, err
		}
		frame := make([]byte, fh.Len())
		copy(frame, hb[:])
		off := 4 + fh.SideInfoLen()
		if fh.CRC {
			off += 2
		}
		copy(frame[off:], mark)
		out = append(out, frame...)
	}
	return out, nil
}

// InfoFrame returns a silent frame carrying an "Info" tag (the CBR form of
// a Xing header) for a file of frames frames and bytes bytes.
func InfoFrame(h Header, frames, bytes int) ([]byte, error) {
	h.Padding = false
	hb, err := h.Bytes()
	if err != nil {
		return nil, err
	}
	frame := make([]byte, h.Len())
	copy(frame, hb[:])
	off := 4 + h.SideInfoLen()
	if h.CRC {
		off += 2
	}
	if off+16 > len(frame) {
		return nil, fmt.Errorf("%w: frame too short for an Info tag", ErrUnsupported)
	}
	copy(frame[off:], "Info")
	binary.BigEndian.PutUint32(frame[off+4:], 3) // frames and bytes fields present
	binary.BigEndian.PutUint32(frame[off+8:], uint32(frames))
	binary.BigEndian.PutUint32(frame[off+12:], uint32(bytes))
	return frame, nil
}

// ID3v2 returns a minimal ID3v2.3 tag with one TSSE (encoder) frame.
func ID3v2(encoder string) []byte {
	body := []byte{'T', 'S', 'S', 'E'}
	size := 1 + len(encoder)
	body = append(body, byte(size>>24), byte(size>>16), byte(size>>8), byte(size), 0, 0, 0)
	body = append(body, encoder...)
	n := len(body)
	tag := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	return append(tag, body...)
}
