package assemble

import (
	"context"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "AssembleJob"

// New returns the function's step worker over an environment.
func New(_ context.Context, env *setup.Env) (*setup.Worker, error) {
	return env.Worker(Name, pipeline.AssembleExecutor{})
}
