package image

import (
	"context"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "GenerateImage"

// New returns the function's step worker over an environment.
func New(ctx context.Context, env *setup.Env) (*setup.Worker, error) {
	gen, err := env.ImageGenerator(ctx)
	if err != nil {
		return nil, err
	}
	return env.Worker(Name, pipeline.ImageExecutor{Gen: gen, Canary: env.Canary(ctx)})
}
