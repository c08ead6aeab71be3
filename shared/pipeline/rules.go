package pipeline

import (
	"time"

	"contentfactory.dev/factory/shared/content"

	"contentfactory.dev/factory/shared/ratelimit"
)

// Rules are the job rules the transactions that admit and end jobs
// apply: a job is admitted against its owner's limits where it is created,
// and settled (its reservation released, what it spent counted) where it
// ends, however it ends: its last step, a cancel, its deadline or an
// erasure. The store only keeps the ledger these rules read and write.
type Rules struct {
	// Region is written into the messages of the steps a change makes
	// ready.
	Region string
	// Limits are the limits each owner gets; the zero Policy limits
	// nothing and keeps no ledger.
	Limits ratelimit.Policy
	// ReviewTTL is how long a job waits for the approval of its review
	// before it ends expired (default 7 days).
	ReviewTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (r Rules) reviewTTL() time.Duration {
	if r.ReviewTTL <= 0 {
		return 7 * 24 * time.Hour
	}
	return r.ReviewTTL
}

// pauses reports whether the end of step s (already applied) pauses its
// job for review: the job asked to review that step, has not been
// approved, and the step succeeded.
func (r Rules) pauses(j *Job, s *Step) bool {
	return j.Review != "" && content.Format(j.Review) == s.Name && !j.Approved && s.Status == StepSucceeded && !j.Status.Terminal()
}

// pause holds back the steps that became ready and has the job wait for
// review until ReviewTTL from now; its event is marked to be published.
func (r Rules) pause(tx Tx, j *Job, ready []*Step, now time.Time) {
	for _, st := range ready {
		st.Status, st.QueuedAt = StepPending, time.Time{}
	}
	j.Status = JobAwaitingReview
	j.ReviewUntil = now.Add(r.reviewTTL())
	j.Pauses++
	j.UpdatedAt = now
	j.EventPending = true
	tx.SaveJob(j)
}

func (r Rules) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// admit admits a new job (or run) against its owner's limits, in the
// transaction that creates it; a refusal is a *ratelimit.Exceeded carrying
// the standing that refused it. An admitted job carries the standing it
// left (Job.Standing), so the caller can tell the owner where it stands
// without reading the ledger again.
func (r Rules) admit(tx Tx, job *Job, now time.Time) error {
	if !r.Limits.Enabled() {
		return nil
	}
	st, err := tx.Ledger(job.Owner)
	if err != nil {
		return err
	}
	if err := r.Limits.Admit(&st, now, job.EstimateUSD); err != nil {
		return err
	}
	tx.SaveLedger(job.Owner, st)
	job.Standing = &st
	return nil
}

// settle releases a job's reservation and counts what it spent, in the
// transaction that ends (or erases) it.
func (r Rules) settle(tx Tx, job *Job, spentUSD float64, now time.Time) error {
	if !r.Limits.Enabled() {
		return nil
	}
	st, err := tx.Ledger(job.Owner)
	if err != nil {
		return err
	}
	r.Limits.Settle(&st, now, job.EstimateUSD, spentUSD)
	tx.SaveLedger(job.Owner, st)
	return nil
}

// end ends a job that has not ended with a status, given all its steps:
// it records the outcome, marks its event to be published, saves it and
// settles its run with what the run spent.
func (r Rules) end(tx Tx, job *Job, status JobStatus, steps []*Step, now time.Time) error {
	job.end(status, steps, now)
	tx.SaveJob(job)
	return r.settle(tx, job, job.Usage.CostUSD-job.RunCostUSD, now)
}
