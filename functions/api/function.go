// Package api is the HTTP function "API": the REST API apps call to submit
// jobs, follow them and download their artifacts.
package api

import (
	"context"
	"net/http"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/setup"
	"contentfactory.dev/factory/shared/webhook"
)

// Name is the function's entry point.
const Name = "API"

func init() {
	functions.HTTP(Name, setup.HTTPFunction(Name, build))
}

// streamFor is how long an event stream lasts: the API function's timeout
// less a margin for the answer to reach the client.
func streamFor() time.Duration {
	for _, f := range queue.Functions {
		if f.Name == Name {
			return f.Timeout - 10*time.Second
		}
	}
	return 0
}

func build(ctx context.Context, env *setup.Env) (http.Handler, error) {
	// The injection screen's rules compile beside the rest of the start,
	// not in the way of the instance's first answer.
	go guard.Warm()
	cfg := env.Config
	tokens, err := env.IDTokens(ctx, cfg.IDTokenAudience)
	if err != nil {
		return nil, err
	}
	checker, err := env.SourceChecker()
	if err != nil {
		return nil, err
	}
	jobs := env.Jobs()
	opts := Options{
		MaxBodyBytes:   cfg.MaxBodyBytes,
		PublicURL:      cfg.PublicURL,
		URLTTL:         cfg.URLTTL,
		Log:            env.Log,
		Limiter:        ratelimit.NewLimiter(cfg.Limits()),
		Usage:          env.Store,
		Callbacks:      webhook.NewGuard(nil),
		Sources:        checker,
		Uploads:        env.Store,
		UploadFiles:    env.Bucket,
		MaxSourceBytes: cfg.MaxSourceBytes,
		UploadTTL:      cfg.UploadTTL,
		CORSOrigins:    cfg.CORSOrigins,
		Steer:          jobs,
		Documents:      env.Bucket,
		// Event streams end before the function's timeout.
		StreamFor:       streamFor(),
		MaxStreams:      cfg.MaxStreams,
		IDTokenAudience: cfg.IDTokenAudience,
		StorageOrigin:   env.Bucket.Origin(),
	}
	if voices, ok := env.Voices(); ok {
		opts.Voices = voices
	}
	return New(jobs, env.Store, env.Bucket, auth.NewAuthenticator(env.Store, tokens).WithCacheTTL(cfg.KeyCacheTTL), opts), nil
}
