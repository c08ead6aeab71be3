package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/ratelimit"
)

// Errors of steering a job.
var (
	// ErrJobBusy: the job is running; a step of it can be regenerated or
	// edited once it has ended (or while it awaits review).
	ErrJobBusy = errors.New("the job is running")
	// ErrNotRevisable: that step of the job cannot be changed that way
	// (not one of its steps; not a document; only the outline while the
	// job awaits review).
	ErrNotRevisable = errors.New("the step cannot be changed that way")
	// ErrNoReview: the job did not ask for a review.
	ErrNoReview = errors.New("the job has no review")
)

// Change asks for a new version of one step of a job: regenerated (with
// optional instructions) or edited (a document the caller wrote, already
// stored).
type Change struct {
	JobID string
	Step  content.Format
	// Made is MadeRegenerated or MadeEdited.
	Made string
	// Instructions steer a regeneration (cleaned untrusted text).
	Instructions string
	// InjectionScore is what the input screen found in the instructions.
	InjectionScore float64
	// Artifacts are an edit's stored document; Quality and Warnings what
	// the checks of an edit found in it.
	Artifacts []Artifact
	Quality   *content.Quality
	Warnings  []StepWarning
	// Key is the caller's Idempotency-Key (optional) and Fingerprint a
	// hash of what it asked: a repeated change finds its version.
	Key, Fingerprint string
}

