// Package ratelimit bounds what each owner may ask of the factory: a token
// bucket on job creation, a cap on jobs running at once, and a daily
// budget in estimated cost, reserved when a job is admitted and settled
// with its real usage when it ends (the functions estimate a job from the
// models configuration's price table, models.Config.Estimate, which also
// prices the calls). The arithmetic here is pure. The pipeline applies it
// inside the transaction that creates a job, so the limits hold across
// every instance; a job's end records a Release of its own, which the
// owner's next admission folds in, so that jobs ending together never
// write one document. Limiter adds a per-instance bucket in
// front, which sheds a flood before it costs a transaction.
package ratelimit

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Policy is the limits every owner gets.
type Policy struct {
	// Rate is how many jobs per second an owner may create, sustained.
	Rate float64
	// Burst is how many an owner may create at once.
	Burst int
	// MaxRunning caps an owner's jobs that have not ended (0: no cap).
	MaxRunning int
	// DailyBudgetUSD caps an owner's estimated spending per UTC day (0: no cap).
	DailyBudgetUSD float64
}

// Enabled reports whether the policy limits anything.
func (p Policy) Enabled() bool { return p.Rate > 0 }

// State is an owner's standing, as the store keeps it.
type State struct {
	Tokens    float64   `firestore:"tokens" json:"-"`
	Refilled  time.Time `firestore:"refilled" json:"-"`
	Running   int       `firestore:"running" json:"running_jobs"`
	Day       string    `firestore:"day" json:"day"`
	Reserved  float64   `firestore:"reserved_usd" json:"reserved_usd"`
	Spent     float64   `firestore:"spent_usd" json:"spent_usd"`
	Jobs      int       `firestore:"jobs" json:"jobs_today"`
	UpdatedAt time.Time `firestore:"updated_at" json:"-"`
}

// Exceeded is a refused admission: which limit, and when to try again.
type Exceeded struct {
	// Code is "rate_limited", "too_many_running" or "budget_exceeded".
	Code       string
	Detail     string
	RetryAfter time.Duration
	// Standing is the owner's standing that refused it (unchanged by the
	// refusal); it is the zero State for a refusal made without reading it
	// (an instance's own bucket).
	Standing State
	// Ledger reports whether Standing was read from the shared ledger.
	Ledger bool
}

func (e *Exceeded) Error() string { return e.Code + ": " + e.Detail }

// day is the budget day of a time (UTC).
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// refill brings the bucket and the day up to now.
func (p Policy) refill(s *State, now time.Time) {
	if s.Refilled.IsZero() {
		s.Tokens = float64(p.Burst)
	} else if el := now.Sub(s.Refilled).Seconds(); el > 0 {
		s.Tokens = math.Min(float64(p.Burst), s.Tokens+el*p.Rate)
	}
	s.Refilled = now
	s.Today(now)
}

// Today starts a new budget day when now is past the state's: nothing is
// spent yet and no job made. Reservations of jobs still running carry over.
func (s *State) Today(now time.Time) {
	if d := day(now); s.Day != d {
		s.Day, s.Spent, s.Jobs = d, 0, 0
	}
}

// Release is what an ended run of a job gives back to its owner's limits:
// its running slot, its reservation, and what it really cost, spent on the
// day it ended.
type Release struct {
	EstimateUSD float64   `firestore:"estimate_usd"`
	SpentUSD    float64   `firestore:"spent_usd"`
	EndedAt     time.Time `firestore:"ended_at"`
}

// Apply folds a release into the state (brought to its day first with
// Today): the job stops counting as running and its reservation becomes
// what it cost, counted against the budget only if it ended today.
func (s *State) Apply(r Release) {
	s.Running = max(0, s.Running-1)
	s.Reserved = math.Max(0, s.Reserved-r.EstimateUSD)
	if day(r.EndedAt) == s.Day {
		s.Spent += r.SpentUSD
	}
}

