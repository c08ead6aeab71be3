package pipeline

import (
	"slices"
	"time"

	"contentfactory.dev/factory/shared/content"
)

// Requires returns the steps of a job with the given formats that step f
// is made from. The package requires every other step of its job; other
// formats require what their spec names, when the job has it.
func Requires(f content.Format, formats []content.Format) []content.Format {
	var out []content.Format
	if f == content.FormatPackage {
		for _, g := range formats {
			if g != f {
				out = append(out, g)
			}
		}
		return out
	}
	for _, r := range content.MustLookup(f).Requires {
		if slices.Contains(formats, r) {
			out = append(out, r)
		}
	}
	return out
}

// Dependents returns the steps of the job that require step f directly.
func Dependents(f content.Format, formats []content.Format) []content.Format {
	var out []content.Format
	for _, g := range formats {
		if slices.Contains(Requires(g, formats), f) {
			out = append(out, g)
		}
	}
	return out
}

// Downstream returns every step that depends on f, directly or not.
func Downstream(f content.Format, formats []content.Format) []content.Format {
	seen := map[content.Format]bool{}
	var walk func(content.Format)
	walk = func(g content.Format) {
		for _, d := range Dependents(g, formats) {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(f)
	var out []content.Format
	for _, g := range formats {
		if seen[g] {
			out = append(out, g)
		}
	}
	return out
}

// Plan returns the steps of a new job: the steps that require nothing are
// queued, the others wait for the steps they require.
func Plan(jobID string, formats []content.Format, now time.Time) []*Step {
	steps := make([]*Step, 0, len(formats))
	for _, f := range formats {
		req := Requires(f, formats)
		s := &Step{
			JobID:     jobID,
			Name:      f,
			Kind:      content.MustLookup(f).Kind,
			Status:    StepPending,
			Requires:  req,
			Waiting:   len(req),
			Version:   1,
			Versions:  []StepVersion{{Version: 1, Made: MadeGenerated, Status: StepPending, Artifacts: []Artifact{}, CreatedAt: now}},
			Artifacts: []Artifact{},
			UpdatedAt: now,
		}
		if len(req) == 0 {
			s.Status = StepQueued
			s.QueuedAt = now
		}
		steps = append(steps, s)
	}
	return steps
}

// settle records that step f has ended (its status already set) and
// carries the news downstream: each dependent stops waiting for it; a
// dependent left waiting for nothing is queued; a content step whose
// requirement did not succeed is skipped, and that skip is carried on in
// turn. The package tolerates failed requirements: it bundles what exists.
// steps must hold f and everything downstream of it. It returns every
// step it changed and, among them, those that became queued.
func settle(f content.Format, formats []content.Format, steps map[content.Format]*Step, now time.Time) (changed, ready []*Step) {
	touched := map[content.Format]bool{}
	queue := []content.Format{f}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		ok := steps[n].Status == StepSucceeded
		for _, d := range Dependents(n, formats) {
			dep := steps[d]
			if dep == nil || dep.Status != StepPending {
				continue
			}
			dep.Waiting--
			dep.UpdatedAt = now
			switch {
			case !ok && d != content.FormatPackage:
				dep.Status = StepSkipped
				dep.FinishedAt = now
				dep.Error = &StepError{Code: "dependency_failed", Message: "step " + string(n) + " did not succeed"}
				dep.record(now)
				queue = append(queue, d)
			case dep.Waiting <= 0:
				dep.Waiting = 0
				dep.Status = StepQueued
				dep.QueuedAt = now
				ready = append(ready, dep)
			}
			if !touched[d] {
				touched[d] = true
				changed = append(changed, dep)
			}
		}
	}
	return changed, ready
}
