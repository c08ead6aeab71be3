package setup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/offline/cover"
	"contentfactory.dev/factory/shared/ai/offline/espeak"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/tts"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
)

// ImageGenerator returns the image backend FACTORY_AI selects.
func (e *Env) ImageGenerator(ctx context.Context) (ai.ImageGenerator, error) {
	switch e.Config.AI {
	case "offline":
		return &cover.Image{}, nil
	case "vertex":
		return e.Vertex(ctx)
	}
	return nil, fmt.Errorf("FACTORY_AI=%s: no image backend", e.Config.AI)
}

// Synthesizer returns the speech backend FACTORY_AI selects.
func (e *Env) Synthesizer(ctx context.Context) (ai.Synthesizer, error) {
	switch e.Config.AI {
	case "offline":
		return &espeak.Speech{Binary: e.Config.Espeak, Lame: e.Config.Lame}, nil
	case "vertex":
		cfg, err := e.Models()
		if err != nil {
			return nil, err
		}
		s, err := tts.New(ctx, cfg, tts.Options{})
		if err != nil {
			return nil, fmt.Errorf("speech backend: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("FACTORY_AI=%s: no speech backend", e.Config.AI)
}

// Pacer returns how fast the speech backend FACTORY_AI selects speaks,
// so the text step can size podcast scripts for it without building the
// speech client: espeak-ng's calibrated voices offline, the configured
// Cloud TTS voices with vertex (the embedded defaults when the models
// file cannot be read: the speech step reports that).
func (e *Env) Pacer() ai.Pacer {
	if e.Config.AI == "offline" {
		return espeak.Speech{Binary: e.Config.Espeak, Lame: e.Config.Lame}
	}
	cfg, err := e.Models()
	if err != nil {
		cfg = models.Defaults()
	}
	return cfg
}

// Voices returns the voices of the speech backend FACTORY_AI selects when
// it can tell the languages they speak: the configured Cloud TTS voices
// with vertex (the embedded defaults when the models file cannot be read:
// the speech step reports that). Offline, espeak-ng speaks a language it
// has no voice for in American English, and ok is false.
func (e *Env) Voices() (voices models.TTS, ok bool) {
	if e.Config.AI != "vertex" {
		return models.TTS{}, false
	}
	cfg, err := e.Models()
	if err != nil {
		cfg = models.Defaults()
	}
	return cfg.TTS, true
}

// Estimator returns what admission expects a request to cost: the
// estimate of the AI configuration (models.Config.Estimate), from the same
// price table the backends price their calls with. Offline calls cost
// nothing, but the estimate still uses the configured prices, so a daily
// budget admits the same jobs locally as deployed. A configuration that
// cannot be read is logged and the embedded defaults estimate instead:
// admitting jobs must not depend on a models file only the AI steps read,
// and those steps report it.
func (e *Env) Estimator() func(*content.Request) float64 {
	cfg, err := e.Models()
	if err != nil {
		if e.Log != nil {
			e.Log.Error("estimating job costs with the default model prices", "error", err.Error())
		}
		cfg = models.Defaults()
	}
	return cfg.Estimate
}

// Models reads the AI configuration: the embedded defaults, the file in
// FACTORY_MODELS and the FACTORY_TEXT_MODEL-style overrides, with the
// function's project as the Vertex project unless FACTORY_VERTEX_PROJECT
// names another.
func (e *Env) Models() (*models.Config, error) {
	cfg, err := models.FromEnv(e.Config.Project)
	if err != nil {
		return nil, fmt.Errorf("AI configuration: %w", err)
	}
	return cfg, nil
}

// Vertex builds the Gemini backend. A job's context cache is found by its
// display name (vertex.ListIndex) until the pipeline provides a shared
// index.
func (e *Env) Vertex(ctx context.Context) (*vertex.Client, error) {
	cfg, err := e.Models()
	if err != nil {
		return nil, err
	}
	c, err := vertex.New(ctx, cfg, vertex.Options{Logger: e.Log})
	if err != nil {
		return nil, fmt.Errorf("text and image backend: %w", err)
	}
	return c, nil
}

// CacheCleaner returns what deletes a job's model context cache: the
// Gemini backend with FACTORY_AI=vertex, nothing offline.
func (e *Env) CacheCleaner(ctx context.Context) (CacheCleaner, error) {
	if e.Config.AI != "vertex" {
		return nil, nil
	}
	return e.Vertex(ctx)
}

// CacheCleaner deletes what a job cached with the model provider.
type CacheCleaner interface {
	DeleteJobCache(ctx context.Context, jobID string) error
}

// CacheKey returns what the result cache keys a request under: the
// request as normalized (without what does not change the results: the
// callback URL, the cache switch), the AI backend, the configured models
// and voices, and the prompt and offline generator versions. A change to
// any of them makes earlier results miss.
func (e *Env) CacheKey() func(*content.Request) string {
	cfg, err := e.Models()
	if err != nil {
		cfg = models.Defaults()
	}
	salt, _ := json.Marshal(struct {
		AI                     string
		Text                   models.Text
		Image                  models.Image
		TTS                    models.TTS
		Prompts                any
		Extract, Cover, Espeak string
		Podcast                string
	}{e.Config.AI, cfg.Text, cfg.Image, cfg.TTS, prompts.Versions, extract.PromptVersion, cover.Model, espeak.Model, espeak.Encoding})
	return func(r *content.Request) string {
		c := *r
		c.CallbackURL, c.Cache = "", nil
		h := sha256.New()
		h.Write(salt)
		h.Write([]byte(c.Fingerprint()))
		return hex.EncodeToString(h.Sum(nil))
	}
}
