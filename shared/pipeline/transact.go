package pipeline

import (
	"context"
	"time"

	"contentfactory.dev/factory/shared/logging"
)

// transact runs fn in a transaction over one job, as Store.Transact does,
// and makes contention visible: when the transaction ran more than once
// (each extra run is an abort the store retried) or ran out of time, one
// log line says which transaction it was, how many times it ran and how
// long it took. Other failures are the caller's to report.
func transact(ctx context.Context, s Store, what, jobID string, fn func(context.Context, Tx) error) error {
	runs := 0
	start := time.Now()
	err := s.Transact(ctx, jobID, func(ctx context.Context, tx Tx) error {
		runs++
		return fn(ctx, tx)
	})
	timedOut := err != nil && ctx.Err() != nil
	if runs <= 1 && !timedOut {
		return err
	}
	attrs := []any{
		"transaction", what, "runs", runs, "contention_aborts", max(runs-1, 0),
		"duration_ms", time.Since(start).Milliseconds(),
	}
	if timedOut {
		logging.From(ctx).WarnContext(ctx, "transaction ran out of time", append(attrs, "error", err.Error())...)
	} else {
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		logging.From(ctx).InfoContext(ctx, "transaction retried after contention", attrs...)
	}
	return err
}
