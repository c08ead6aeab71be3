// Package ttstest is a gRPC fake of Cloud Text-to-Speech's
// SynthesizeSpeech, for tests and for the local stack.
//
// It answers real, decodable MP3: silent MPEG Layer III frames (MPEG-1
// for 32, 44.1 and 48 kHz, MPEG-2 for 16, 22.05 and 24 kHz, the default)
// lasting WordDuration per word, preceded by an ID3v2 tag and an Info
// frame as encoders write them. Every frame carries a marker of the text
// it speaks in bytes a decoder ignores (Marker), so tests can check the
// order of a stitched file. Like the service it rejects input over 5,000
// bytes with InvalidArgument, and a voice whose name does not start with
// the language code. It can wait a fixed latency per request and inject
// ResourceExhausted or Unavailable, by count or probability, from Go or
// from the environment (OptionsFromEnv).
package ttstest

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"contentfactory.dev/factory/internal/faultinject"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
)

// InputLimit is the service's limit on a request's input, in bytes.
const InputLimit = 5000

// Fault is a failure to inject into SynthesizeSpeech.
type Fault struct {
	// Code is codes.ResourceExhausted or codes.Unavailable (any code
	// works).
	Code codes.Code
	// Voice limits the fault to one voice; empty matches every voice.
	Voice string
	// Times applies it to the first Times matching requests; 0 to all.
	Times int
	// Probability applies it with that probability (seeded); 0: always.
	Probability float64
	// RetryAfter is sent as google.rpc.RetryInfo when positive.
	RetryAfter time.Duration
}

// Options configure the fake.
type Options struct {
	// Keep bounds the requests kept for Requests to the latest Keep
	// (0: every one, as tests want; the long-running local stack bounds
	// it so that its memory stays flat).
	Keep int
	// Latency is waited before every answer.
	Latency time.Duration
	// WordDuration is the audio length of one word (default 40 ms, i.e.
	// 0.4 s per 10 words).
	WordDuration time.Duration
	// Faults are injected, first match wins.
	Faults []Fault
	// Seed drives the probabilities.
	Seed int64
	// UnknownVoices are answered NotFound, like a retired voice.
	UnknownVoices []string
	// NoTags leaves out the ID3v2 tag and the Info frame.
	NoTags bool
}

// Request is one recorded request.
type Request struct {
	Text       string
	Voice      string
	Language   string
	SampleRate int32
	// Code is the status answered; Duration the audio length returned.
	Code codes.Code
	// Injected says that Code came from an injected fault.
	Injected bool
	Duration time.Duration
	// Marker is the marker written into the answer's frames.
	Marker [8]byte
}

// Server is a running fake.
type Server struct {
	// Addr is host:port to give the client (tts.endpoint, insecure).
	Addr string

	texttospeechpb.UnimplementedTextToSpeechServer
	gs *grpc.Server
	ln net.Listener

	faults *faultinject.Picker[Fault]

	mu       sync.Mutex
	opts     Options
	requests []Request
}

// Start starts a fake on a free loopback port.
func Start(opts Options) (*Server, error) {
	if opts.WordDuration <= 0 {
		opts.WordDuration = 40 * time.Millisecond
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ttstest: listen: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, opts: opts, gs: grpc.NewServer(),
		faults: faultinject.NewPicker(opts.Seed, 0x77, Fault.odds, opts.Faults)}
	s.opts.Faults = nil // the picker holds them
	texttospeechpb.RegisterTextToSpeechServer(s.gs, s)
	go func() { _ = s.gs.Serve(ln) }()
	return s, nil
}

