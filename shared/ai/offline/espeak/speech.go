package espeak

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
	"contentfactory.dev/factory/shared/content"
)

// Model names the synthesizer in usage records.
const Model = "espeak-ng"

// turnGap is the silence between two spoken lines.
const turnGap = 350 * time.Millisecond

// espeakMissing and lameMissing say how to get speech working when a
// command is absent.
const (
	espeakMissing = "espeak-ng is not installed; install it (Debian/Ubuntu: sudo apt-get install espeak-ng), " +
		"or run `make run` as root, or use FACTORY_AI=vertex"
	lameMissing = "lame (the MP3 encoder of the offline podcast) is not installed; install it (Debian/Ubuntu: sudo apt-get install lame), " +
		"or run `make run` as root, or use FACTORY_AI=vertex"
)

// Encoding names how the podcast is encoded, for what decides a cached
// result.
const Encoding = "mp3 48 kbit/s mono, lame"

// bitrate is the MP3 bitrate of the offline podcast in kbit/s: constant,
// mono, at espeak-ng's 22.05 kHz (MPEG-2 Layer III), ample for its speech.
const bitrate = 48

// encoderOverhead is the silence lame adds to every piece it encodes on
// average: its encoder delay (1,105 samples at 22.05 kHz, 50 ms) and half a
// frame of padding. The silence put before a line is shorter by it, so
// that the lines stay turnGap apart.
const encoderOverhead = 63 * time.Millisecond

// Speech narrates a podcast script with the espeak-ng command: one
// distinct voice per speaker (a voice variant of the script's language with
// its own pitch and speed), the intro, every turn and the outro spoken in
// order, each line (after the first with a short silence before it)
// encoded as MP3 by the lame command and the pieces stitched into one MP3
// (package mp3). Each piece is kept in the request's PartStore as it is
// made and then held only by its length: the narration is written by
// reading the pieces back one at a time, and a retried run reuses them.
// The zero value runs "espeak-ng" and "lame" from PATH with one line in
// the making per CPU.
type Speech struct {
	// Binary is the espeak-ng executable, a path or a name looked up in
	// PATH; empty means "espeak-ng".
	Binary string
	// Lame is the lame executable, as Binary; empty means "lame".
	Lame string
	// Concurrency bounds the lines made at once; zero means
	// runtime.NumCPU().
	Concurrency int
}

var (
	_ ai.Synthesizer = Speech{}
	_ ai.Pacer       = Speech{}
)

// espeakVoice is how one speaker sounds.
type espeakVoice struct {
	name  string // language voice and variant, "en-us+f3"
	speed int    // words per minute
	pitch int    // 0–99
}

// Per-speaker variants, pitches and speeds, in speaker order.
var (
	voiceVariants = []string{"m3", "f3", "m1", "f4"}
	voicePitches  = []int{40, 62, 28, 72}
	voiceSpeeds   = []int{165, 172, 156, 178}
	// voiceWordsPerMinute is how many words a minute each voice really
	// speaks, calibrated on English podcast scripts of the offline text
	// backend (every style, four fixtures, some 11,000 words): the words
	// of each voice's lines over the time of their cues, the silence
	// between lines apart (espeak-ng's -s is its own measure, not words
	// of such text). TestPodcastDurations holds the audio to them.
	voiceWordsPerMinute = []float64{157, 176, 149, 166}
)

// Pace is how fast the voices of a script of that many speakers talk:
// each speaker's calibrated words per minute, and the silence between two
// lines. The figures are English ones; other languages are spoken at the
// same settings, and their words take more or less time.
func (Speech) Pace(_ string, speakers int) content.Pace {
	n := min(max(speakers, 1), len(voiceWordsPerMinute))
	return content.Pace{WordsPerMinute: slices.Clone(voiceWordsPerMinute[:n]), PerLine: turnGap}
}

// line is one spoken piece of the script.
type line struct {
	speaker int
	text    string
}