// Admit takes one job of estimated cost out of the owner's limits, or
// refuses it. It changes the state only when it admits.
func (p Policy) Admit(s *State, now time.Time, estimateUSD float64) error {
	if !p.Enabled() {
		return nil
	}
	next := *s
	p.refill(&next, now)
	refuse := func(e *Exceeded) error {
		e.Standing, e.Ledger = next, true
		return e
	}
	switch {
	case next.Tokens < 1:
		wait := time.Duration((1 - next.Tokens) / p.Rate * float64(time.Second))
		return refuse(&Exceeded{Code: "rate_limited", Detail: fmt.Sprintf("at most %d jobs at once and %.3g per second", p.Burst, p.Rate), RetryAfter: wait})
	case p.MaxRunning > 0 && next.Running >= p.MaxRunning:
		return refuse(&Exceeded{Code: "too_many_running", Detail: fmt.Sprintf("at most %d jobs may run at once; wait for one to end", p.MaxRunning), RetryAfter: 30 * time.Second})
	case p.DailyBudgetUSD > 0 && next.Spent+next.Reserved+estimateUSD > p.DailyBudgetUSD:
		midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		return refuse(&Exceeded{Code: "budget_exceeded", Detail: fmt.Sprintf("the daily budget of $%.2f is used up (spent $%.4f, reserved $%.4f, this job ~$%.4f)",
			p.DailyBudgetUSD, next.Spent, next.Reserved, estimateUSD), RetryAfter: midnight.Sub(now)})
	}
	next.Tokens--
	next.Running++
	next.Reserved += estimateUSD
	next.Jobs++
	next.UpdatedAt = now
	*s = next
	return nil
}

// Settle ends a job's hold on the owner's limits: it stops counting as
// running and its reservation becomes what it really cost.
func (p Policy) Settle(s *State, now time.Time, r Release) {
	p.refill(s, now)
	s.Apply(r)
	s.UpdatedAt = now
}

// Remaining is what the owner has left now.
type Remaining struct {
	Tokens     int
	Reset      time.Duration
	BudgetUSD  float64
	RunningCap int
}

// Remaining computes what an owner has left at now (without changing s).
func (p Policy) Remaining(s State, now time.Time) Remaining {
	p.refill(&s, now)
	r := Remaining{Tokens: int(math.Floor(s.Tokens)), RunningCap: p.MaxRunning}
	if p.Rate > 0 {
		r.Reset = time.Duration((float64(p.Burst) - s.Tokens) / p.Rate * float64(time.Second))
	}
	if p.DailyBudgetUSD > 0 {
		r.BudgetUSD = math.Max(0, p.DailyBudgetUSD-s.Spent-s.Reserved)
	}
	return r
}

// Limiter is a per-instance token bucket per owner, the first wall: it
// refuses what would surely be refused by the shared bucket, without a
// transaction.
type Limiter struct {
	policy Policy

	mu      sync.Mutex
	buckets map[string]*entry
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a per-instance limiter with the policy's rate and
// burst.
func NewLimiter(p Policy) *Limiter {
	return &Limiter{policy: p, buckets: map[string]*entry{}}
}

// maxOwners bounds the buckets kept in memory.
const maxOwners = 10_000

func (l *Limiter) bucket(owner string, now time.Time) *rate.Limiter {
	return l.entry(owner, now).lim
}

func (l *Limiter) entry(owner string, now time.Time) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.buckets[owner]
	if !ok {
		if len(l.buckets) >= maxOwners {
			for k, v := range l.buckets { // forget buckets idle long enough to be full again
				if now.Sub(v.seen) > time.Duration(float64(l.policy.Burst)/l.policy.Rate*float64(time.Second)) {
					delete(l.buckets, k)
				}
			}
		}
		e = &entry{lim: rate.NewLimiter(rate.Limit(l.policy.Rate), l.policy.Burst)}
		l.buckets[owner] = e
	}
	e.seen = now
	return e
}

// Allow takes a token for the owner, or says how long until one is free.
func (l *Limiter) Allow(owner string, now time.Time) (bool, time.Duration) {
	if l == nil || !l.policy.Enabled() {
		return true, 0
	}
	r := l.bucket(owner, now).ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Policy returns the limiter's policy (none for a nil limiter).
func (l *Limiter) Policy() Policy {
	if l == nil {
		return Policy{}
	}
	return l.policy
}
