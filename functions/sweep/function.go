// Package sweep is the HTTP function "Sweep", called by Cloud Scheduler in
// every region (and by a ticker per region in the local stack), one at a
// time under a Firestore lease: it recovers any region's steps whose
// message was lost or whose worker died, republishing them into their
// job's home region (or re-homing a job its region does not run), queues
// steps a crash left pending, ends jobs past their deadline, publishes job
// events a crash left behind, and deletes what is past retention (expired
// uploads included).
package sweep

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.HTTP(Name, setup.HTTPFunction(Name, build))
}

func build(ctx context.Context, env *setup.Env) (http.Handler, error) {
	holder := env.Config.Region + "/" + instance()
	var h http.Handler = New(env.Store, env.Jobs(), env.Bucket, env.Store, Options{Stale: env.Config.SweepStale, Holder: holder})
	if aud := env.Config.SweepAudience; aud != "" {
		tokens, err := env.IDTokens(ctx, aud)
		if err != nil {
			return nil, err
		}
		h = auth.RequireInvoker(tokens, env.Config.SweepInvokers, httpx.Error, h)
	}
	return httpx.Secure(httpx.Observe(env.Log)(httpx.Recover(h))), nil
}

// instance names this process among the sweeps of its region.
func instance() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