// Synthesize narrates the script as one MP3, with the cues of every
// spoken line (intro, turns, outro) and the voice of each speaker.
func (s Speech) Synthesize(ctx context.Context, req ai.SpeechRequest) (ai.SpeechResult, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return ai.SpeechResult{}, fmt.Errorf("offline speech: %w", err)
	}
	script := req.Script
	if script == nil || len(script.Speakers) == 0 {
		return ai.SpeechResult{}, ai.Permanentf("invalid_request", "offline speech: the script has no speakers")
	}
	if len(script.Speakers) > len(voiceVariants) {
		return ai.SpeechResult{}, ai.Permanentf("invalid_request", "offline speech: %d speakers, at most %d voices", len(script.Speakers), len(voiceVariants))
	}
	lines, err := scriptLines(script)
	if err != nil {
		return ai.SpeechResult{}, err
	}
	bin, err := s.binary()
	if err != nil {
		return ai.SpeechResult{}, err
	}
	lame, err := lookPath(s.Lame, "lame", lameMissing)
	if err != nil {
		return ai.SpeechResult{}, err
	}
	voices := makeVoices(voiceLanguage(ctx, bin, req.Language), len(script.Speakers))
	tools := tools{espeak: bin, lame: lame}
	pieces, err := s.makeAll(ctx, tools, lines, voices, req.Parts)
	if err != nil {
		return ai.SpeechResult{}, err
	}
	return assemble(script, lines, pieces, voices, req.Parts, start)
}

// lookPath finds a command (name, else def) or fails with the advice.
func lookPath(name, def, advice string) (string, error) {
	if name == "" {
		name = def
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &ai.Error{Code: "speech_unavailable", Retryable: false, Err: errors.New(advice)}
	}
	return path, nil
}

// binary finds the espeak-ng executable.
func (s Speech) binary() (string, error) { return lookPath(s.Binary, "espeak-ng", espeakMissing) }

// scriptLines lists what is spoken, in order: the intro and the outro by
// the first speaker, and every turn by its speaker.
func scriptLines(p *content.PodcastScript) ([]line, error) {
	var out []line
	add := func(speaker int, text string) {
		if text = strings.TrimSpace(text); text != "" {
			out = append(out, line{speaker: speaker, text: text})
		}
	}
	add(0, p.Intro)
	for i, t := range p.Turns {
		sp := p.SpeakerIndex(t.Speaker)
		if sp < 0 {
			return nil, ai.Permanentf("invalid_request", "offline speech: turn %d: %q is not a declared speaker", i, t.Speaker)
		}
		add(sp, t.Text)
	}
	add(0, p.Outro)
	if len(out) == 0 {
		return nil, ai.Permanentf("invalid_request", "offline speech: the script has nothing to say")
	}
	return out, nil
}

// makeVoices gives each speaker its own variant, pitch and speed.
func makeVoices(lang string, n int) []espeakVoice {
	out := make([]espeakVoice, n)
	for i := range out {
		out[i] = espeakVoice{name: lang + "+" + voiceVariants[i], speed: voiceSpeeds[i], pitch: voicePitches[i]}
	}
	return out
}

// voiceLanguage picks the espeak-ng language voice for a BCP 47 tag: the
// full tag ("en-us", "pt-br"), else its base language ("de"), else a
// regional voice of it ("fr-fr"), else American English. When espeak-ng
// cannot list its voices, the base language is used as is.
func voiceLanguage(ctx context.Context, bin, tag string) string {
	tag = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	base, _, _ := strings.Cut(tag, "-")
	if base == "" {
		return "en-us"
	}
	listCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(listCtx, bin, "--voices").Output()
	if err != nil {
		return base
	}
	known := map[string]bool{}
	var regional []string
	for _, l := range strings.Split(string(out), "\n")[1:] {
		if f := strings.Fields(l); len(f) >= 2 {
			known[f[1]] = true
			if strings.HasPrefix(f[1], base+"-") {
				regional = append(regional, f[1])
			}
		}
	}
	switch {
	case known[tag]:
		return tag
	case known[base]:
		return base
	case base == "en":
		return "en-us"
	case len(regional) > 0:
		return minString(regional)
	}
	return "en-us"
}

func minString(items []string) string {
	best := items[0]
	for _, s := range items[1:] {
		best = min(best, s)
	}
	return best
}

// tools are the commands a line is made with.
type tools struct{ espeak, lame string }

