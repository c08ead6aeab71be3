package retry_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/retry"
)

var errBusy = &ai.Error{Code: "rate_limited", Retryable: true, Err: errors.New("429")}

// callTimes runs Do with fn always failing with err and returns when each
// call happened, relative to the start.
func callTimes(ctx context.Context, p retry.Policy, err error) ([]time.Duration, error) {
	start := time.Now()
	var at []time.Duration
	got := retry.Do(ctx, p, func(context.Context) error {
		at = append(at, time.Since(start))
		return err
	})
	return at, got
}

func TestBound(t *testing.T) {
	t.Parallel()
	p := retry.Policy{Base: time.Second, Cap: 10 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		assert.Equal(t, w, p.Bound(n), "bound of retry %d", n)
	}
	assert.Equal(t, 10*time.Second, p.Bound(200), "no overflow for large n")
}

func TestDelaysWithinBounds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := retry.Policy{Attempts: 7, Base: 100 * time.Millisecond, Cap: 2 * time.Second}
		var longest [6]time.Duration
		for range 300 {
			at, err := callTimes(t.Context(), p, errBusy)
			require.ErrorIs(t, err, errBusy, "the last error is returned when attempts run out")
			require.Len(t, at, 7, "every attempt is made")
			for n := 1; n < len(at); n++ {
				d := at[n] - at[n-1]
				require.GreaterOrEqual(t, d, time.Duration(0))
				require.LessOrEqual(t, d, p.Bound(n-1), "delay before retry %d", n)
				longest[n-1] = max(longest[n-1], d)
			}
		}
		// The jitter is spread over the whole range, not stuck at 0.
		for n, d := range longest {
			assert.Greater(t, d, p.Bound(n)/2, "retry %d never waited more than half its bound", n+1)
		}
	})
}

func TestPinnedJitterIsExponential(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := retry.Policy{Attempts: 5, Base: time.Second, Cap: 5 * time.Second,
			Jitter: func(max time.Duration) time.Duration { return max }}
		at, _ := callTimes(t.Context(), p, errBusy)
		assert.Equal(t, []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second, 12 * time.Second}, at)
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		err := &ai.Error{Code: "rate_limited", Retryable: true, RetryAfter: 7 * time.Second}
		p := retry.Policy{Attempts: 4, Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond}
		at, got := callTimes(t.Context(), p, err)
		require.Same(t, err, got)
		require.Len(t, at, 4)
		for n := 1; n < len(at); n++ {
			d := at[n] - at[n-1]
			assert.GreaterOrEqual(t, d, 7*time.Second, "retry %d came before Retry-After", n)
			assert.LessOrEqual(t, d, 7*time.Second+p.Bound(n-1))
		}
	})
}

func TestDeadlineIsNeverOverrun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		for _, after := range []time.Duration{0, 3 * time.Second} {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			dl, _ := ctx.Deadline()
			err := &ai.Error{Code: "unavailable", Retryable: true, RetryAfter: after}
			p := retry.Policy{Attempts: 1000, Base: time.Second, Cap: 8 * time.Second, Margin: 2 * time.Second}
			start := time.Now()
			at, got := callTimes(ctx, p, err)
			require.Same(t, err, got, "the last retryable error is returned, not the context's")
			require.Greater(t, len(at), 1, "it retried at least once")
			for _, a := range at {
				require.False(t, start.Add(a).After(dl.Add(-p.Margin)), "a call at %v is past deadline−margin", a)
			}
			require.False(t, time.Now().After(dl.Add(-p.Margin)), "Do returned after deadline−margin")
			cancel()
		}
	})
}

func TestRetryAfterPastDeadlineReturnsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		err := &ai.Error{Code: "rate_limited", Retryable: true, RetryAfter: time.Minute}
		start := time.Now()
		at, got := callTimes(ctx, retry.Policy{Attempts: 3, Base: time.Second, Cap: time.Second}, err)
		require.Same(t, err, got)
		assert.Len(t, at, 1)
		assert.Zero(t, time.Since(start), "it must not sleep when the wait cannot fit")
	})
}

func TestOnlyRetryableErrorsAreRetried(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		errors.New("plain"),
		ai.Permanent("invalid_request", errors.New("400")),
		context.Canceled,
	} {
		n := 0
		got := retry.Do(t.Context(), retry.Policy{Attempts: 5}, func(context.Context) error { n++; return err })
		assert.Same(t, err, got)
		assert.Equal(t, 1, n, "%v was retried", err)
	}
}

func TestSucceedsAfterTransientFailures(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var retries []int
		p := retry.Policy{Attempts: 3, Base: time.Second, Cap: time.Second,
			OnRetry: func(attempt int, _ time.Duration, _ error) { retries = append(retries, attempt) }}
		n := 0
		v, err := retry.Value(t.Context(), p, func(context.Context) (int, error) {
			n++
			if n < 3 {
				return 0, errBusy
			}
			return 42, nil
		})
		require.NoError(t, err)
		assert.Equal(t, 42, v)
		assert.Equal(t, []int{1, 2}, retries)
	})
}

func TestCancelDuringWaitReturnsLastError(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(500 * time.Millisecond)
			cancel()
		}()
		err := &ai.Error{Code: "rate_limited", Retryable: true, RetryAfter: 10 * time.Second}
		start := time.Now()
		got := retry.Do(ctx, retry.Policy{Attempts: 3}, func(context.Context) error { return err })
		require.Same(t, err, got)
		assert.Equal(t, 500*time.Millisecond, time.Since(start))
	})
}
