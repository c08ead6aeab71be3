// Package liveness checks that every model and voice the configuration
// names is alive, with one tiny call each: models retire (a retired
// Vertex model answers 404), and finding out at deploy time beats finding
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
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/tts"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
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
	// HTTPClient is given to the Vertex backend (nil: its default).
	HTTPClient *http.Client
	// Speaker replaces the Cloud TTS client.
	Speaker tts.Speaker
}

// Check makes one tiny call per configured text model, the image model
// and every voice of every locale the voices and locales tables name (a
// locale of the locales table speaks with the voices tts.voice_names
// makes), and reports each: ok, retired (the
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
	used := map[string][]string{}
	var order []string
	for _, f := range content.TextFormats() {
		m := cfg.Text.For(f).Model
		where := "text.steps." + string(f)
		if o, ok := cfg.Text.Steps[string(f)]; !ok || o.Model == "" {
			where = "text.default"
		}
		if !slices.Contains(order, m) {
			order = append(order, m)
		}
		if !slices.Contains(used[m], where) {
			used[m] = append(used[m], where)
		}
	}
	for _, m := range order {
		setting := models.EnvTextModel + " or the models file entry text.default.model"
		if !slices.Contains(used[m], "text.default") {
			setting = "the models file entries " + strings.Join(used[m], ", ")
		}
		probes = append(probes, &probe{Result: Result{Kind: "text", Name: m, Used: strings.Join(used[m], ", ")},
			run: func(ctx context.Context) error {
				if verr != nil {
					return verr
				}
				return vc.Probe(ctx, m, setting)
			}})
	}
	img := cfg.Image.Model
	probes = append(probes, &probe{Result: Result{Kind: "image", Name: img, Used: "image.model"},
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
			probes = append(probes, &probe{Result: Result{Kind: "voice", Name: v, Used: used},
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
