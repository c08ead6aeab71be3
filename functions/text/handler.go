package text

import (
	"context"
	"fmt"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/quality"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "GenerateText"

// New returns the function's step handler over an environment: the step
// runner with this function's Executor, whose grounding check is the
// text backend's (CheckerFor).
func New(ctx context.Context, env *setup.Env) (queue.StepHandler, error) {
	gen, err := Generator(ctx, env)
	if err != nil {
		return queue.StepHandler{}, err
	}
	th, err := quality.ParseThresholds(env.Config.QualityThresholds)
	if err != nil {
		return queue.StepHandler{}, fmt.Errorf("FACTORY_QUALITY_THRESHOLDS: %w", err)
	}
	return env.StepHandler(Name, Executor{Gen: gen, Checker: CheckerFor(gen), MaxRepairs: env.Config.MaxRepairs, Thresholds: th, Canary: env.Canary(ctx), Pacer: env.Pacer()})
}

// CheckerFor returns the grounding check that goes with a text backend:
// its own when it has one (a check call to the model on Vertex AI), else
// the deterministic support score (quality.Lexical).
func CheckerFor(gen ai.TextGenerator) ai.ClaimChecker {
	if c, ok := gen.(ai.ClaimChecker); ok {
		return c
	}
	return quality.Lexical{}
}
