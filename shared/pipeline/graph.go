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

// canRun reports whether a pending step may be queued: every step it is
// made from has ended, and succeeded (the package bundles what exists, so
// it only needs them ended). steps must hold its requirements.
func canRun(s *Step, formats []content.Format, steps map[content.Format]*Step) bool {
	if s.Status != StepPending {
		return false
	}
	for _, r := range Requires(s.Name, formats) {
		rs := steps[r]
		if rs == nil || !rs.Status.Terminal() || (rs.Status != StepSucceeded && s.Name != content.FormatPackage) {
			return false
		}
	}
	return true
}

// skipDownstream records that step f did not succeed: every content step
// made from it, directly or not, that has not ended is skipped
// "dependency_failed" (the package is not: it bundles what exists), or,
// when f did not apply to the job, ends not_applicable too. steps
// must hold f and everything downstream of it. It returns the steps it
// skipped. A step that succeeded changes no other step: the steps made
// from it are queued by promote, after its end is committed, so that
// siblings ending at once never write one shared document.
func skipDownstream(f content.Format, formats []content.Format, steps map[content.Format]*Step, now time.Time) []*Step {
	if steps[f].Status == StepSucceeded {
		return nil
	}
	var skipped []*Step
	for _, d := range Downstream(f, formats) {
		dep := steps[d]
		if d == content.FormatPackage || dep == nil || dep.Status.Terminal() || dep.Status == StepRunning {
			continue
		}
		dep.Status = StepSkipped
		dep.Error = &StepError{Code: "dependency_failed", Message: "step " + string(f) + " did not succeed"}
		if steps[f].Status == StepNotApplicable {
			dep.Status = StepNotApplicable
			dep.Error = &StepError{Code: CodeNotApplicable, Message: "it is made from step " + string(f) + ", which does not apply to this job"}
		}
		dep.FinishedAt, dep.UpdatedAt = now, now
		dep.record(now)
		skipped = append(skipped, dep)
	}
	return skipped
}
