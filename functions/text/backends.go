package text

import (
	"context"
	"fmt"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/claude"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/openaicompat"
	"contentfactory.dev/factory/shared/ai/route"
	"contentfactory.dev/factory/shared/setup"
)

// Generator returns the text backend FACTORY_AI selects: the offline
// extraction, or the model backends (route.Router). It lives with the
// only function that writes text, so that no other function links the
// Claude and OpenAI-compatible clients.
func Generator(ctx context.Context, env *setup.Env) (ai.TextGenerator, error) {
	switch env.Config.AI {
	case "offline":
		return &extract.Text{}, nil
	case "vertex":
		return router(ctx, env)
	}
	return nil, fmt.Errorf("FACTORY_AI=%s: no text backend", env.Config.AI)
}

// router builds the text generator of the model backends: Gemini, and
// Claude and the OpenAI-compatible endpoint when a step or a fallback of
// the configuration names them; Gemini makes the grounding checks.
func router(ctx context.Context, env *setup.Env) (*route.Router, error) {
	cfg, err := env.Models()
	if err != nil {
		return nil, err
	}
	vc, err := env.Vertex(ctx)
	if err != nil {
		return nil, err
	}
	r := &route.Router{Config: cfg, Backends: map[string]route.StepGenerator{models.TextGemini: vc}, Checker: vc, Log: env.Log}
	for _, m := range cfg.TextModels() {
		if _, ok := r.Backends[m.Backend]; ok {
			continue
		}
		switch m.Backend {
		case models.TextClaude:
			c, err := claude.New(ctx, cfg, claude.Options{Logger: env.Log})
			if err != nil {
				return nil, fmt.Errorf("text backend: %w", err)
			}
			r.Backends[m.Backend] = c
		case models.TextOpenAI:
			c, err := openaicompat.New(ctx, cfg, openaicompat.Options{Logger: env.Log})
			if err != nil {
				return nil, fmt.Errorf("text backend: %w", err)
			}
			r.Backends[m.Backend] = c
		}
	}
	return r, nil
}
