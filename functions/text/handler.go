package text

import (
	"context"

	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "GenerateText"

// New returns the function's step handler over an environment: the step
// runner with this function's Executor.
func New(ctx context.Context, env *setup.Env) (queue.StepHandler, error) {
	gen, err := env.TextGenerator(ctx)
	if err != nil {
		return queue.StepHandler{}, err
	}
	return env.StepHandler(Name, Executor{Gen: gen, MaxRepairs: env.Config.MaxRepairs, Canary: env.Canary(ctx), Pacer: env.Pacer()})
}
