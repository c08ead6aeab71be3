package pipeline

import (
	"strconv"
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

// pause has the job wait for review until ReviewTTL from now: the steps
// made from the reviewed one are not queued until it is approved. Its
// event is marked to be published.
func (r Rules) pause(tx Tx, j *Job, now time.Time) {
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
// transaction that creates it, after folding the owner's pending
// settlements into its ledger; a refusal is a *ratelimit.Exceeded carrying
// the standing that refused it (settlements folded). An admitted job
// carries the standing it left (Job.Standing: the ledger as this
// transaction writes it), so the caller can tell the owner where it stands
// without reading the ledger again.
func (r Rules) admit(tx Tx, job *Job, now time.Time) error {
	if !r.Limits.Enabled() {
		return nil
	}
	st, err := tx.Ledger(job.Owner)
	if err != nil {
		return err
	}
	pending, err := tx.Settlements(job.Owner)
	if err != nil {
		return err
	}
	folded := Fold(&st, pending, now)
	if err := r.Limits.Admit(&st, now, job.EstimateUSD); err != nil {
		return err
	}
	tx.SaveLedger(job.Owner, st, folded)
	job.Standing = &st
	return nil
}

// admitEach admits new jobs of one owner, in turn, against the owner's
// ledger, in the transaction that creates them: the jobs and the ledger
// are read at once, the owner's pending settlements folded in, and the
// ledger written once for all of them. It returns each job's refusal: nil
// when admitted (the job then carries the standing it left, as admit
// does), ErrExists, before any limit is looked at, when a job of its id
// exists (or comes earlier in jobs), or a *ratelimit.Exceeded.
func (r Rules) admitEach(tx Tx, owner string, jobs []*Job, now time.Time) ([]error, error) {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	found, st, err := tx.JobsAndLedger(owner, ids...)
	if err != nil {
		return nil, err
	}
	pending, err := tx.Settlements(owner)
	if err != nil {
		return nil, err
	}
	folded := Fold(&st, pending, now)
	out := make([]error, len(jobs))
	seen := make(map[string]bool, len(jobs))
	admitted := false
	for i, j := range jobs {
		if found[j.ID] || seen[j.ID] {
			out[i] = ErrExists
			continue
		}
		if err := r.Limits.Admit(&st, now, j.EstimateUSD); err != nil {
			out[i] = err
			continue
		}
		seen[j.ID] = true
		standing := st
		j.Standing = &standing
		admitted = true
	}
	if admitted {
		tx.SaveLedger(owner, st, folded)
	}
	return out, nil
}

// Fold brings a ledger to now's day and applies settlements to it; it
// returns their ids.
func Fold(st *ratelimit.State, pending []Settlement, now time.Time) []string {
	st.Today(now)
	ids := make([]string, 0, len(pending))
	for _, s := range pending {
		st.Apply(s.Release)
		ids = append(ids, s.ID)
	}
	return ids
}

// settle releases a job's reservation and counts what its run spent, in
// the transaction that ends (or erases) it: a settlement of its own, which
// the owner's next admission folds into the ledger.
func (r Rules) settle(tx Tx, job *Job, spentUSD float64, now time.Time) {
	if !r.Limits.Enabled() {
		return
	}
	tx.Settle(Settlement{ID: job.ID + ":" + strconv.Itoa(job.Run), Owner: job.Owner,
		Release: ratelimit.Release{EstimateUSD: job.EstimateUSD, SpentUSD: spentUSD, EndedAt: now}})
}

// end ends a job that has not ended with a status, given all its steps:
// it records the outcome, marks its event to be published, saves it and
// settles its run with what the run spent.
func (r Rules) end(tx Tx, job *Job, status JobStatus, steps []*Step, now time.Time) error {
	job.end(status, steps, now)
	tx.SaveJob(job)
	r.settle(tx, job, job.Usage.CostUSD-job.RunCostUSD, now)
	return nil
}