// NewServer is Start for tests: like httptest.NewServer it panics when it
// cannot listen on the loopback interface.
func NewServer(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Close stops the server.
func (s *Server) Close() { s.gs.Stop() }

// Requests returns a copy of the requests so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// AddFault adds a fault at run time.
func (s *Server) AddFault(f Fault) { s.faults.Add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// SetLatency changes the latency of later requests.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Latency = d
}

// Marker is the 8 bytes the fake writes into the frames of the audio of a
// text: its FNV-64a hash.
func Marker(text string) [8]byte {
	h := fnv.New64a()
	h.Write([]byte(text))
	var m [8]byte
	binary.BigEndian.PutUint64(m[:], h.Sum64())
	return m
}

// AudioDuration is the length of the audio the fake makes for a text
// before rounding up to whole frames.
func (o Options) AudioDuration(text string) time.Duration {
	wd := o.WordDuration
	if wd <= 0 {
		wd = 40 * time.Millisecond
	}
	return time.Duration(max(1, len(strings.Fields(text)))) * wd
}

// fault returns the fault that applies to a request for the voice.
func (s *Server) fault(voice string) (Fault, bool) {
	return s.faults.Pick(func(f Fault) bool { return f.Voice == "" || f.Voice == voice })
}

func header(rate int32) (mp3.Header, error) {
	h := mp3.Header{Bitrate: 32000, Mono: true}
	switch rate {
	case 0, 24000, 22050, 16000:
		h.Version, h.SampleRate = mp3.MPEG2, int(rate)
		if rate == 0 {
			h.SampleRate = 24000
		}
	case 48000, 44100, 32000:
		h.Version, h.SampleRate = mp3.MPEG1, int(rate)
	default:
		return h, fmt.Errorf("the fake makes MP3 at 16000, 22050, 24000, 32000, 44100 or 48000 Hz, not %d", rate)
	}
	return h, nil
}

// SynthesizeSpeech implements the service.
func (s *Server) SynthesizeSpeech(ctx context.Context, req *texttospeechpb.SynthesizeSpeechRequest) (*texttospeechpb.SynthesizeSpeechResponse, error) {
	text := req.GetInput().GetText()
	rec := Request{Text: text, Voice: req.GetVoice().GetName(), Language: req.GetVoice().GetLanguageCode(),
		SampleRate: req.GetAudioConfig().GetSampleRateHertz(), Marker: Marker(text)}
	resp, err := s.synthesize(ctx, req, &rec)
	rec.Code = status.Code(err)
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	if k := s.opts.Keep; k > 0 && len(s.requests) > k {
		s.requests = slices.Clone(s.requests[len(s.requests)-k:])
	}
	s.mu.Unlock()
	return resp, err
}

func (s *Server) synthesize(ctx context.Context, req *texttospeechpb.SynthesizeSpeechRequest, rec *Request) (*texttospeechpb.SynthesizeSpeechResponse, error) {
	s.mu.Lock()
	latency, opts := s.opts.Latency, s.opts
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if f, ok := s.fault(rec.Voice); ok {
		rec.Injected = true
		st := status.New(f.Code, "injected by the fake: "+f.Code.String())
		if f.RetryAfter > 0 {
			if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(f.RetryAfter)}); err == nil {
				st = d
			}
		}
		return nil, st.Err()
	}
	switch {
	case req.GetInput().GetText() == "":
		return nil, status.Error(codes.InvalidArgument, "Input text is empty (the fake accepts text input only).")
	case len(rec.Text) > InputLimit:
		return nil, status.Errorf(codes.InvalidArgument,
			"Either `input.text` or `input.ssml` is longer than the limit of %d bytes. This limit is different from quotas.", InputLimit)
	case rec.Voice == "" || !strings.HasPrefix(strings.ToLower(rec.Voice), strings.ToLower(rec.Language)+"-"):
		return nil, status.Errorf(codes.InvalidArgument, "Voice %q does not match language %q.", rec.Voice, rec.Language)
	case slices.Contains(opts.UnknownVoices, rec.Voice):
		return nil, status.Errorf(codes.NotFound, "Requested voice %s was not found.", rec.Voice)
	case req.GetAudioConfig().GetAudioEncoding() != texttospeechpb.AudioEncoding_MP3:
		return nil, status.Error(codes.InvalidArgument, "The fake only answers MP3.")
	}
	h, err := header(rec.SampleRate)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	frames, err := mp3.Frames(h, opts.AudioDuration(rec.Text), rec.Marker[:])
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	a, err := mp3.Parse(frames)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	rec.Duration = a.Duration()
	out := frames
	if !opts.NoTags {
		info, err := mp3.InfoFrame(h, a.Frames, len(frames))
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		out = append(append(mp3.ID3v2("ttstest"), info...), frames...)
	}
	return &texttospeechpb.SynthesizeSpeechResponse{AudioContent: out}, nil
}

// Environment variables OptionsFromEnv reads.
const (
	EnvLatency       = "FACTORY_FAKE_TTS_LATENCY"
	EnvFaults        = "FACTORY_FAKE_TTS_FAULTS"
	EnvSeed          = "FACTORY_FAKE_TTS_SEED"
	EnvUnknownVoices = "FACTORY_FAKE_TTS_UNKNOWN_VOICES"
	EnvWordDuration  = "FACTORY_FAKE_TTS_WORD_DURATION"
)