// piece is one line's MP3: its length (and its frames when they are not
// kept in the PartStore), its key there, and whether it was made by this
// run (or found kept).
type piece struct {
	key   string
	audio *mp3.Audio
	kept  bool
	made  bool
}

// makeAll makes every line's piece, at most Concurrency at a time, and
// returns them in order. The first failure cancels the rest.
func (s Speech) makeAll(parent context.Context, tools tools, lines []line, voices []espeakVoice, parts ai.PartStore) ([]piece, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	workers := s.Concurrency
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	out := make([]piece, len(lines))
	errs := make([]error, len(lines))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, l := range lines {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p, err := makePiece(ctx, tools, voices[l.speaker], l.text, i > 0, parts)
			if err != nil {
				errs[i] = fmt.Errorf("line %d: %w", i, err)
				cancel()
				return
			}
			out[i] = p
		}()
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("offline speech: %w", err)
	}
	if err := firstError(errs); err != nil {
		return nil, err
	}
	return out, nil
}

// partKey names a line's piece by everything that decides its audio.
func partKey(v espeakVoice, text string, lead bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00lame %d kbit/s\x00lead %t %v\x00%s", Model, v.name, v.speed, v.pitch, bitrate, lead, leadGap, text)
	return hex.EncodeToString(h.Sum(nil)[:16]) + ".mp3"
}

// leadGap is the silence put before every line but the first.
const leadGap = turnGap - encoderOverhead

// encoderDelay is where lame's audio starts in a piece, in samples: its
// encoder delay (576) and the decoder's (529), which players play as
// silence (no LAME tag tells them otherwise).
const encoderDelay = 576 + 529

// makePiece makes one line's MP3 (after leadGap of silence when lead is
// set), or finds it kept in parts. A piece kept in parts is held only by
// its length.
func makePiece(ctx context.Context, tools tools, v espeakVoice, text string, lead bool, parts ai.PartStore) (piece, error) {
	p := piece{key: partKey(v, text, lead)}
	if parts != nil {
		if data, ok, err := parts.Get(ctx, p.key); err == nil && ok {
			if a, err := mp3.Parse(data); err == nil {
				p.audio, p.kept = a.Bare(), true
				return p, nil
			}
		}
	}
	wav, err := speak(ctx, tools.espeak, v, text)
	if err != nil {
		return piece{}, err
	}
	p.made = true
	if wav.frames() == 0 {
		p.audio = &mp3.Audio{} // nothing pronounceable, such as a lone dash
		return p, nil
	}
	pcm := wav.data
	if lead {
		pcm = append(wav.format.silence(wav.format.framesIn(leadGap)), wav.data...)
	}
	data, err := encode(ctx, tools.lame, wav.format, pcm)
	if err != nil {
		return piece{}, err
	}
	a, err := mp3.Parse(data)
	if err != nil {
		return piece{}, ai.Permanent("speech_failed", fmt.Errorf("lame output: %w", err))
	}
	p.audio = a
	// A piece that could not be kept is held in memory, and made again
	// if the run is retried.
	if parts != nil && parts.Put(ctx, p.key, a.Data, "audio/mpeg") == nil {
		p.audio, p.kept = a.Bare(), true
	}
	return p, nil
}

// encode runs lame once on raw PCM of a format and returns its MP3:
// constant bitrate, mono, no Xing/LAME tag frame.
func encode(ctx context.Context, lame string, f pcmFormat, pcm []byte) ([]byte, error) {
	if f.channels != 1 {
		return nil, ai.Permanentf("speech_failed", "espeak-ng returned %d channels, not mono", f.channels)
	}
	sign := "--signed"
	if f.bitsPerSample == 8 {
		sign = "--unsigned"
	}
	cmd := exec.CommandContext(ctx, lame, "--quiet", "-r", "-s", strconv.FormatFloat(float64(f.sampleRate)/1000, 'f', -1, 64),
		"--bitwidth", strconv.Itoa(f.bitsPerSample), sign, "--little-endian", "-m", "m", "-b", strconv.Itoa(bitrate), "-t", "-", "-")
	return run(ctx, cmd, "lame", bytes.NewReader(pcm))
}

