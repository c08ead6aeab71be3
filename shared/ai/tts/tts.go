// Package tts is the production speech backend: Cloud Text-to-Speech
// (cloud.google.com/go/texttospeech, apiv1, gRPC), selected with
// FACTORY_AI=vertex.
//
// Each podcast speaker gets a distinct voice of the request's language
// from the models configuration (Chirp 3 HD voices by default). The intro
// and outro are spoken by the first speaker. Every turn is cut at sentence
// boundaries into requests under the service's 5,000-byte input limit
// (Split); the requests are synthesized in parallel with bounded
// concurrency (and an optional requests-per-minute limit), each retried
// in process on ResourceExhausted, Unavailable and DeadlineExceeded, and
// the MP3 answers are stitched in order into one MP3 by concatenating
// their MPEG audio frames (package mp3), dropping ID3 tags and Xing/Info
// frames. Every answer is kept in the request's PartStore as it arrives
// and then held only by its length; the narration is written by reading
// the parts back one at a time, so the whole is never in memory. The transcript has one cue per turn, timed by the exact
// durations of the frames. One ai.Call with its characters and cost is
// recorded per request.
package tts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	texttospeech "cloud.google.com/go/texttospeech/apiv1"
	"cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	"github.com/googleapis/gax-go/v2"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
	"google.golang.org/api/option"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
	"contentfactory.dev/factory/shared/content"
)

// Speaker is the part of the Cloud TTS client the synthesizer uses.
type Speaker interface {
	SynthesizeSpeech(ctx context.Context, req *texttospeechpb.SynthesizeSpeechRequest, opts ...gax.CallOption) (*texttospeechpb.SynthesizeSpeechResponse, error)
}

// Synth is the Cloud TTS backend. It implements ai.Synthesizer.
type Synth struct {
	client  Speaker
	closer  func() error
	cfg     *models.Config
	retry   retry.Policy
	limiter *rate.Limiter
}

var _ ai.Synthesizer = (*Synth)(nil)

// Options are the seams of a Synth.
type Options struct {
	// Client replaces the Cloud TTS client (tests).
	Client Speaker
	// Retry overrides the configured retry policy.
	Retry *retry.Policy
	// ClientOptions are added to the client's options.
	ClientOptions []option.ClientOption
}

// New builds a Synth: a gRPC client to tts.endpoint (Google's by
// default), in plaintext without credentials when tts.insecure is set.
func New(ctx context.Context, cfg *models.Config, opts Options) (*Synth, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("tts: %w", err)
	}
	s := &Synth{client: opts.Client, closer: func() error { return nil }, cfg: cfg}
	if opts.Retry != nil {
		s.retry = *opts.Retry
	} else {
		s.retry = cfg.Retry.Policy()
	}
	if rpm := cfg.TTS.RequestsPerMinute; rpm > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(float64(rpm)/60), max(1, rpm/60))
	}
	if s.client == nil {
		var co []option.ClientOption
		if cfg.TTS.Endpoint != "" {
			co = append(co, option.WithEndpoint(cfg.TTS.Endpoint))
		}
		if cfg.TTS.Insecure {
			co = append(co, option.WithoutAuthentication(),
				option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
		}
		c, err := texttospeech.NewClient(ctx, append(co, opts.ClientOptions...)...)
		if err != nil {
			return nil, fmt.Errorf("tts: new client: %w", err)
		}
		// Retries and deadlines are ours: one attempt per call here.
		c.CallOptions.SynthesizeSpeech = nil
		s.client, s.closer = c, c.Close
	}
	return s, nil
}

// Close closes the client.
func (s *Synth) Close() error { return s.closer() }

var _ ai.Pacer = (*Synth)(nil)

// Pace is how fast the configured voices speak (models.Config.Pace).
func (s *Synth) Pace(language string, speakers int) content.Pace {
	return s.cfg.Pace(language, speakers)
}

// line is one spoken turn of the script.
type line struct {
	speaker string
	voice   string
	text    string
}

// piece is one request: a chunk of a line.
type piece struct {
	line  int
	voice string
	text  string
}