// OptionsFromEnv reads the fake's options from the environment:
//
//	FACTORY_FAKE_TTS_LATENCY         delay per request, such as 300ms
//	FACTORY_FAKE_TTS_WORD_DURATION   audio per word (default 40ms)
//	FACTORY_FAKE_TTS_FAULTS          "resource_exhausted,times=2,retry_after=1s;unavailable,p=0.1,voice=V"
//	FACTORY_FAKE_TTS_SEED            integer seed of the probabilities
//	FACTORY_FAKE_TTS_UNKNOWN_VOICES  comma-separated voices answered NotFound
func OptionsFromEnv() (Options, error) { return OptionsFrom(os.Getenv) }

// OptionsFrom is OptionsFromEnv with another source of variables.
func OptionsFrom(getenv func(string) string) (Options, error) {
	var o Options
	var err error
	if v := getenv(EnvLatency); v != "" {
		if o.Latency, err = time.ParseDuration(v); err != nil {
			return o, fmt.Errorf("%s: %w", EnvLatency, err)
		}
	}
	if v := getenv(EnvWordDuration); v != "" {
		if o.WordDuration, err = time.ParseDuration(v); err != nil {
			return o, fmt.Errorf("%s: %w", EnvWordDuration, err)
		}
	}
	if v := getenv(EnvSeed); v != "" {
		if o.Seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			return o, fmt.Errorf("%s: %w", EnvSeed, err)
		}
	}
	for _, v := range strings.Split(getenv(EnvUnknownVoices), ",") {
		if v = strings.TrimSpace(v); v != "" {
			o.UnknownVoices = append(o.UnknownVoices, v)
		}
	}
	if o.Faults, err = ParseFaults(getenv(EnvFaults)); err != nil {
		return o, fmt.Errorf("%s: %w", EnvFaults, err)
	}
	return o, nil
}

// Keys of a fault rule besides times and p.
const (
	keyVoice      = "voice"
	keyRetryAfter = "retry_after"
)

// ParseFaults reads faults written as "code,key=value,…" separated by
// semicolons (the grammar of package faultinject); code is
// resource_exhausted or unavailable (or any gRPC code name in lower snake
// case), keys are times, p, voice and retry_after.
func ParseFaults(spec string) ([]Fault, error) {
	rules, err := faultinject.Parse(spec, func(name string) bool { _, ok := faultCode(name); return ok },
		keyVoice, keyRetryAfter)
	if err != nil {
		return nil, err
	}
	var out []Fault
	for _, r := range rules {
		code, _ := faultCode(r.Kind)
		f := Fault{Code: code, Times: r.Times, Probability: r.Probability}
		for _, p := range r.Params {
			var err error
			switch p.Key {
			case keyVoice:
				f.Voice = p.Value
			case keyRetryAfter:
				f.RetryAfter, err = time.ParseDuration(p.Value)
			}
			if err != nil {
				return nil, r.Invalid(p.Key, err)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// FormatFaults writes faults as the spec ParseFaults reads them back
// from, leaving out settings that are zero.
func FormatFaults(faults []Fault) (string, error) {
	rules := make([]faultinject.Rule, len(faults))
	for i, f := range faults {
		r := faultinject.Rule{Kind: FaultName(f.Code), Odds: f.odds()}
		if f.Voice != "" {
			r.Params = append(r.Params, faultinject.Param{Key: keyVoice, Value: f.Voice})
		}
		if f.RetryAfter != 0 {
			r.Params = append(r.Params, faultinject.Param{Key: keyRetryAfter, Value: f.RetryAfter.String()})
		}
		rules[i] = r
	}
	return faultinject.Format(rules)
}

// odds say how often the fault fires.
func (f Fault) odds() faultinject.Odds {
	return faultinject.Odds{Times: f.Times, Probability: f.Probability}
}

// faultCode is the gRPC code a fault name stands for, in any case.
func faultCode(name string) (codes.Code, bool) {
	name = strings.ToUpper(name)
	for c := codes.Code(1); c <= 16; c++ {
		if strings.ToUpper(FaultName(c)) == name {
			return c, true
		}
	}
	return 0, false
}

// FaultName is how ParseFaults names a code: "resource_exhausted" for
// codes.ResourceExhausted.
func FaultName(c codes.Code) string { return snake(c.String()) }

// snake turns "ResourceExhausted" into "resource_exhausted".
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
