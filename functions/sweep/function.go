// Package sweep is the HTTP function "Sweep", called by Cloud Scheduler
// (and by a ticker in the local stack): it recovers steps whose message
// was lost or whose worker died, ends jobs past their deadline, publishes
// job events a crash left behind, and deletes what is past retention.
package sweep

import (
	"context"
	"net/http"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.HTTP(Name, setup.HTTPFunction(build))
}

func build(_ context.Context, env *setup.Env) (http.Handler, error) {
	h := New(env.Store, env.Jobs(), env.Bucket, Options{Stale: env.Config.SweepStale})
	return httpx.Secure(httpx.Observe(env.Log)(httpx.Recover(h))), nil
}
