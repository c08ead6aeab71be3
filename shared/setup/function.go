package setup

import (
	"context"
	"net/http"
	"os"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/telemetry/otlp"
)

// EventHandler handles CloudEvents.
type EventHandler interface {
	HandleEvent(ctx context.Context, e cloudevents.Event) error
}

// EventFunction returns the CloudEvent function name, whose handler is
// built from the environment at instance start (startEarly) or on first
// use, and rebuilt after a failed build.
func EventFunction[H EventHandler](name string, build func(context.Context, *Env) (H, error)) func(context.Context, cloudevents.Event) error {
	lazy := lazyBuild(build)
	startEarly(name, lazy)
	return func(ctx context.Context, e cloudevents.Event) error {
		b, err := lazy.Get(ctx)
		if err != nil {
			return err
		}
		defer otlp.Flush(ctx)
		return b.h.HandleEvent(logging.Into(ctx, b.env.Log), e)
	}
}

// HTTPFunction returns the HTTP function name, whose handler is built
// from the environment at instance start (startEarly) or on first use; a
// failed build is tried again by the next request, which gets a 503
// problem meanwhile.
func HTTPFunction(name string, build func(context.Context, *Env) (http.Handler, error)) http.HandlerFunc {
	lazy := lazyBuild(build)
	startEarly(name, lazy)
	unavailable := httpx.Secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, http.StatusServiceUnavailable, "unavailable", "The service is starting or misconfigured; retry shortly.")
	}))
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := lazy.Get(r.Context())
		if err != nil {
			logging.Default().ErrorContext(r.Context(), "function setup failed", "error", err.Error())
			unavailable.ServeHTTP(w, r)
			return
		}
		defer otlp.Flush(r.Context())
		b.h.ServeHTTP(w, r)
	}
}

// Telemetry installs the process's tracing (exported with
// FACTORY_TRACES=otlp), named after the function it serves.
func (e *Env) Telemetry(ctx context.Context) error {
	name := os.Getenv("FUNCTION_TARGET")
	if name == "" {
		name = "content-factory"
	}
	return otlp.Setup(ctx, name, e.Config.Project)
}

// startEarly starts building a function's handler in the background when
// this process serves that function (FUNCTION_TARGET, as a Cloud Run
// functions instance does): its clients are made while the framework
// starts listening, not in the way of the first request, which waits for
// the build only if it is still under way. A process that merely links
// the function (the factory command links them all) builds nothing.
func startEarly[H any](name string, lazy *Lazy[built[H]]) {
	if os.Getenv("FUNCTION_TARGET") != name {
		return
	}
	go func() {
		// A failed build is logged by the request that tries it again.
		_, _ = lazy.Get(context.Background())
	}()
}

// lazyBuild builds a function's handler on first use: the environment,
// its tracing, then the handler; what a failed build opened is closed.
func lazyBuild[H any](build func(context.Context, *Env) (H, error)) *Lazy[built[H]] {
	return NewLazy(func(ctx context.Context) (built[H], error) {
		env, err := FromEnvironment(ctx)
		if err != nil {
			return built[H]{}, err
		}
		if err := env.Telemetry(ctx); err != nil {
			env.Close()
			return built[H]{}, err
		}
		h, err := build(ctx, env)
		if err != nil {
			env.Close()
			return built[H]{}, err
		}
		return built[H]{env: env, h: h}, nil
	})
}

type built[H any] struct {
	env *Env
	h   H
}
