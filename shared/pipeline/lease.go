package pipeline

import (
	"context"
	"errors"
	"time"

	"contentfactory.dev/factory/shared/logging"
)

// Why a run lost its claim; the cause of its context.
var (
	// ErrClaimTaken: a later attempt claimed the step (its lease had run
	// out), or the step ended without this run. That attempt owns it now.
	ErrClaimTaken = errors.New("a later attempt owns the step")
	// ErrLeaseExpired: the lease ran out before it could be renewed (the
	// store did not answer in time), so another worker may claim the step.
	ErrLeaseExpired = errors.New("the step's lease ran out before it was renewed")
)

// claim is one attempt's hold on a step: a lease renewed every
// RunnerConfig.Renew while the attempt works, so a live but slow run keeps
// its step. Its context ends, with ErrClaimTaken or ErrLeaseExpired as the
// cause, as soon as the hold is known to be lost, so the run stops before
// its next paid call.
type claim struct {
	ctx          context.Context
	cancel       context.CancelCauseFunc
	stopRenewing context.CancelFunc
	stopped      chan struct{}
	done         chan struct{}
}

// hold keeps the lease of a claimed step (run, held until until) until
// release is called.
func (r *Runner) hold(ctx context.Context, jobID string, run stepRun, until time.Time) *claim {
	cctx, cancel := context.WithCancelCause(ctx)
	// Renewals stop the moment the claim is released.
	rctx, stopRenewing := context.WithCancel(cctx)
	c := &claim{ctx: cctx, cancel: cancel, stopRenewing: stopRenewing, stopped: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTimer(r.cfg.Renew)
		defer t.Stop()
		for {
			select {
			case <-c.stopped:
				return
			case <-cctx.Done():
				return
			case <-t.C:
			}
			next, err := r.renew(rctx, jobID, run)
			select {
			case <-c.stopped:
				return
			default:
			}
			switch {
			case err == nil:
				until = next
				t.Reset(r.cfg.Renew)
			case errors.Is(err, ErrClaimTaken):
				cancel(ErrClaimTaken)
				return
			case !r.now().Before(until):
				logging.From(ctx).WarnContext(ctx, "lease ran out before it could be renewed", "error", err.Error())
				cancel(ErrLeaseExpired)
				return
			default:
				// The lease is still live: try again, at the latest when
				// it ends.
				logging.From(ctx).WarnContext(ctx, "renew the step's lease failed; will try again", "error", err.Error(), "lease_until", until)
				t.Reset(max(min(r.cfg.Renew, until.Sub(r.now())), time.Millisecond))
			}
		}
	}()
	return c
}

// release stops renewing the lease; the claim's context stays usable
// unless the hold was lost.
func (c *claim) release() {
	select {
	case <-c.stopped:
	default:
		close(c.stopped)
	}
	c.stopRenewing()
	<-c.done
}

// lost returns why the hold was lost, or nil while it is held.
func (c *claim) lost() error {
	if c.ctx.Err() == nil {
		return nil
	}
	cause := context.Cause(c.ctx)
	if errors.Is(cause, ErrClaimTaken) || errors.Is(cause, ErrLeaseExpired) {
		return cause
	}
	return nil
}

// renew extends the lease of a step this attempt holds, bounded by a renew
// period; ErrClaimTaken when the step is no longer this attempt's.
func (r *Runner) renew(ctx context.Context, jobID string, run stepRun) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Renew)
	defer cancel()
	var until time.Time
	err := transact(ctx, r.store, "renew lease", jobID, func(ctx context.Context, tx Tx) error {
		steps, err := tx.Steps(run.name)
		if err != nil {
			return err
		}
		s, ok := steps[run.name]
		if !ok || s.Status != StepRunning || !run.owns(s) {
			return ErrClaimTaken
		}
		now := r.now()
		until = now.Add(r.cfg.Lease)
		s.LeaseUntil = until
		s.UpdatedAt = now
		tx.SaveStep(s)
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, ErrClaimTaken // the job was erased
	}
	return until, err
}
