package text

import (
	"context"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "GenerateText"

// New returns the function's step worker over an environment.
func New(ctx context.Context, env *setup.Env) (*setup.Worker, error) {
	gen, err := env.TextGenerator(ctx)
	if err != nil {
		return nil, err
	}
	return env.Worker(Name, pipeline.TextExecutor{Gen: gen, MaxRepairs: env.Config.MaxRepairs, Canary: env.Canary(ctx)})
}