// Synthesize implements ai.Synthesizer.
func (s *Synth) Synthesize(ctx context.Context, req ai.SpeechRequest) (ai.SpeechResult, error) {
	sc := req.Script
	if sc == nil || len(sc.Speakers) == 0 {
		return ai.SpeechResult{}, ai.Permanentf("invalid_request", "synthesize: no script or no speakers")
	}
	lang := req.Language
	if lang == "" {
		lang = content.DefaultLanguage
	}
	locale, voices := s.cfg.TTS.VoicesFor(lang)
	if len(voices) == 0 {
		return ai.SpeechResult{}, ai.Permanentf("invalid_request",
			"no voice speaks %s: add its language to the models file entry tts.locales", lang)
	}
	if len(voices) < len(sc.Speakers) {
		return ai.SpeechResult{}, ai.Permanentf("invalid_request",
			"%d speakers but only %d distinct voices for %s: add voices to the models file entry tts.voices.%s", len(sc.Speakers), len(voices), locale, locale)
	}
	assigned := map[string]string{}
	for i, sp := range sc.Speakers {
		assigned[sp.Name] = voices[i]
	}
	lines := scriptLines(sc, voices)
	if len(lines) == 0 {
		return ai.SpeechResult{}, ai.Permanentf("invalid_request", "synthesize: the script has nothing to say")
	}
	var pieces []piece
	for i, l := range lines {
		for _, chunk := range Split(l.text, s.cfg.TTS.MaxRequestBytes) {
			pieces = append(pieces, piece{line: i, voice: l.voice, text: chunk})
		}
	}

	// Identical parts (same voice, same words) are synthesized once.
	keys := make([]string, len(pieces))
	first := map[string]int{}
	for i, p := range pieces {
		keys[i] = s.partKey(locale, p)
		if _, ok := first[keys[i]]; !ok {
			first[keys[i]] = i
		}
	}
	// A part kept in req.Parts is held only by its length: the narration
	// reads it back when it is written.
	audio := make([]*mp3.Audio, len(pieces))
	kept := make([]bool, len(pieces))
	calls := make([]ai.Call, len(pieces))
	var mu sync.Mutex
	var done []int
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.TTS.Concurrency)
	for i, p := range pieces {
		if first[keys[i]] != i {
			continue
		}
		g.Go(func() error {
			if req.Parts != nil {
				if data, ok, err := req.Parts.Get(gctx, keys[i]); err == nil && ok {
					if a, err := mp3.Parse(data); err == nil {
						audio[i], kept[i] = a.Bare(), true // synthesized by an earlier run: not paid for again
						return nil
					}
				}
			}
			a, call, err := s.speak(gctx, locale, p)
			if err != nil {
				return fmt.Errorf("synthesize part %d of %d (turn %d, voice %s): %w", i+1, len(pieces), p.line, p.voice, err)
			}
			audio[i], calls[i] = a, call
			mu.Lock()
			done = append(done, i)
			mu.Unlock()
			// A part that could not be kept is held in memory, and
			// synthesized again if the run is retried.
			if req.Parts != nil && req.Parts.Put(gctx, keys[i], a.Data, "audio/mpeg") == nil {
				audio[i], kept[i] = a.Bare(), true
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		res := ai.SpeechResult{}
		for _, i := range done {
			res.Calls = append(res.Calls, calls[i])
		}
		return res, err
	}

	var paid []ai.Call
	for _, i := range done {
		paid = append(paid, calls[i])
	}
	all := &mp3.Sequence{}
	for i := range pieces {
		j := first[keys[i]]
		if err := all.Add(keys[j], audio[j], !kept[j]); err != nil {
			return ai.SpeechResult{Calls: paid}, ai.Permanent("invalid_output", fmt.Errorf("stitch the narration: %w", err))
		}
	}
	parts := req.Parts
	res := ai.SpeechResult{
		Audio: func(ctx context.Context, w io.Writer) error {
			return all.WriteTo(ctx, w, func(ctx context.Context, key string) ([]byte, error) {
				return ai.ReadPart(ctx, parts, key)
			})
		},
		MIMEType: "audio/mpeg", Duration: all.Duration(), Voices: assigned, Calls: paid,
	}
	var at time.Duration
	cue := -1
	var samples int64
	for i, p := range pieces {
		if p.line != cue {
			res.Cues = append(res.Cues, ai.Cue{Start: at, Speaker: lines[p.line].speaker, Text: lines[p.line].text})
			cue = p.line
		}
		samples += audio[first[keys[i]]].Samples
		at = time.Duration(samples) * time.Second / time.Duration(all.SampleRate)
		res.Cues[len(res.Cues)-1].End = at
	}
	return res, nil
}

// partKey names a synthesized part by everything that decides its audio.
func (s *Synth) partKey(locale string, p piece) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%g\x00%s", locale, p.voice, s.cfg.TTS.SampleRateHertz, s.cfg.TTS.SpeakingRate, p.text)
	return hex.EncodeToString(h.Sum(nil)[:16]) + ".mp3"
}

// scriptLines lists what is spoken, in order: the intro and the outro by
// the first speaker, every turn by its speaker.
func scriptLines(sc *content.PodcastScript, voices []string) []line {
	first := sc.Speakers[0].Name
	var out []line
	add := func(speaker, text string) {
		i := sc.SpeakerIndex(speaker)
		text = strings.TrimSpace(text)
		if i < 0 || text == "" {
			return
		}
		out = append(out, line{speaker: sc.Speakers[i].Name, voice: voices[i], text: text})
	}
	add(first, sc.Intro)
	for _, t := range sc.Turns {
		add(t.Speaker, t.Text)
	}
	add(first, sc.Outro)
	return out
}

// speak synthesizes one piece with retries and parses its MP3.
func (s *Synth) speak(ctx context.Context, locale string, p piece) (*mp3.Audio, ai.Call, error) {
	call := ai.Call{Backend: models.BackendTTS, Model: p.voice, Characters: int64(utf8.RuneCountInString(p.text))}
	req := &texttospeechpb.SynthesizeSpeechRequest{
		Input: &texttospeechpb.SynthesisInput{InputSource: &texttospeechpb.SynthesisInput_Text{Text: p.text}},
		Voice: &texttospeechpb.VoiceSelectionParams{LanguageCode: locale, Name: p.voice},
		AudioConfig: &texttospeechpb.AudioConfig{
			AudioEncoding:   texttospeechpb.AudioEncoding_MP3,
			SampleRateHertz: s.cfg.TTS.SampleRateHertz,
		},
	}
	if r := s.cfg.TTS.SpeakingRate; r != 0 && r != 1 {
		req.AudioConfig.SpeakingRate = r
	}
	start := time.Now()
	resp, err := retry.Value(ctx, s.retry, func(ctx context.Context) (*texttospeechpb.SynthesizeSpeechResponse, error) {
		if s.limiter != nil {
			if err := s.limiter.Wait(ctx); err != nil {
				return nil, &ai.Error{Code: "timeout", Retryable: true, Err: fmt.Errorf("wait for the TTS rate limit: %w", err)}
			}
		}
		cctx, cancel := context.WithTimeout(ctx, s.cfg.TTS.Timeout.D())
		defer cancel()
		resp, err := s.client.SynthesizeSpeech(cctx, req)
		if err != nil {
			return nil, classify(err, p.voice, locale)
		}
		return resp, nil
	})
	call.Duration = time.Since(start)
	if err != nil {
		return nil, call, err
	}
	call = s.cfg.Priced(call)
	a, err := mp3.Parse(resp.GetAudioContent())
	if err != nil {
		return nil, call, ai.Permanent("invalid_output", fmt.Errorf("the TTS answer is not MP3: %w", err))
	}
	return a, call, nil
}

// classify maps a gRPC error of Cloud TTS to an *ai.Error.
func classify(err error, voice, locale string) error {
	st, ok := status.FromError(err)
	if !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return &ai.Error{Code: "timeout", Retryable: true, Err: err}
		case errors.Is(err, context.Canceled):
			return &ai.Error{Code: "unavailable", Retryable: true, Err: err}
		}
		return &ai.Error{Code: "unavailable", Retryable: true, Err: err}
	}
	var after time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			after = ri.GetRetryDelay().AsDuration()
		}
	}
	switch st.Code() {
	case codes.ResourceExhausted:
		return &ai.Error{Code: "rate_limited", Retryable: true, RetryAfter: after, Err: err}
	case codes.Unavailable, codes.Internal, codes.Aborted, codes.Unknown:
		return &ai.Error{Code: "unavailable", Retryable: true, RetryAfter: after, Err: err}
	case codes.DeadlineExceeded:
		return &ai.Error{Code: "timeout", Retryable: true, Err: err}
	case codes.Canceled:
		return &ai.Error{Code: "unavailable", Retryable: true, Err: err}
	case codes.NotFound:
		return ai.Permanent("model_retired", fmt.Errorf("voice %s was not found (retired?): set the models file entry tts.voices.%s: %w", voice, locale, err))
	case codes.PermissionDenied, codes.Unauthenticated:
		return ai.Permanent("permission_denied", err)
	}
	return ai.Permanent("invalid_request", err)
}

// Probe makes one tiny synthesis with a voice, without retries, for the
// model check. It returns nil when the voice speaks.
func (s *Synth) Probe(ctx context.Context, locale, voice string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.TTS.Timeout.D())
	defer cancel()
	_, err := s.client.SynthesizeSpeech(ctx, &texttospeechpb.SynthesizeSpeechRequest{
		Input:       &texttospeechpb.SynthesisInput{InputSource: &texttospeechpb.SynthesisInput_Text{Text: "Hello."}},
		Voice:       &texttospeechpb.VoiceSelectionParams{LanguageCode: locale, Name: voice},
		AudioConfig: &texttospeechpb.AudioConfig{AudioEncoding: texttospeechpb.AudioEncoding_MP3},
	})
	if err != nil {
		return classify(err, voice, locale)
	}
	return nil
}
