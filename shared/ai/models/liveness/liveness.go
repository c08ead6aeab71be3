// Package liveness checks that every model and voice the configuration
// names is alive, with one tiny call each, text models through the
// backend that serves them (Gemini, Claude on Vertex AI, the
// OpenAI-compatible endpoint): models retire (a retired Vertex model
// answers 404), and finding out at deploy time beats finding
// out from failed jobs. `factory models check` prints its results.
package liveness

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/claude"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/openaicompat"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/tts"
	"contentfactory.dev/factory/shared/ai/vertex"
)

// Status is the verdict on one model or voice.
type Status string

// The verdicts.
const (
	OK          Status = "ok"
	Retired     Status = "retired"
	Unreachable Status = "unreachable"
)

// Result is the check of one model or voice.
type Result struct {
	// Kind is "text", "image" or "voice".
	Kind string `json:"kind"`
	// Backend is what serves it: a text backend (gemini, claude, openai),
	// gemini for the image model, tts for a voice.
	Backend string `json:"backend"`
	// Name is the model ID or voice name.
	Name string `json:"name"`
	// Used says which settings use it, such as "text.default,
	// text.steps.outline" or "tts.voices.en-US".
	Used    string        `json:"used"`
	Status  Status        `json:"status"`
	Detail  string        `json:"detail,omitempty"`
	Latency time.Duration `json:"latency"`
}

// AllOK reports whether every result is ok.
func AllOK(rs []Result) bool {
	for _, r := range rs {
		if r.Status != OK {
			return false
		}
	}
	return true
}

// Options are the seams of CheckWith.
type Options struct {
	// HTTPClient is given to every model backend (nil: their defaults).
	HTTPClient *http.Client
	// Speaker replaces the Cloud TTS client.
	Speaker tts.Speaker
}

// prober makes the tiny call of the check to one model.
type prober interface {
	Probe(ctx context.Context, model, setting string) error
}

// Check makes one tiny call per configured text model (every step's and
// fallback's, each through its own backend), the image model and every
// voice of every locale the voices and locales tables name (a locale of
// the locales table speaks with the voices tts.voice_names makes), and
// reports each: ok, retired (the
// service does not know it) or unreachable (any other failure, described
// in Detail).
func Check(ctx context.Context, cfg *models.Config) []Result {
	return CheckWith(ctx, cfg, Options{})
}

// CheckWith is Check with seams.
func CheckWith(ctx context.Context, cfg *models.Config, opts Options) []Result {
	type probe struct {
		Result
		run func(ctx context.Context) error
	}
	var probes []*probe
	one := retry.Policy{Attempts: 1}

	vc, verr := vertex.New(ctx, cfg, vertex.Options{HTTPClient: opts.HTTPClient, Retry: &one, Index: &vertex.MemoryIndex{}})
	probers := map[string]func() (prober, error){
		models.TextGemini: func() (prober, error) { return vc, verr },
		models.TextClaude: func() (prober, error) {
			return claude.New(ctx, cfg, claude.Options{HTTPClient: opts.HTTPClient, Retry: &one})
		},
		models.TextOpenAI: func() (prober, error) {
			return openaicompat.New(ctx, cfg, openaicompat.Options{HTTPClient: opts.HTTPClient, Retry: &one})
		},
	}
	built := map[string]prober{}
	builtErr := map[string]error{}
	for _, m := range cfg.TextModels() {
		if _, ok := built[m.Backend]; !ok && builtErr[m.Backend] == nil {
			if build, ok := probers[m.Backend]; ok {
				built[m.Backend], builtErr[m.Backend] = build()
			} else {
				builtErr[m.Backend] = fmt.Errorf("no text backend %q", m.Backend)
			}
		}
		setting := models.EnvTextModel + " or the models file entry text.default.model"
		if !slices.Contains(m.Used, "text.default") {
			setting = "the models file entries " + strings.Join(m.Used, ", ")
		}
		p, err := built[m.Backend], builtErr[m.Backend]
		probes = append(probes, &probe{Result: Result{Kind: "text", Backend: m.Backend, Name: m.Model, Used: strings.Join(m.Used, ", ")},
			run: func(ctx context.Context) error {
				if err != nil {
					return err
				}
				return p.Probe(ctx, m.Model, setting)
			}})
	}
	img := cfg.Image.Model
	probes = append(probes, &probe{Result: Result{Kind: "image", Backend: models.TextGemini, Name: img, Used: "image.model"},
		run: func(ctx context.Context) error {
			if verr != nil {
				return verr
			}
			return vc.Probe(ctx, img, cfg.Image.ModelSetting())
		}})

	synth, serr := tts.New(ctx, cfg, tts.Options{Client: opts.Speaker, Retry: &one})
	if serr == nil {
		defer synth.Close()
	}
	for _, l := range cfg.TTS.AllLocales() {
		used := "tts.voices." + l
		if _, ok := cfg.TTS.Voices[l]; !ok {
			used = "tts.locales " + strings.Join(languagesOf(cfg.TTS, l), ", ") + " with tts.voice_names"
		}
		_, voices := cfg.TTS.VoicesFor(l)
		for _, v := range voices {
			probes = append(probes, &probe{Result: Result{Kind: "voice", Backend: models.BackendTTS, Name: v, Used: used},
				run: func(ctx context.Context) error {
					if serr != nil {
						return serr
					}
					return synth.Probe(ctx, l, v)
				}})
		}
	}

	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range probes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			err := p.run(ctx)
			p.Latency = time.Since(start)
			p.Status, p.Detail = verdict(err)
			if p.Status == OK {
				p.Detail = priceNote(cfg, p.Result)
			}
		})
	}
	wg.Wait()
	out := make([]Result, len(probes))
	for i, p := range probes {
		out[i] = p.Result
	}
	return out
}

func verdict(err error) (Status, string) {
	if err == nil {
		return OK, ""
	}
	if e, ok := ai.AsError(err); ok && e.Code == "model_retired" {
		return Retired, e.Error()
	}
	return Unreachable, err.Error()
}

func priceNote(cfg *models.Config, r Result) string {
	call := ai.Call{Backend: models.BackendVertex, Model: r.Name}
	if r.Kind == "voice" {
		call.Backend = models.BackendTTS
	}
	if _, ok := cfg.PriceOf(call); !ok {
		key := r.Name
		if r.Kind == "voice" {
			key = models.TTSPriceKey(r.Name)
		}
		return fmt.Sprintf("no price: add prices.%s to the models file (its cost is recorded as 0)", key)
	}
	return ""
}

// languagesOf lists the keys of the locales table that name a locale.
func languagesOf(t models.TTS, locale string) []string {
	var out []string
	for lang, l := range t.Locales {
		if l == locale {
			out = append(out, lang)
		}
	}
	slices.Sort(out)
	return out
}
