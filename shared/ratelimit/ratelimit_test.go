package ratelimit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ratelimit"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestTokenBucket(t *testing.T) {
	p := ratelimit.Policy{Rate: 0.5, Burst: 3}
	var s ratelimit.State
	for range 3 {
		require.NoError(t, p.Admit(&s, t0, 0))
	}
	err := p.Admit(&s, t0, 0)
	var ex *ratelimit.Exceeded
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, "rate_limited", ex.Code)
	assert.Equal(t, 2*time.Second, ex.RetryAfter, "one token every two seconds")
	assert.Equal(t, 3, s.Running, "a refusal changes nothing")

	require.NoError(t, p.Admit(&s, t0.Add(2*time.Second), 0), "refilled")
	assert.Error(t, p.Admit(&s, t0.Add(3*time.Second), 0))
	r := p.Remaining(s, t0.Add(100*time.Second))
	assert.Equal(t, 3, r.Tokens, "never more than the burst")
}

func TestRunningCapAndSettle(t *testing.T) {
	p := ratelimit.Policy{Rate: 100, Burst: 100, MaxRunning: 2}
	var s ratelimit.State
	require.NoError(t, p.Admit(&s, t0, 0))
	require.NoError(t, p.Admit(&s, t0, 0))
	var ex *ratelimit.Exceeded
	require.ErrorAs(t, p.Admit(&s, t0, 0), &ex)
	assert.Equal(t, "too_many_running", ex.Code)
	p.Settle(&s, t0, ratelimit.Release{EndedAt: t0})
	require.NoError(t, p.Admit(&s, t0, 0), "a job ended: room again")
}

func TestDailyBudgetReservesThenSettles(t *testing.T) {
	p := ratelimit.Policy{Rate: 100, Burst: 100, DailyBudgetUSD: 1}
	var s ratelimit.State
	require.NoError(t, p.Admit(&s, t0, 0.4))
	require.NoError(t, p.Admit(&s, t0, 0.4))
	var ex *ratelimit.Exceeded
	require.ErrorAs(t, p.Admit(&s, t0, 0.4), &ex, "0.8 reserved + 0.4 > 1")
	assert.Equal(t, "budget_exceeded", ex.Code)
	assert.Equal(t, 12*time.Hour, ex.RetryAfter, "until midnight UTC")

	p.Settle(&s, t0, ratelimit.Release{EstimateUSD: 0.4, SpentUSD: 0.1, EndedAt: t0}) // cheaper than feared
	assert.InDelta(t, 0.4, s.Reserved, 1e-9)
	assert.InDelta(t, 0.1, s.Spent, 1e-9)
	require.NoError(t, p.Admit(&s, t0, 0.4))
	assert.InDelta(t, 0.1, p.Remaining(s, t0).BudgetUSD, 1e-9)

	// A new day starts with nothing spent; running reservations carry over.
	next := t0.Add(13 * time.Hour)
	require.NoError(t, p.Admit(&s, next, 0.1))
	assert.Equal(t, "2026-11-26", s.Day)
	assert.InDelta(t, 0, s.Spent, 1e-9)
	assert.InDelta(t, 0.9, s.Reserved, 1e-9)
}

func TestAReleaseFoldedLateCountsOnTheDayItEnded(t *testing.T) {
	p := ratelimit.Policy{Rate: 100, Burst: 100, DailyBudgetUSD: 1}
	var s ratelimit.State
	require.NoError(t, p.Admit(&s, t0, 0.5))
	require.NoError(t, p.Admit(&s, t0, 0.3))
	// One job ended yesterday, one today; both are folded in today.
	today := t0.Add(13 * time.Hour)
	s.Today(today)
	s.Apply(ratelimit.Release{EstimateUSD: 0.5, SpentUSD: 0.4, EndedAt: t0.Add(time.Hour)})
	s.Apply(ratelimit.Release{EstimateUSD: 0.3, SpentUSD: 0.2, EndedAt: today})
	assert.Zero(t, s.Running)
	assert.InDelta(t, 0, s.Reserved, 1e-9, "both reservations are released")
	assert.InDelta(t, 0.2, s.Spent, 1e-9, "only what ended today is spent today")
}

func TestDisabledPolicyAdmitsEverything(t *testing.T) {
	var s ratelimit.State
	for range 1000 {
		require.NoError(t, ratelimit.Policy{}.Admit(&s, t0, 100))
	}
	var l *ratelimit.Limiter
	ok, _ := l.Allow("x", t0)
	assert.True(t, ok)
}

func TestLimiter(t *testing.T) {
	l := ratelimit.NewLimiter(ratelimit.Policy{Rate: 1, Burst: 2})
	for range 2 {
		ok, _ := l.Allow("a", t0)
		assert.True(t, ok)
	}
	ok, wait := l.Allow("a", t0)
	assert.False(t, ok)
	assert.Equal(t, time.Second, wait)
	ok, _ = l.Allow("b", t0)
	assert.True(t, ok, "owners do not share a bucket")
}

func TestFields(t *testing.T) {
	p := ratelimit.Policy{Rate: 0.5, Burst: 10, MaxRunning: 3, DailyBudgetUSD: 25}
	var s ratelimit.State
	require.NoError(t, p.Admit(&s, t0, 1.25))
	require.NoError(t, p.Admit(&s, t0, 1.25))

	policy, limit := p.Fields(s, t0.Add(time.Second))
	assert.Equal(t, `"jobs";q=10;w=20, "running";q=3;qu="concurrent-requests", "budget";q=2500;w=86400;factory-unit="usd-cents"`, policy)
	// 8.5 tokens: 8 whole, the ninth in a second; noon UTC: twelve hours
	// left of the budget's day.
	assert.Equal(t, `"jobs";r=8;t=1, "running";r=1, "budget";r=2250;t=43199`, limit)

	_, limit = p.Fields(s, t0.Add(time.Hour))
	assert.Equal(t, `"jobs";r=10, "running";r=1, "budget";r=2250;t=39600`, limit, "a full bucket has no window")

	policy, limit = ratelimit.Policy{Rate: 1, Burst: 2}.Fields(ratelimit.State{}, t0)
	assert.Equal(t, `"jobs";q=2;w=2`, policy, "only the policies that limit")
	assert.Equal(t, `"jobs";r=2`, limit)

	policy, limit = ratelimit.Policy{}.Fields(s, t0)
	assert.Empty(t, policy+limit)
	assert.Equal(t, `"jobs";r=0;t=3`, ratelimit.Exhausted(2500*time.Millisecond))
}

func TestRefusalsCarryTheStandingThatRefused(t *testing.T) {
	p := ratelimit.Policy{Rate: 1, Burst: 1, MaxRunning: 5}
	var s ratelimit.State
	require.NoError(t, p.Admit(&s, t0, 0))
	var ex *ratelimit.Exceeded
	require.ErrorAs(t, p.Admit(&s, t0, 0), &ex)
	assert.True(t, ex.Ledger)
	assert.Equal(t, 1, ex.Standing.Running)
	assert.InDelta(t, 0, ex.Standing.Tokens, 1e-9)
}
