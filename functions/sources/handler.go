package sources

import (
	"context"

	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/setup"
)

// Name is the function's entry point.
const Name = "ReadSources"

// New returns the function's step handler over an environment: the step
// runner with this function's Executor, reading uploads from the store
// and the bucket and links through the SSRF-safe fetcher.
func New(_ context.Context, env *setup.Env) (queue.StepHandler, error) {
	links, route, err := env.Links()
	if err != nil {
		return queue.StepHandler{}, err
	}
	fetcher, err := ingest.NewFetcher(links, ingest.FetchOptions{TestRoute: route})
	if err != nil {
		return queue.StepHandler{}, err
	}
	return env.StepHandler(Name, Executor{Reader: &ingest.Reader{
		Uploads: env.Store, Blobs: env.Bucket, Links: fetcher,
		Limits: env.Config.SourceLimits(), Screen: guard.ScreenSource,
	}})
}
