package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		attrs = map[string]string{}
		// …is what a publish carries to the worker.
		ctx := r.Context()
		queueInject(ctx, attrs)
		w.WriteHeader(http.StatusAccepted)
	})
	httpx.Observe(logging.Default())(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v1/jobs", nil))
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

func TestSpansAreNamedByTheirRoute(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/v1/jobs/{id}/artifacts/{name}", func(w http.ResponseWriter, r *http.Request) {})
	h := httpx.Observe(logging.Default())(httpx.Recover(mux))
	for _, path := range []string{"/v1/jobs/6hx2kq", "/v1/jobs/p3rq7z", "/v1/jobs/6hx2kq/artifacts/cover.png", "/nothing/here"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}

	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	assert.Equal(t, []string{"GET /v1/jobs/{id}", "GET /v1/jobs/{id}", "GET /v1/jobs/{id}/artifacts/{name}", "GET"}, names,
		"the pattern, never the path; a request no route served is named by its method")
	route := map[string]string{}
	for _, kv := range rec.Ended()[2].Attributes() {
		route[string(kv.Key)] = kv.Value.String()
	}
	assert.Equal(t, "/v1/jobs/{id}/artifacts/{name}", route["http.route"])
}

func TestPanicsAreReportedAsErrorReportingReadsThem(t *testing.T) {
	t.Setenv("K_SERVICE", "factory-api")
	t.Setenv("K_REVISION", "factory-api-00042-abc")
	var buf bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) { explode(r.PathValue("id")) })
	h := httpx.Observe(logging.New(&buf, slog.LevelInfo, "proj"))(httpx.Recover(mux))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/v1/jobs/j123", nil))
	assert.Equal(t, http.StatusInternalServerError, rr.Code)

	var report map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["@type"] != nil {
			report = m
		}
	}
	require.NotNil(t, report, buf.String())
	assert.Equal(t, "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent", report["@type"])
	assert.Equal(t, "ERROR", report["severity"])
	msg, _ := report["message"].(string)
	assert.True(t, strings.HasPrefix(msg, "panic: no job j123\n\ngoroutine "), msg)
	assert.Contains(t, msg, "telemetry_test.explode(", "the stack names the frame that panicked")
	assert.Equal(t, map[string]any{"service": "factory-api", "version": "factory-api-00042-abc"}, report["serviceContext"])
	assert.Equal(t, map[string]any{"httpRequest": map[string]any{"method": "GET", "url": "/v1/jobs/j123"}}, report["context"])
	assert.NotContains(t, report, "stack")
}

func explode(id string) { panic("no job " + id) }