// Revise makes a new version of a step and re-runs every step made from it:
// a regenerated step is queued, an edited one succeeds at once with its
// document; the steps downstream are made again (a new version each), and
// the job runs again and ends again with a new event. The run is admitted
// against the owner's limits like a new job (a refusal is a
// *ratelimit.Exceeded). While a job awaits review only its reviewed step
// may change: an edit keeps it awaiting, a regeneration runs that step
// and pauses again. A change whose Key was seen on the step returns that
// version (created false), or ErrMismatch when it asked something else.
// Errors: ErrNotFound, ErrJobBusy (running), ErrEnded (cancelled or
// expired), ErrNotRevisable.
func (j *Jobs) Revise(ctx context.Context, ch Change) (*Job, *Step, bool, error) {
	var (
		job     *Job
		target  *Step
		ready   []*Step
		created bool
		req     *content.Request
		// unsent is the event of the run that ended, when it was not
		// published yet: it is published now, before the job runs again.
		unsent *JobEvent
	)
	if j.cfg.Estimate != nil {
		// The request never changes: read it outside the transaction.
		r, err := j.p.Store.Request(ctx, ch.JobID)
		if err != nil {
			return nil, nil, false, fmt.Errorf("revise step %s of job %s: %w", ch.Step, ch.JobID, err)
		}
		req = r
	}
	err := transact(ctx, j.p.Store, "revise step", ch.JobID, func(ctx context.Context, tx Tx) error {
		job, target, ready, created, unsent = nil, nil, nil, false, nil
		jb, err := tx.Job()
		if err != nil {
			return err
		}
		job = jb
		if !slices.Contains(jb.Formats, ch.Step) || ch.Step == content.FormatPackage {
			return ErrNotRevisable
		}
		steps, err := tx.Steps(jb.Formats...)
		if err != nil {
			return err
		}
		t := steps[ch.Step]
		if t == nil {
			return ErrNotRevisable
		}
		target = t
		if ch.Key != "" {
			for _, v := range t.Versions {
				if v.Key == ch.Key {
					if v.Fingerprint != ch.Fingerprint {
						return ErrMismatch
					}
					return nil // asked before: that version answers
				}
			}
		}
		switch {
		case jb.Status == JobCancelled || jb.Status == JobExpired:
			return ErrEnded
		case !jb.Status.Revisable():
			return ErrJobBusy
		case jb.Status == JobAwaitingReview && content.Format(jb.Review) != ch.Step:
			return ErrNotRevisable
		}
		now := j.now().UTC()
		reviewing := jb.Status == JobAwaitingReview

		// The new version of the step.
		v := StepVersion{Version: t.CurrentVersion() + 1, Made: ch.Made, Instructions: ch.Instructions,
			CreatedAt: now, Key: ch.Key, Fingerprint: ch.Fingerprint, Artifacts: []Artifact{}}
		t.Version, t.Attempt, t.Error = v.Version, 0, nil
		t.LeaseOwner, t.LeaseUntil = "", time.Time{}
		t.UpdatedAt, t.StartedAt = now, time.Time{}
		pending := map[content.Format]bool{}
		switch ch.Made {
		case MadeEdited:
			t.Status, t.Artifacts, t.PromptVersion, t.Model, t.FinishedAt = StepSucceeded, ch.Artifacts, "", nil, now
			t.Quality, t.Warnings = ch.Quality, ch.Warnings
			v.Status, v.Artifacts, v.FinishedAt = StepSucceeded, ch.Artifacts, now
		case MadeRegenerated:
			t.Status, t.Artifacts, t.QueuedAt, t.FinishedAt = StepQueued, []Artifact{}, now, time.Time{}
			t.Quality, t.Warnings = nil, nil
			v.Status = StepQueued
			pending[t.Name] = true
			ready = append(ready, t)
		default:
			return fmt.Errorf("revise step %s: unknown change %q", ch.Step, ch.Made)
		}
		t.Versions = append(t.Versions, v)
		tx.SaveStep(t)
		created = true

		// The steps made from it.
		rerun := Downstream(t.Name, jb.Formats)
		for _, f := range rerun {
			d := steps[f]
			if d == nil {
				continue
			}
			if reviewing && d.Status == StepPending && d.CurrentVersion() == 1 && len(d.Artifacts) == 0 {
				continue // never made: it waits for the approval as it is
			}
			pending[f] = true
		}
		for _, f := range rerun {
			d := steps[f]
			if d == nil || !pending[f] {
				continue
			}
			d.Version, d.Attempt, d.Error = d.CurrentVersion()+1, 0, nil
			d.Versions = append(d.Versions, StepVersion{Version: d.Version, Made: MadeRerun, Status: StepPending, Artifacts: []Artifact{}, CreatedAt: now})
			d.Status, d.Artifacts, d.Quality, d.Warnings = StepPending, []Artifact{}, nil, nil
			d.LeaseOwner, d.LeaseUntil = "", time.Time{}
			d.StartedAt, d.FinishedAt, d.UpdatedAt = time.Time{}, time.Time{}, now
			tx.SaveStep(d)
		}
		for _, f := range rerun {
			// What it is made from is made already: it runs at once.
			if d := steps[f]; d != nil && pending[f] && canRun(d, jb.Formats, steps) && !reviewing {
				d.Status, d.QueuedAt = StepQueued, now
				d.Versions[len(d.Versions)-1].Status = StepQueued
				tx.SaveStep(d)
				ready = append(ready, d)
			}
		}

		// The job runs again (or keeps waiting for its review).
		jb.CacheKey = ""
		jb.UpdatedAt = now
		all := make([]*Step, 0, len(steps))
		for _, f := range jb.Formats {
			all = append(all, steps[f])
		}
		if reviewing && ch.Made == MadeEdited {
			jb.Progress = Progress(all)
			tx.SaveJob(jb)
			return nil
		}
		if !reviewing {
			if jb.EventPending && jb.Status.Terminal() {
				ev := NewJobEvent(jb, all)
				unsent = &ev
			}
			// The run is estimated at what its steps are expected to cost.
			jb.EstimateUSD = 0
			if j.cfg.Estimate != nil {
				rerun := *req
				rerun.Formats = nil
				for _, f := range jb.Formats {
					if pending[f] {
						rerun.Formats = append(rerun.Formats, f)
					}
				}
				jb.EstimateUSD = j.cfg.Estimate(&rerun)
			}
			if err := j.rules.admit(tx, jb, now); err != nil {
				return err
			}
			jb.Run = max(jb.Run, 1) + 1
			jb.RunCostUSD = TotalUsage(all).CostUSD
			jb.FinishedAt = time.Time{}
			jb.EventPending = false
			jb.Deadline = now.Add(j.cfg.Deadline)
		}
		jb.Status = JobRunning
		jb.Progress = Progress(all)
		tx.SaveJob(jb)
		return nil
	})
	var exceeded *ratelimit.Exceeded
	switch {
	case errors.As(err, &exceeded):
		return job, nil, false, exceeded
	case err != nil:
		return job, target, false, fmt.Errorf("revise step %s of job %s: %w", ch.Step, ch.JobID, err)
	}
	if created {
		logging.From(ctx).InfoContext(ctx, "step revised: the job runs again", "job_id", ch.JobID, "step", ch.Step,
			"made", ch.Made, "version", target.Version, "injection_score", ch.InjectionScore)
	}
	if unsent != nil && j.p.Events != nil {
		if err := j.p.Events.PublishJobEvent(ctx, *unsent); err != nil {
			logging.From(ctx).ErrorContext(ctx, "publish the event of the run that ended failed; it is lost", "job_id", ch.JobID, "event_id", unsent.ID, "error", err.Error())
		}
	}
	publishReady(ctx, j.p.Publisher, ch.JobID, j.cfg.Region, ready)
	return job, target, created, nil
}

