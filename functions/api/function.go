// Package api is the HTTP function "API": the REST API apps call to submit
// jobs, follow them and download their artifacts.
package api

import (
	"context"
	"net/http"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/setup"
	"contentfactory.dev/factory/shared/webhook"
)

// Name is the function's entry point.
const Name = "API"

func init() {
	functions.HTTP(Name, setup.HTTPFunction(build))
}

func build(ctx context.Context, env *setup.Env) (http.Handler, error) {
	cfg := env.Config
	tokens, err := env.IDTokens(ctx, cfg.IDTokenAudience)
	if err != nil {
		return nil, err
	}
	checker, err := env.SourceChecker()
	if err != nil {
		return nil, err
	}
	return New(env.Jobs(), env.Store, env.Bucket, auth.NewAuthenticator(env.Store, tokens).WithCacheTTL(cfg.KeyCacheTTL), Options{
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
	}), nil
}
