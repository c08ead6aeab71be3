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
// built from the environment as the instance starts (see warm), or on
// first use (and rebuilt after a failed build).
func EventFunction[H EventHandler](name string, build func(context.Context, *Env) (H, error)) func(context.Context, cloudevents.Event) error {
	lazy := lazyBuild(build)
	warm(name, lazy)
	return func(ctx context.Context, e cloudevents.Event) error {
		b, err := lazy.Get(ctx)
		if err != nil {
			return err
		}
		defer otlp.Flush(ctx)
		return b.h.HandleEvent(logging.Into(ctx, b.env.Log), e)
	}
}

// HTTPFunction returns the HTTP function name, whose handler is built from
// the environment as the instance starts (see warm), or on first use;
// while a build fails, requests get 503 problems.
func HTTPFunction(name string, build func(context.Context, *Env) (http.Handler, error)) http.HandlerFunc {
	lazy := lazyBuild(build)
	warm(name, lazy)
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

// warm starts building a function's handler at once when this process
// serves that function (FUNCTION_TARGET): an instance has CPU while it
// starts, and its first request then finds the clients built, or waits
// for the build under way, instead of paying for all of it. A failed
// build is logged and not kept: the next request tries again.
func warm[H any](name string, lazy *Lazy[built[H]]) {
	if os.Getenv("FUNCTION_TARGET") != name {
		return
	}
	go func() {
		if _, err := lazy.Get(context.Background()); err != nil {
			logging.Default().Error("function setup at start failed; the first request retries it", "function", name, "error", err.Error())
		}
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