// Approve approves the review of a job: a job awaiting it runs the rest;
// a job whose reviewed step is not made yet will not pause for it.
// Approving twice is harmless. Errors: ErrNotFound, ErrNoReview (the job
// asked for none), ErrEnded (it ended before it was approved).
func (j *Jobs) Approve(ctx context.Context, id string) (*Job, error) {
	var (
		job   *Job
		ready []*Step
	)
	err := transact(ctx, j.p.Store, "approve job", id, func(ctx context.Context, tx Tx) error {
		job, ready = nil, nil
		jb, err := tx.Job()
		if err != nil {
			return err
		}
		job = jb
		switch {
		case jb.Review == "":
			return ErrNoReview
		case jb.Approved:
			return nil
		case jb.Status == JobExpired || jb.Status == JobCancelled:
			return ErrEnded
		}
		now := j.now().UTC()
		jb.Approved, jb.UpdatedAt = true, now
		if jb.Status == JobAwaitingReview {
			steps, err := tx.Steps(jb.Formats...)
			if err != nil {
				return err
			}
			for _, f := range jb.Formats {
				if s := steps[f]; s != nil && canRun(s, jb.Formats, steps) {
					s.Status, s.QueuedAt, s.UpdatedAt = StepQueued, now, now
					tx.SaveStep(s)
					ready = append(ready, s)
				}
			}
			jb.Status = JobRunning
			jb.ReviewUntil = time.Time{}
			jb.Deadline = now.Add(j.cfg.Deadline)
		}
		tx.SaveJob(jb)
		return nil
	})
	if err != nil {
		return job, fmt.Errorf("approve job %s: %w", id, err)
	}
	publishReady(ctx, j.p.Publisher, id, j.cfg.Region, ready)
	return job, nil
}

// ExpireReview ends a job whose review was not approved in time
// "expired": its steps not made are skipped "review_expired". It reports
// whether it ended the job.
func (j *Jobs) ExpireReview(ctx context.Context, id string) (bool, error) {
	var (
		job   *Job
		ended []*Step
	)
	err := transact(ctx, j.p.Store, "expire review", id, func(ctx context.Context, tx Tx) error {
		job, ended = nil, nil
		jb, err := tx.Job()
		if err != nil {
			return err
		}
		now := j.now().UTC()
		if jb.Status != JobAwaitingReview || now.Before(jb.ReviewUntil) {
			return nil
		}
		steps, err := tx.Steps(jb.Formats...)
		if err != nil {
			return err
		}
		list := make([]*Step, 0, len(steps))
		for _, f := range jb.Formats {
			s := steps[f]
			if s == nil {
				continue
			}
			if !s.Status.Terminal() {
				s.Status = StepSkipped
				s.Error = &StepError{Code: "review_expired", Message: "the " + jb.Review + " was not approved in time"}
				s.FinishedAt, s.UpdatedAt = now, now
				s.record(now)
				tx.SaveStep(s)
			}
			list = append(list, s)
		}
		if err := j.rules.end(tx, jb, JobExpired, list, now); err != nil {
			return err
		}
		job, ended = jb, list
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("expire the review of job %s: %w", id, err)
	}
	if ended == nil {
		return false, nil
	}
	logging.From(ctx).WarnContext(ctx, "job was not approved in time and expired", "job_id", id)
	measureEnd(ctx, job)
	announce(ctx, j.p.Store, j.p.Events, job, ended)
	return true, nil
}
