package assemble

import (
	"context"

	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "AssembleJob"

// New returns the function's step handler over an environment: the step
// runner with this function's Executor.
func New(ctx context.Context, env *setup.Env) (queue.StepHandler, error) {
	caches, err := env.CacheCleaner(ctx)
	if err != nil {
		return queue.StepHandler{}, err
	}
	return env.StepHandler(Name, Executor{Caches: caches})
}
