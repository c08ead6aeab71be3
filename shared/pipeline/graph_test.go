package pipeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

var all = content.Closure(content.DefaultFormats())

func TestGraph(t *testing.T) {
	assert.Empty(t, Requires(content.FormatOutline, all))
	assert.Equal(t, []content.Format{content.FormatOutline}, Requires(content.FormatFAQs, all))
	assert.Equal(t, []content.Format{content.FormatPodcastScript}, Requires(content.FormatAudio, all))
	assert.Len(t, Requires(content.FormatPackage, all), len(all)-1, "the package waits for every other step")

	deps := Dependents(content.FormatOutline, all)
	derived := len(content.TextFormats()) - 1 // every text format but the outline
	assert.Len(t, deps, derived+2, "the derived text formats, the image and the package")
	assert.Contains(t, deps, content.FormatImage)
	assert.NotContains(t, deps, content.FormatAudio)
	assert.Equal(t, []content.Format{content.FormatAudio, content.FormatPackage}, Dependents(content.FormatPodcastScript, all))
	assert.Equal(t, []content.Format{content.FormatPackage}, Dependents(content.FormatFAQs, all))
	assert.Len(t, Downstream(content.FormatOutline, all), len(all)-1)

	small := content.Closure([]content.Format{content.FormatFAQs})
	assert.Equal(t, []content.Format{content.FormatOutline, content.FormatFAQs}, Requires(content.FormatPackage, small))
}

func TestPlan(t *testing.T) {
	now := time.Now()
	steps := Plan("job1", all, now)
	assert.Len(t, steps, len(all))
	for _, s := range steps {
		switch s.Name {
		case content.FormatOutline:
			assert.Equal(t, StepQueued, s.Status)
			assert.Equal(t, now, s.QueuedAt)
		default:
			assert.Equal(t, StepPending, s.Status, s.Name)
			assert.NotEmpty(t, s.Requires, s.Name)
		}
	}
	assert.Equal(t, content.KindAudio, byName(steps)[content.FormatAudio].Kind)
}

func byName(steps []*Step) map[content.Format]*Step {
	m := map[content.Format]*Step{}
	for _, s := range steps {
		m[s.Name] = s
	}
	return m
}

// runnable lists the steps that can run now.
func runnable(m map[content.Format]*Step) []content.Format {
	var out []content.Format
	for _, f := range all {
		if canRun(m[f], all, m) {
			out = append(out, f)
		}
	}
	return out
}

func TestReadinessFansOutAndSkips(t *testing.T) {
	now := time.Now()
	m := byName(Plan("job1", all, now))
	assert.Empty(t, runnable(m), "the outline is queued; nothing else can run")
	m[content.FormatOutline].Status = StepSucceeded
	assert.Nil(t, skipDownstream(content.FormatOutline, all, m, now), "a success changes no other step")
	assert.Len(t, runnable(m), len(content.TextFormats()), "the derived text formats and the image")
	for _, f := range runnable(m) {
		m[f].Status = StepQueued
	}

	m[content.FormatPodcastScript].Status = StepFailed
	skipped := skipDownstream(content.FormatPodcastScript, all, m, now)
	require.Len(t, skipped, 1)
	assert.Equal(t, StepSkipped, m[content.FormatAudio].Status)
	assert.Equal(t, "dependency_failed", m[content.FormatAudio].Error.Code)
	assert.Equal(t, StepPending, m[content.FormatPackage].Status, "the package is never skipped")

	for _, f := range all {
		if s := m[f]; s.Status == StepQueued {
			assert.Empty(t, runnable(m), "the package waits while %s runs", f)
			s.Status = StepSucceeded
		}
	}
	assert.Equal(t, []content.Format{content.FormatPackage}, runnable(m), "once every other step ended, the package can run, failures and all")
}

func TestOutcome(t *testing.T) {
	mk := func(st ...StepStatus) []*Step {
		var out []*Step
		for i, s := range st {
			out = append(out, &Step{Name: all[i], Status: s})
		}
		out = append(out, &Step{Name: content.FormatPackage, Status: StepSucceeded})
		return out
	}
	assert.Equal(t, JobSucceeded, Outcome(mk(StepSucceeded, StepSucceeded)))
	assert.Equal(t, JobPartial, Outcome(mk(StepSucceeded, StepFailed)))
	assert.Equal(t, JobFailed, Outcome(mk(StepFailed, StepSkipped)))
	assert.Equal(t, JobSucceeded, Outcome(mk(StepSucceeded, StepNotApplicable)), "a step that does not apply is no failure")
	assert.Equal(t, JobPartial, Outcome(mk(StepFailed, StepNotApplicable, StepSucceeded)))
	assert.InDelta(t, 2.0/3, Progress([]*Step{{Status: StepSucceeded}, {Status: StepSkipped}, {Status: StepRunning}}), 1e-9)
	assert.InDelta(t, 0.5, Progress([]*Step{{Status: StepNotApplicable}, {Status: StepQueued}}), 1e-9, "a step that did not apply has ended")
}
