package espeak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"contentfactory.dev/factory/shared/content"
)

// Model names the synthesizer in usage records.
const Model = "espeak-ng"

// turnGap is the silence between two spoken lines.
const turnGap = 350 * time.Millisecond

// espeakMissing says how to get speech working when espeak-ng is absent.
const espeakMissing = "espeak-ng is not installed; install it (Debian/Ubuntu: sudo apt-get install espeak-ng), " +
	"or run `make run` as root, or use FACTORY_AI=vertex"

// Speech narrates a podcast script with the espeak-ng command: one
// distinct voice per speaker (a voice variant of the script's language with
// its own pitch and speed), the intro, every turn and the outro spoken in
// order, stitched into one WAV file with a short silence between lines.
// The zero value runs "espeak-ng" from PATH with one process per CPU.
type Speech struct {
	// Binary is the espeak-ng executable, a path or a name looked up in
	// PATH; empty means "espeak-ng".
	Binary string
	// Concurrency bounds the espeak-ng processes run at once; zero means
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

// Synthesize narrates the script and returns one WAV file, the cues of
// every spoken line (intro, turns, outro) and the voice of each speaker.
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
	voices := makeVoices(voiceLanguage(ctx, bin, req.Language), len(script.Speakers))
	audio, err := s.speakAll(ctx, bin, lines, voices)
	if err != nil {
		return ai.SpeechResult{}, err
	}
	return assemble(script, lines, audio, voices, start)
}

// binary finds the espeak-ng executable.
func (s Speech) binary() (string, error) {
	name := s.Binary
	if name == "" {
		name = "espeak-ng"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &ai.Error{Code: "speech_unavailable", Retryable: false, Err: errors.New(espeakMissing)}
	}
	return path, nil
}

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

// speakAll synthesizes every line, at most Concurrency at a time, and
// returns their audio in order. The first failure cancels the rest.
func (s Speech) speakAll(parent context.Context, bin string, lines []line, voices []espeakVoice) ([]wavAudio, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	workers := s.Concurrency
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	out := make([]wavAudio, len(lines))
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
			a, err := speak(ctx, bin, voices[l.speaker], l.text)
			if err != nil {
				errs[i] = fmt.Errorf("line %d: %w", i, err)
				cancel()
				return
			}
			out[i] = a
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
	cmd.Stdin = strings.NewReader(text)
	var stdout bytes.Buffer
	stderr := &limitedBuffer{limit: 2048}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return wavAudio{}, fmt.Errorf("espeak-ng: %w", ctx.Err())
		}
		err = fmt.Errorf("espeak-ng -v %s: %w: %s", v.name, err, strings.TrimSpace(stderr.String()))
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() < 0 {
			return wavAudio{}, ai.Transient("speech_failed", err) // killed by a signal
		}
		return wavAudio{}, ai.Permanent("speech_failed", err)
	}
	if stdout.Len() == 0 {
		return wavAudio{}, nil // nothing pronounceable, such as a lone dash
	}
	a, err := readWAV(stdout.Bytes())
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

// assemble stitches the lines' audio in order with a silence between
// them, and times a cue for each line.
func assemble(script *content.PodcastScript, lines []line, audio []wavAudio, voices []espeakVoice, start time.Time) (ai.SpeechResult, error) {
	format, err := commonFormat(audio)
	if err != nil {
		return ai.SpeechResult{}, err
	}
	gap := format.silence(format.framesIn(turnGap))
	var data []byte
	cues := make([]ai.Cue, 0, len(lines))
	chars := 0
	for i, l := range lines {
		if i > 0 {
			data = append(data, gap...)
		}
		begin := format.duration(len(data) / format.frameSize())
		data = append(data, audio[i].data...)
		name := script.Speakers[l.speaker].Name
		cues = append(cues, ai.Cue{Start: begin, End: format.duration(len(data) / format.frameSize()), Speaker: name, Text: l.text})
		chars += utf8.RuneCountInString(l.text)
	}
	out := wavAudio{format: format, data: data}
	encoded, err := writeFLAC(out)
	if err != nil {
		return ai.SpeechResult{}, ai.Permanent("speech_failed", fmt.Errorf("offline speech: %w", err))
	}
	names := map[string]string{}
	for i, sp := range script.Speakers {
		names[sp.Name] = voices[i].name
	}
	return ai.SpeechResult{
		Audio:    encoded,
		MIMEType: "audio/flac",
		Duration: out.duration(),
		Cues:     cues,
		Voices:   names,
		Calls:    []ai.Call{{Backend: offline.Backend, Model: Model, Characters: int64(chars), Duration: time.Since(start)}},
	}, nil
}

// commonFormat is the format every synthesized line shares.
func commonFormat(audio []wavAudio) (pcmFormat, error) {
	var format pcmFormat
	for _, a := range audio {
		switch {
		case a.format.frameSize() == 0:
		case format.frameSize() == 0:
			format = a.format
		case a.format != format:
			return pcmFormat{}, ai.Permanentf("speech_failed", "offline speech: espeak-ng returned %+v and %+v audio", format, a.format)
		}
	}
	if format.frameSize() == 0 {
		return pcmFormat{}, ai.Permanentf("speech_failed", "offline speech: espeak-ng returned no audio")
	}
	return format, nil
}
