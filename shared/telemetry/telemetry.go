// Package telemetry traces the factory with the OpenTelemetry API: one
// trace per job, from the API (or the intake) through Pub/Sub to every
// worker, with the model calls of each step recorded on its span and in a
// log line. It needs only the API; package otlp installs the SDK that
// exports the spans.
package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/logging"
)

// Name is the instrumentation scope of the factory's spans.
const Name = "contentfactory.dev/factory"

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