// run runs a command of the backend (named what in errors) with stdin and
// returns its output. A run that fails is a permanent speech_failed with
// the start of the command's stderr, unless a signal killed it
// (transient) or the context ended.
func run(ctx context.Context, cmd *exec.Cmd, what string, stdin io.Reader) ([]byte, error) {
	cmd.Stdin = stdin
	var stdout bytes.Buffer
	stderr := &limitedBuffer{limit: 2048}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", what, ctx.Err())
		}
		err = fmt.Errorf("%s: %w: %s", what, err, strings.TrimSpace(stderr.String()))
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() < 0 {
			return nil, ai.Transient("speech_failed", err) // killed by a signal
		}
		return nil, ai.Permanent("speech_failed", err)
	}
	return stdout.Bytes(), nil
}

// firstError prefers the failure that caused a cancellation over the
// cancellations it caused.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// speak runs espeak-ng once, with the text on stdin, and decodes its WAV.
func speak(ctx context.Context, bin string, v espeakVoice, text string) (wavAudio, error) {
	cmd := exec.CommandContext(ctx, bin, "-v", v.name, "-s", strconv.Itoa(v.speed), "-p", strconv.Itoa(v.pitch), "--stdout")
	out, err := run(ctx, cmd, "espeak-ng -v "+v.name, strings.NewReader(text))
	if err != nil {
		return wavAudio{}, err
	}
	if len(out) == 0 {
		return wavAudio{}, nil // nothing pronounceable, such as a lone dash
	}
	a, err := readWAV(out)
	if err != nil {
		return wavAudio{}, ai.Permanent("speech_failed", fmt.Errorf("espeak-ng -v %s output: %w", v.name, err))
	}
	return a, nil
}

// limitedBuffer keeps the first limit bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// assemble stitches the lines' pieces in order and times a cue for
// each line: from where its speech starts (after the silence before it
// and the encoder's delay) to the end of its piece.
func assemble(script *content.PodcastScript, lines []line, pieces []piece, voices []espeakVoice, parts ai.PartStore, start time.Time) (ai.SpeechResult, error) {
	all := &mp3.Sequence{}
	cues := make([]ai.Cue, 0, len(lines))
	chars := 0
	var at int64 // samples
	for i, l := range lines {
		p := pieces[i]
		if err := all.Add(p.key, p.audio, !p.kept); err != nil {
			return ai.SpeechResult{}, ai.Permanent("speech_failed", fmt.Errorf("offline speech: %w", err))
		}
		c := ai.Cue{Speaker: script.Speakers[l.speaker].Name, Text: l.text}
		if p.audio.Frames > 0 {
			rate := time.Duration(p.audio.SampleRate)
			c.Start = time.Duration(at+encoderDelay) * time.Second / rate
			if i > 0 {
				c.Start += leadGap
			}
			at += p.audio.Samples
			c.End = time.Duration(at) * time.Second / rate
			c.Start = min(c.Start, c.End)
		} else if all.SampleRate > 0 {
			c.Start = time.Duration(at) * time.Second / time.Duration(all.SampleRate)
			c.End = c.Start
		}
		cues = append(cues, c)
		if p.made {
			chars += utf8.RuneCountInString(l.text)
		}
	}
	if all.Frames == 0 {
		return ai.SpeechResult{}, ai.Permanentf("speech_failed", "offline speech: espeak-ng returned no audio")
	}
	names := map[string]string{}
	for i, sp := range script.Speakers {
		names[sp.Name] = voices[i].name
	}
	res := ai.SpeechResult{
		Audio: func(ctx context.Context, w io.Writer) error {
			return all.WriteTo(ctx, w, func(ctx context.Context, key string) ([]byte, error) {
				return ai.ReadPart(ctx, parts, key)
			})
		},
		MIMEType: "audio/mpeg",
		Duration: all.Duration(),
		Cues:     cues,
		Voices:   names,
	}
	if chars > 0 {
		res.Calls = []ai.Call{{Backend: offline.Backend, Model: Model, Characters: int64(chars), Duration: time.Since(start)}}
	}
	return res, nil
}
