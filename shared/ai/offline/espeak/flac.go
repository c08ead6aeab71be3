package espeak

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"
)

// flacBlockSize is the number of samples of each channel in one FLAC
// frame, libFLAC's default.
const flacBlockSize = 4096

// writeFLAC encodes PCM audio losslessly as a FLAC stream, which browsers
// and players read: each subframe coded as predict chooses, espeak-ng's
// speech takes 0.58 of the WAV's bytes, a little less than the reference
// encoder at its default level (flac -5). The stream info is complete (sample count and
// the MD5 of the samples), so a reader can verify what it decodes.
func writeFLAC(a wavAudio) ([]byte, error) {
	f := a.format
	if f.frameSize() == 0 || f.sampleRate == 0 {
		return nil, errors.New("flac: no audio format")
	}
	var channels frame.Channels
	switch f.channels {
	case 1:
		channels = frame.ChannelsMono
	case 2:
		channels = frame.ChannelsLR
	default:
		return nil, fmt.Errorf("flac: %d channels are not supported", f.channels)
	}
	if f.bitsPerSample != 8 && f.bitsPerSample != 16 && f.bitsPerSample != 24 {
		return nil, fmt.Errorf("flac: %d bits per sample are not supported", f.bitsPerSample)
	}
	info := &meta.StreamInfo{
		BlockSizeMin:  flacBlockSize,
		BlockSizeMax:  flacBlockSize,
		SampleRate:    uint32(f.sampleRate),
		NChannels:     uint8(f.channels),
		BitsPerSample: uint8(f.bitsPerSample),
		NSamples:      uint64(a.frames()),
		MD5sum:        samplesMD5(a),
	}
	var out bytes.Buffer
	out.Grow(len(a.data) / 2)
	// The buffer cannot seek, so the encoder leaves the stream info as
	// given above, which is already complete.
	enc, err := flac.NewEncoder(&out, info)
	if err != nil {
		return nil, fmt.Errorf("flac: %w", err)
	}
	samples := make([][]int32, f.channels)
	for c := range samples {
		samples[c] = make([]int32, flacBlockSize)
	}
	frames := a.frames()
	for first := 0; first < frames; first += flacBlockSize {
		n := min(flacBlockSize, frames-first)
		fr := &frame.Frame{Header: frame.Header{
			HasFixedBlockSize: true,
			BlockSize:         uint16(n),
			SampleRate:        uint32(f.sampleRate),
			Channels:          channels,
			BitsPerSample:     uint8(f.bitsPerSample),
		}}
		for c := range samples {
			s := samples[c][:n]
			for i := range s {
				s[i] = a.sample(first+i, c)
			}
			sub := &frame.Subframe{SubHeader: frame.SubHeader{Pred: frame.PredVerbatim}, Samples: s, NSamples: n}
			predict(sub, uint(f.bitsPerSample))
			fr.Subframes = append(fr.Subframes, sub)
		}
		if err := enc.WriteFrame(fr); err != nil {
			return nil, fmt.Errorf("flac: frame at sample %d: %w", first, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("flac: %w", err)
	}
	return out.Bytes(), nil
}

// sample is the signed value of one channel's sample in frame i: 8-bit
// WAV samples are unsigned around 128, FLAC's are signed.
func (w wavAudio) sample(i, channel int) int32 {
	bytesPer := w.format.bitsPerSample / 8
	p := w.data[i*w.format.frameSize()+channel*bytesPer:]
	switch bytesPer {
	case 1:
		return int32(p[0]) - 128
	case 2:
		return int32(int16(uint16(p[0]) | uint16(p[1])<<8))
	default:
		return int32(uint32(p[0])|uint32(p[1])<<8|uint32(p[2])<<16) << 8 >> 8
	}
}

// samplesMD5 is FLAC's checksum of the audio: the MD5 of the signed
// samples, interleaved, little-endian, in whole bytes.
func samplesMD5(a wavAudio) [md5.Size]byte {
	if a.format.bitsPerSample != 8 {
		return md5.Sum(a.data) // 16 and 24-bit WAV samples are already so
	}
	signed := make([]byte, len(a.data))
	for i, b := range a.data {
		signed[i] = b - 128
	}
	return md5.Sum(signed)
}
