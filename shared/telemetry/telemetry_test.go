package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/telemetry"
)

func TestOneTraceFromTheAPIToTheWorker(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))

	// The API's request span…
	var attrs map[string]string
	h := httpx.Observe(logging.Default())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs = map[string]string{}
		// …is what a publish carries to the worker.
		ctx := r.Context()
		queueInject(ctx, attrs)
		w.WriteHeader(http.StatusAccepted)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/jobs", nil))
	require.NotEmpty(t, attrs["traceparent"])

	// The worker continues the trace from the message's attributes.
	ctx := queue.Context(context.Background(), attrs)
	ctx, span := telemetry.Tracer().Start(ctx, "step outline")
	telemetry.ModelCalls(ctx, []ai.Call{{Backend: "vertex", Model: "m", PromptTokens: 10, Duration: time.Second}})
	span.End()

	spans := rec.Ended()
	require.Len(t, spans, 2)
	api, step := spans[0], spans[1]
	assert.Equal(t, "POST /v1/jobs", api.Name())
	assert.Equal(t, api.SpanContext().TraceID(), step.SpanContext().TraceID(), "one trace")
	assert.Equal(t, api.SpanContext().SpanID(), step.Parent().SpanID(), "the step is the request's child")
	require.Len(t, step.Events(), 1)
	assert.Equal(t, "model call", step.Events()[0].Name)
}

// queueInject is what queue.Publisher does with a message's attributes.
func queueInject(ctx context.Context, attrs map[string]string) {
	p := queue.TraceCarrier(ctx)
	for k, v := range p {
		attrs[k] = v
	}
}
