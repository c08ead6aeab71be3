package analytics_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/analytics"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

var day1 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func event(job, owner string, run int, status pipeline.JobStatus, created time.Time, took time.Duration, cost float64, steps ...pipeline.StepDetail) pipeline.JobEvent {
	j := &pipeline.Job{ID: job, Owner: owner, Status: status, Run: run, CreatedAt: created, FinishedAt: created.Add(took)}
	ev := pipeline.NewJobEvent(j, nil)
	ev.Usage = ai.Usage{CostUSD: cost}
	ev.StepDetails = steps
	return ev
}

func step(name content.Format, status pipeline.StepStatus, prompt string, secs, cost float64) pipeline.StepDetail {
	return pipeline.StepDetail{Step: name, Status: status, PromptVersion: prompt, DurationSeconds: secs, CostUSD: cost}
}

func TestCompute(t *testing.T) {
	faqsOK := step(content.FormatFAQs, pipeline.StepSucceeded, "faqs@v2", 10, 0.01)
	faqsBad := step(content.FormatFAQs, pipeline.StepFailed, "faqs@v1", 30, 0.02)
	pkg := step(content.FormatPackage, pipeline.StepSucceeded, "", 1, 0)

	a1 := event("a", "alice", 1, pipeline.JobPartial, day1, 100*time.Second, 0.05, faqsBad, pkg)
	a2 := event("a", "alice", 2, pipeline.JobSucceeded, day1, 30*time.Hour, 0.08, faqsOK, pkg) // regenerated the next day
	b := event("b", "alice", 1, pipeline.JobSucceeded, day1.Add(time.Hour), 200*time.Second, 0.04, faqsOK, pkg)
	c := event("c", "bob", 1, pipeline.JobFailed, day1, 300*time.Second, 0.01, faqsBad, step(content.FormatPackage, pipeline.StepSkipped, "", 0, 0))
	d := event("d", "bob", 1, pipeline.JobCancelled, day1, 5*time.Second, 0, step(content.FormatFAQs, pipeline.StepSkipped, "", 0, 0))
	review := event("e", "bob", 1, pipeline.JobAwaitingReview, day1, time.Second, 0)

	rep := analytics.Compute([]pipeline.JobEvent{b, a2, a1, c, b, d, review, a1})

	assert.Equal(t, 5, rep.Events, "duplicates and pauses do not count")
	assert.Equal(t, 4, rep.Jobs)
	assert.Equal(t, []analytics.OwnerCost{
		{Owner: "alice", Day: "2026-12-01", Jobs: 2, CostUSD: 0.08 + 0.04}, // job a by its latest run only
		{Owner: "bob", Day: "2026-12-01", Jobs: 2, CostUSD: 0.01},
	}, round(rep.CostByOwner))
	assert.Equal(t, []analytics.FormatRate{
		{Day: "2026-12-01", Format: "faqs", Steps: 3, Succeeded: 1, Rate: 1.0 / 3}, // b, c, d
		{Day: "2026-12-01", Format: "package", Steps: 2, Succeeded: 1, Rate: 0.5},
		{Day: "2026-12-02", Format: "faqs", Steps: 1, Succeeded: 1, Rate: 1}, // a, as it last ended
		{Day: "2026-12-02", Format: "package", Steps: 1, Succeeded: 1, Rate: 1},
	}, rep.SuccessByFormat)
	// First runs that ended succeeded, partial or failed: 100, 200, 300 s.
	assert.Equal(t, []analytics.JobTime{{Day: "2026-12-01", Jobs: 3, P95Seconds: 290}}, rep.JobTime)
	assert.Equal(t, []analytics.PromptVersion{
		{Step: "faqs", PromptVersion: "faqs@v1", Steps: 1, Rate: 0, AvgDurationSeconds: 30, AvgCostUSD: 0.02},
		{Step: "faqs", PromptVersion: "faqs@v2", Steps: 2, Rate: 1, AvgDurationSeconds: 10, AvgCostUSD: 0.01},
	}, rep.PromptVersions)
}

func TestPercentileInterpolatesBetweenRanks(t *testing.T) {
	assert.Equal(t, 4.0, analytics.Percentile([]float64{4}, 0.95))
	assert.Equal(t, 9.5, analytics.Percentile([]float64{10, 0}, 0.95))
	assert.InDelta(t, 95.0, analytics.Percentile(ramp(101), 0.95), 1e-9)
	assert.InDelta(t, 3.85, analytics.Percentile([]float64{4, 1, 3, 2}, 0.95), 1e-9)
	assert.True(t, math.IsNaN(analytics.Percentile(nil, 0.95)))
}

func ramp(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

func round(cs []analytics.OwnerCost) []analytics.OwnerCost {
	for i := range cs {
		cs[i].CostUSD = math.Round(cs[i].CostUSD*1e9) / 1e9
	}
	return cs
}
