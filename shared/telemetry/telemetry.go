// Package telemetry traces and measures the factory with the OpenTelemetry
// API: one trace per job, from the API (or the intake) through Pub/Sub to
// every worker, with the model calls of each step recorded on its span and
// in a log line; and the factory's metrics (metrics.go), recorded where the
// model calls, step outcomes, job ends, webhook deliveries and limit
// refusals are logged. It needs only the API; package otlp installs the
// SDK that exports spans and metrics.
package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/logging"
)

// Name is the instrumentation scope of the factory's spans.
const Name = "contentfactory.dev/factory"

// Tracer is the factory's tracer.
func Tracer() trace.Tracer { return otel.Tracer(Name) }

// ModelCalls reports each model call three ways, from the same fields: one
// "model call" log line, one event on the context's span and the model
// metrics (calls, tokens by kind, cost).
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
		model := attribute.String("model", c.Model)
		meters.modelCalls.Add(ctx, 1, metric.WithAttributes(attribute.String("backend", c.Backend), model))
		for kind, n := range map[string]int64{"prompt": c.PromptTokens, "output": c.OutputTokens, "thinking": c.ThinkingTokens, "cached": c.CachedTokens} {
			if n > 0 {
				meters.modelTokens.Add(ctx, n, metric.WithAttributes(model, attribute.String("kind", kind)))
			}
		}
		meters.modelCost.Add(ctx, c.CostUSD, metric.WithAttributes(model))
	}
}
