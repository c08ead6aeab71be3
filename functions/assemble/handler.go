package assemble

import (
	"context"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "AssembleJob"

// New returns the function's step worker over an environment.
func New(ctx context.Context, env *setup.Env) (*setup.Worker, error) {
	caches, err := env.CacheCleaner(ctx)
	if err != nil {
		return nil, err
	}
	return env.Worker(Name, pipeline.AssembleExecutor{Caches: caches})
}
