package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"contentfactory.dev/factory/shared/logging"
)

func TestCloudLoggingShape(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, slog.LevelDebug, "proj")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ctx = logging.Into(ctx, log)
	ctx = logging.With(ctx, slog.String("job_id", "j1"), slog.String("step", "faqs"))
	logging.From(ctx).WarnContext(ctx, "step failed transiently", "code", "rate_limited")

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "WARNING", line["severity"])
	assert.Equal(t, "step failed transiently", line["message"])
	assert.Equal(t, "j1", line["job_id"])
	assert.Equal(t, "faqs", line["step"])
	assert.Equal(t, "projects/proj/traces/4bf92f3577b34da6a3ce929d0e0e4736", line["logging.googleapis.com/trace"])
	assert.Equal(t, "00f067aa0ba902b7", line["logging.googleapis.com/spanId"])
	assert.Equal(t, true, line["logging.googleapis.com/trace_sampled"])
	assert.NotContains(t, line, "level")
	assert.NotContains(t, line, "msg")
}

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, logging.ParseLevel("warn"), "")
	log.Info("hidden")
	log.Error("shown")
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "ERROR", line["severity"])
	assert.NotContains(t, line, "logging.googleapis.com/trace", "no trace without a span")
	assert.Equal(t, slog.LevelDebug, logging.ParseLevel("DEBUG"))
	assert.Equal(t, slog.LevelInfo, logging.ParseLevel(""))
}
