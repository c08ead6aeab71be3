package setup

import (
	"context"
	"fmt"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline"
)

// TextGenerator returns the text backend FACTORY_AI selects.
func (e *Env) TextGenerator(ctx context.Context) (ai.TextGenerator, error) {
	switch e.Config.AI {
	case "offline":
		return &offline.Text{}, nil
	}
	return nil, fmt.Errorf("FACTORY_AI=%s: no text backend", e.Config.AI)
}

// ImageGenerator returns the image backend FACTORY_AI selects.
func (e *Env) ImageGenerator(ctx context.Context) (ai.ImageGenerator, error) {
	switch e.Config.AI {
	case "offline":
		return &offline.Image{}, nil
	}
	return nil, fmt.Errorf("FACTORY_AI=%s: no image backend", e.Config.AI)
}

// Synthesizer returns the speech backend FACTORY_AI selects.
func (e *Env) Synthesizer(ctx context.Context) (ai.Synthesizer, error) {
	switch e.Config.AI {
	case "offline":
		return &offline.Speech{Binary: e.Config.Espeak}, nil
	}
	return nil, fmt.Errorf("FACTORY_AI=%s: no speech backend", e.Config.AI)
}
