package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

// counts reads every counter and histogram the pipeline recorded: a value
// (a sum, or a histogram's count) by metric and attributes.
func counts(t *testing.T) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, metrics.Collect(context.Background(), &rm))
	out := map[string]float64{}
	key := func(name string, s attribute.Set) string {
		return name + "{" + s.Encoded(attribute.DefaultEncoder()) + "}"
	}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			switch d := md.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					out[key(md.Name, dp.Attributes)] = float64(dp.Value)
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					out[key(md.Name, dp.Attributes)] = dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					out[key(md.Name, dp.Attributes)] = float64(dp.Count)
				}
			}
		}
	}
	return out
}

// Not parallel: it measures what one job adds to the process's metrics,
// while the parallel tests wait.
func TestTheRunnerMeasuresWhereItLogs(t *testing.T) {
	h := newHarness(t, pipeline.RunnerConfig{})
	h.exec.fail = func(step content.Format, _ int) error {
		h.clock.advance(time.Second) // every run takes a second
		if step == content.FormatFAQs {
			return ai.Permanentf("model_retired", "the model is gone")
		}
		return nil
	}
	before := counts(t)
	job := h.submit(content.FormatFAQs)
	h.drain()
	require.Equal(t, pipeline.JobPartial, h.job(job.ID).Status)
	after := counts(t)

	added := func(k string) float64 { return after[k] - before[k] }
	for _, step := range []string{"outline", "package"} {
		assert.Equal(t, 1.0, added("factory_steps_ended_total{code=,outcome=succeeded,step="+step+"}"), step)
		assert.Equal(t, 1.0, added("factory_step_duration_seconds{outcome=succeeded,step="+step+"}"), step)
	}
	assert.Equal(t, 1.0, added("factory_steps_ended_total{code=model_retired,outcome=failed,step=faqs}"))
	for _, f := range job.Formats {
		assert.Equal(t, 1.0, added("factory_jobs_ended_total{format="+string(f)+",outcome=partial}"), f)
	}
	assert.Equal(t, 1.0, added("factory_job_duration_seconds{outcome=partial}"))
	assert.Equal(t, 3.0, added("factory_model_calls_total{backend=fake,model=m}"), "one call a run, the failed one included")
	assert.Equal(t, 30.0, added("factory_model_tokens_total{kind=output,model=m}"))
}
