// Package retry repeats a failed call in process, with full-jitter
// exponential backoff, so that a single 429 or 503 from a model does not
// cost a whole Pub/Sub redelivery of the step.
//
// Only errors that are an *ai.Error with Retryable set are retried. The
// delay before retry n (n = 0 for the first retry) is drawn uniformly
// from [0, min(Cap, Base·2ⁿ)], then raised to the error's RetryAfter when
// the service asked for a longer wait. A retry never sleeps past the
// context's deadline minus Margin: when the next wait would end after
// that, Do returns the last error at once, so the caller still has time to
// record it and ask Pub/Sub to redeliver. When the attempts run out the
// last (retryable) error is returned unchanged.
package retry

import (
	"context"
	"math/rand/v2"
	"time"

	"contentfactory.dev/factory/shared/ai"
)

// Policy bounds the retries of one call.
type Policy struct {
	// Attempts is the total number of calls, the first included; values
	// below 1 mean 1.
	Attempts int
	// Base is the upper bound of the first delay; each further delay
	// doubles it, up to Cap.
	Base time.Duration
	// Cap bounds every delay (before RetryAfter is applied).
	Cap time.Duration
	// Margin is kept free before the context's deadline: no wait may end
	// later than deadline − Margin.
	Margin time.Duration
	// Jitter returns a uniformly random duration in [0, max]. Nil uses
	// math/rand/v2; tests may pin it.
	Jitter func(max time.Duration) time.Duration
	// OnRetry, if set, is told about every retry before its wait.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Default is three attempts with delays of up to 1 s, then 2 s, capped at
// 30 s, keeping 5 s before the deadline.
var Default = Policy{Attempts: 3, Base: time.Second, Cap: 30 * time.Second, Margin: 5 * time.Second}

// Bound returns the upper bound of the jittered delay before retry n
// (n = 0 for the first retry): min(Cap, Base·2ⁿ).
func (p Policy) Bound(n int) time.Duration {
	if p.Base <= 0 {
		return 0
	}
	limit := p.Cap
	if limit <= 0 {
		limit = p.Base
	}
	d := p.Base
	for i := 0; i < n; i++ {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

func (p Policy) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	if p.Jitter != nil {
		d := p.Jitter(max)
		return min(max, d)
	}
	return time.Duration(rand.Int64N(int64(max) + 1))
}

// Retryable reports whether err is worth another attempt, and how long the
// service asked to wait before it.
func Retryable(err error) (bool, time.Duration) {
	e, ok := ai.AsError(err)
	if !ok || !e.Retryable {
		return false, 0
	}
	return true, e.RetryAfter
}

// Do calls fn until it succeeds, fails with an error that is not
// retryable, runs out of attempts, or the next wait would overrun the
// context's deadline minus the margin. It returns fn's last error.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	_, err := Value(ctx, p, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	})
	return err
}

// Value is Do for a function that returns a value with its error. The
// value of the last call is returned, also when it failed.
func Value[T any](ctx context.Context, p Policy, fn func(ctx context.Context) (T, error)) (T, error) {
	attempts := max(1, p.Attempts)
	for n := 0; ; n++ {
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		ok, after := Retryable(err)
		if !ok || n+1 >= attempts || ctx.Err() != nil {
			return v, err
		}
		wait := max(p.jitter(p.Bound(n)), after)
		if dl, has := ctx.Deadline(); has && time.Now().Add(wait).After(dl.Add(-p.Margin)) {
			return v, err
		}
		if p.OnRetry != nil {
			p.OnRetry(n+1, wait, err)
		}
		if !sleep(ctx, wait) {
			return v, err
		}
	}
}

// sleep waits for d or until ctx is done; it reports whether it slept
// the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
