package pipeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/content"
)

var all = content.Closure(content.DefaultFormats())

func TestGraph(t *testing.T) {
	assert.Empty(t, Requires(content.FormatOutline, all))
	assert.Equal(t, []content.Format{content.FormatOutline}, Requires(content.FormatFAQs, all))
	assert.Equal(t, []content.Format{content.FormatPodcastScript}, Requires(content.FormatAudio, all))
	assert.Len(t, Requires(content.FormatPackage, all), len(all)-1, "the package waits for every other step")

	deps := Dependents(content.FormatOutline, all)
	assert.Len(t, deps, 9, "seven derived text formats, the image and the package")
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
	assert.Len(t, steps, 11)
	for _, s := range steps {
		switch s.Name {
		case content.FormatOutline:
			assert.Equal(t, StepQueued, s.Status)
			assert.Equal(t, now, s.QueuedAt)
		default:
			assert.Equal(t, StepPending, s.Status, s.Name)
			assert.Equal(t, len(s.Requires), s.Waiting, s.Name)
		}
	}
	assert.Equal(t, content.KindAudio, steps[9].Kind)
}

func byName(steps []*Step) map[content.Format]*Step {
	m := map[content.Format]*Step{}
	for _, s := range steps {
		m[s.Name] = s
	}
	return m
}

func TestSettleFansOutAndSkips(t *testing.T) {
	now := time.Now()
	m := byName(Plan("job1", all, now))
	m[content.FormatOutline].Status = StepSucceeded
	changed, ready := settle(content.FormatOutline, all, m, now)
	assert.Len(t, ready, 8, "seven derived text formats and the image")
	assert.Len(t, changed, 9, "and the package, one fewer to wait for")
	assert.Equal(t, len(all)-2, m[content.FormatPackage].Waiting)

	m[content.FormatPodcastScript].Status = StepFailed
	changed, ready = settle(content.FormatPodcastScript, all, m, now)
	assert.Empty(t, ready)
	assert.Equal(t, StepSkipped, m[content.FormatAudio].Status)
	assert.Equal(t, "dependency_failed", m[content.FormatAudio].Error.Code)
	assert.Equal(t, len(all)-4, m[content.FormatPackage].Waiting, "both the failed and the skipped step ended")
	assert.Len(t, changed, 2)

	var last []*Step
	for _, f := range all {
		if s := m[f]; s.Status == StepQueued && f != content.FormatPackage {
			assert.Equal(t, StepPending, m[content.FormatPackage].Status, "the package waits while %s runs", f)
			s.Status = StepSucceeded
			_, last = settle(f, all, m, now)
		}
	}
	assert.Equal(t, []*Step{m[content.FormatPackage]}, last, "the last step to end queues the package")
	assert.Equal(t, 0, m[content.FormatPackage].Waiting)
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
	assert.InDelta(t, 2.0/3, Progress([]*Step{{Status: StepSucceeded}, {Status: StepSkipped}, {Status: StepRunning}}), 1e-9)
}
