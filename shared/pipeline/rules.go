package pipeline

import (
	"time"

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
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (r Rules) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// admit admits a new job against its owner's limits, in the transaction
// that creates it; a refusal is a *ratelimit.Exceeded.
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
// settles it.
func (r Rules) end(tx Tx, job *Job, status JobStatus, steps []*Step, now time.Time) error {
	job.end(status, steps, now)
	tx.SaveJob(job)
	return r.settle(tx, job, job.Usage.CostUSD, now)
}
