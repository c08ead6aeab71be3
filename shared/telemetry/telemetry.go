// Package telemetry traces the factory with OpenTelemetry: one trace per
// job, from the API (or the intake) through Pub/Sub to every worker, with
// the model calls of each step recorded on its span. Spans are always made
// (their ids correlate the log lines); they are exported only when
// FACTORY_TRACES=otlp, to Google's OTLP endpoint (telemetry.googleapis.com)
// with application default credentials, described by the GCP resource
// detector (service, region, revision, instance).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/detectors/gcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/oauth"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/logging"
)

// Name is the instrumentation scope of the factory's spans.
const Name = "contentfactory.dev/factory"

// Endpoint is Google's OTLP endpoint.
const Endpoint = "telemetry.googleapis.com:443"

var (
	once     sync.Once
	provider *sdktrace.TracerProvider
	setupErr error
)

// Setup installs the process's tracer provider and the W3C propagator,
// once. FACTORY_TRACES=otlp exports spans to Google; anything else keeps
// them in process only.
func Setup(ctx context.Context, service, project string) error {
	once.Do(func() {
		opts := []sdktrace.TracerProviderOption{}
		if os.Getenv("FACTORY_TRACES") == "otlp" {
			exp, err := exporter(ctx)
			if err != nil {
				setupErr = err
				return
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
		res, err := resource.New(ctx,
			resource.WithDetectors(gcp.NewDetector()),
			resource.WithTelemetrySDK(),
			resource.WithAttributes(attribute.String("service.name", service), attribute.String("gcp.project_id", project)),
		)
		if err != nil && !errors.Is(err, resource.ErrPartialResource) {
			res = resource.Default()
		}
		opts = append(opts, sdktrace.WithResource(res))
		provider = sdktrace.NewTracerProvider(opts...)
		otel.SetTracerProvider(provider)
		otel.SetTextMapPropagator(propagation.TraceContext{})
	})
	return setupErr
}

func exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	creds, err := oauth.NewApplicationDefault(ctx, "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		return nil, fmt.Errorf("trace export credentials: %w", err)
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(Endpoint), otlptracegrpc.WithDialOption(grpc.WithPerRPCCredentials(creds)))
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	return exp, nil
}

// Flush exports what the process has buffered: called at the end of each
// invocation, since a function's CPU may be throttled between requests.
func Flush(ctx context.Context) {
	if provider == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = provider.ForceFlush(ctx)
}

// Tracer is the factory's tracer.
func Tracer() trace.Tracer { return otel.Tracer(Name) }

// ModelCalls reports each model call twice, with the same fields: one
// "model call" log line (what dashboards and cost alerts read) and one
// event on the context's span.
func ModelCalls(ctx context.Context, calls []ai.Call) {
	log := logging.From(ctx)
	span := trace.SpanFromContext(ctx)
	for _, c := range calls {
		fields := []attribute.KeyValue{
			attribute.String("backend", c.Backend),
			attribute.String("model", c.Model),
			attribute.Int64("prompt_tokens", c.PromptTokens),
			attribute.Int64("output_tokens", c.OutputTokens),
			attribute.Int64("thinking_tokens", c.ThinkingTokens),
			attribute.Int64("cached_tokens", c.CachedTokens),
			attribute.Int64("characters", c.Characters),
			attribute.Int64("images", c.Images),
			attribute.Int64("duration_ms", c.Duration.Milliseconds()),
			attribute.Float64("cost_usd", c.CostUSD),
		}
		args := make([]any, len(fields))
		for i, f := range fields {
			args[i] = slog.Any(string(f.Key), f.Value.AsInterface())
		}
		log.InfoContext(ctx, "model call", args...)
		if span.IsRecording() {
			span.AddEvent("model call", trace.WithAttributes(fields...))
		}
	}
}
