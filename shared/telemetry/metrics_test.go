package telemetry_test

import (
	"context"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/telemetry"
)

// reader is the in-memory exporter of every metric this package's tests
// record: the global meter provider reads into it, as the SDK otlp.Setup
// installs would export to Cloud Monitoring.
var reader = sdkmetric.NewManualReader()

func TestMain(m *testing.M) {
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	os.Exit(m.Run())
}

// point is one data point as collected: its metric, unit, attributes and
// value (a sum, or a histogram's count and sum).
type point struct {
	unit      string
	attrs     map[string]string
	value     float64
	count     uint64
	exemplars []metricdata.Exemplar[float64]
}

func collect(t *testing.T) map[string][]point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := map[string][]point{}
	attrs := func(s attribute.Set) map[string]string {
		m := map[string]string{}
		for _, kv := range s.ToSlice() {
			m[string(kv.Key)] = kv.Value.String()
		}
		return m
	}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, telemetry.Name, sm.Scope.Name)
		for _, md := range sm.Metrics {
			switch d := md.Data.(type) {
			case metricdata.Sum[int64]:
				assert.True(t, d.IsMonotonic, md.Name)
				for _, dp := range d.DataPoints {
					out[md.Name] = append(out[md.Name], point{unit: md.Unit, attrs: attrs(dp.Attributes), value: float64(dp.Value)})
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					out[md.Name] = append(out[md.Name], point{unit: md.Unit, attrs: attrs(dp.Attributes), value: dp.Value})
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[md.Name] = append(out[md.Name], point{unit: md.Unit, attrs: attrs(dp.Attributes), value: dp.Sum, count: dp.Count, exemplars: dp.Exemplars})
				}
			default:
				t.Fatalf("%s: unexpected data %T", md.Name, md.Data)
			}
		}
	}
	return out
}

// find returns the point of a metric with exactly these attributes.
func find(t *testing.T, got map[string][]point, name string, attrs map[string]string) point {
	t.Helper()
	i := slices.IndexFunc(got[name], func(p point) bool { return assert.ObjectsAreEqual(attrs, p.attrs) })
	require.GreaterOrEqual(t, i, 0, "%s%v among %v", name, attrs, got[name])
	return got[name][i]
}

func TestMetricsAreRecordedWithTheirNamesUnitsAndLabels(t *testing.T) {
	ctx := context.Background()
	telemetry.ModelCalls(ctx, []ai.Call{
		{Backend: "vertex", Model: "gemini-test-metrics", PromptTokens: 100, OutputTokens: 40, ThinkingTokens: 7, CostUSD: 0.25},
		{Backend: "vertex", Model: "gemini-test-metrics", PromptTokens: 50, CachedTokens: 30, CostUSD: 0.5},
	})
	telemetry.StepEnded(ctx, "metrics_step", "succeeded", "", 3*time.Second)
	telemetry.StepEnded(ctx, "metrics_step", "failed", "model_retired", 0)
	telemetry.JobEnded(ctx, "partial", []string{"metrics_outline", "metrics_package"}, 90*time.Second)
	telemetry.QueueAge(ctx, "metrics_step", 1500*time.Millisecond)
	telemetry.WebhookDelivery(ctx, telemetry.WebhookRetried)
	telemetry.WebhookDelivery(ctx, telemetry.WebhookRetried)
	telemetry.LimitRefused(ctx, "budget_exceeded", "ledger")

	got := collect(t)

	calls := find(t, got, "factory_model_calls_total", map[string]string{"backend": "vertex", "model": "gemini-test-metrics"})
	assert.Equal(t, 2.0, calls.value)
	assert.Equal(t, "{call}", calls.unit)
	for kind, want := range map[string]float64{"prompt": 150, "output": 40, "thinking": 7, "cached": 30} {
		p := find(t, got, "factory_model_tokens_total", map[string]string{"model": "gemini-test-metrics", "kind": kind})
		assert.Equal(t, want, p.value, kind)
	}
	cost := find(t, got, "factory_model_cost_usd_total", map[string]string{"model": "gemini-test-metrics"})
	assert.InDelta(t, 0.75, cost.value, 1e-9)
	assert.Equal(t, "{USD}", cost.unit)

	ok := find(t, got, "factory_steps_ended_total", map[string]string{"step": "metrics_step", "outcome": "succeeded", "code": ""})
	assert.Equal(t, 1.0, ok.value)
	retired := find(t, got, "factory_steps_ended_total", map[string]string{"step": "metrics_step", "outcome": "failed", "code": "model_retired"})
	assert.Equal(t, 1.0, retired.value)
	dur := find(t, got, "factory_step_duration_seconds", map[string]string{"step": "metrics_step", "outcome": "succeeded"})
	assert.Equal(t, "s", dur.unit)
	assert.Equal(t, uint64(1), dur.count)
	assert.InDelta(t, 3.0, dur.value, 1e-9)
	for _, p := range got["factory_step_duration_seconds"] {
		assert.NotEqual(t, "failed", p.attrs["outcome"], "a failure without a run has no duration")
	}

	for _, f := range []string{"metrics_outline", "metrics_package"} {
		assert.Equal(t, 1.0, find(t, got, "factory_jobs_ended_total", map[string]string{"outcome": "partial", "format": f}).value, f)
	}
	job := find(t, got, "factory_job_duration_seconds", map[string]string{"outcome": "partial"})
	assert.InDelta(t, 90.0, job.value, 1e-9)

	age := find(t, got, "factory_queue_age_seconds", map[string]string{"step": "metrics_step"})
	assert.InDelta(t, 1.5, age.value, 1e-9)
	assert.Equal(t, 2.0, find(t, got, "factory_webhook_deliveries_total", map[string]string{"outcome": "retried"}).value)
	assert.Equal(t, 1.0, find(t, got, "factory_limit_refusals_total", map[string]string{"code": "budget_exceeded", "limiter": "ledger"}).value)
}

func TestHistogramsCarryTheTraceAsAnExemplar(t *testing.T) {
	tp := sdktrace.NewTracerProvider() // samples everything
	ctx, span := tp.Tracer("test").Start(context.Background(), "step exemplar_step")
	telemetry.StepEnded(ctx, "exemplar_step", "succeeded", "", 2*time.Second)
	span.End()

	p := find(t, collect(t), "factory_step_duration_seconds", map[string]string{"step": "exemplar_step", "outcome": "succeeded"})
	require.NotEmpty(t, p.exemplars)
	sc := span.SpanContext()
	assert.Equal(t, sc.TraceID().String(), hex.EncodeToString(p.exemplars[0].TraceID))
	assert.Equal(t, 2.0, p.exemplars[0].Value)
}
