// Package sweep is the HTTP function "Sweep", called by Cloud Scheduler
// (and by a ticker in the local stack): it recovers steps whose message
// was lost or whose worker died, ends jobs past their deadline, publishes
// job events a crash left behind, and deletes what is past retention
// (expired uploads included).
package sweep

import (
	"context"
	"net/http"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.HTTP(Name, setup.HTTPFunction(build))
}

func build(ctx context.Context, env *setup.Env) (http.Handler, error) {
	var h http.Handler = New(env.Store, env.Jobs(), env.Bucket, Options{Stale: env.Config.SweepStale})
	if aud := env.Config.SweepAudience; aud != "" {
		tokens, err := env.IDTokens(ctx, aud)
		if err != nil {
			return nil, err
		}
		h = auth.RequireInvoker(tokens, env.Config.SweepInvokers, httpx.Error, h)
	}
	return httpx.Secure(httpx.Observe(env.Log)(httpx.Recover(h))), nil
}
