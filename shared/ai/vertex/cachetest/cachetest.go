// Package cachetest holds the conformance suite of vertex.CacheIndex, the
// port through which the steps of a job find the job's context cache. It
// is test support: the tests of every index implementation run
// IndexConformance, so that all of them behave alike; no deployed code
// imports it.
package cachetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/vertex"
)

// Harness gives the suite an index and the caches it records.
type Harness interface {
	// Index returns the index under test.
	Index() vertex.CacheIndex
	// Make creates a context cache for a job that expires after ttl, as
	// a step does before it records one, and returns its entry.
	Make(ctx context.Context, jobID string, ttl time.Duration) (vertex.CacheEntry, error)
	// Drop deletes the cache an entry names, as the backend does before
	// it has the index forget a job.
	Drop(ctx context.Context, e vertex.CacheEntry) error
}

// Lifetimes of the caches the suite makes: one the index must keep, one
// too close to its expiry to be used (see vertex.CacheEntry.Live).
const (
	liveTTL     = time.Hour
	expiringTTL = time.Minute
)

// racers is how many steps race to record a job's cache.
const racers = 8

// IndexConformance checks a CacheIndex: Get finds nothing for an unknown
// job and the recorded entry otherwise; PutIfAbsent records an entry when
// the job has no live one and otherwise keeps (and returns) the live one,
// also when racing steps each try to record their own, where exactly one
// wins for all; Delete, after the cache is dropped, leaves nothing to
// find, and deleting what is not there is no error; jobs do not see each
// other's entries. newHarness is called once per subtest, each with state
// of its own.
func IndexConformance(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("get_unknown_job", func(t *testing.T) {
		_, ok, err := newHarness(t).Index().Get(t.Context(), "job-none")
		require.NoError(t, err)
		assert.False(t, ok, "an unknown job has no entry")
	})
	t.Run("put_then_get", func(t *testing.T) {
		h := newHarness(t)
		e := mustMake(t, h, "job-a", liveTTL)
		requireSame(t, e, mustPut(t, h.Index(), "job-a", e), "the first entry of a job wins")
		requireSame(t, e, mustGet(t, h.Index(), "job-a"), "Get finds the recorded entry")
		assert.True(t, mustGet(t, h.Index(), "job-a").Live(time.Now()))
	})
	for _, tc := range []struct {
		name     string
		firstTTL time.Duration
		firstWin bool
		why      string
	}{
		{"a_live_entry_stays", liveTTL, true, "PutIfAbsent returns the live entry already there"},
		{"an_expiring_entry_is_replaced", expiringTTL, false, "an entry too close to its expiry does not block a new one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			first := mustMake(t, h, "job-a", tc.firstTTL)
			require.Equal(t, tc.firstWin, first.Live(time.Now()), "the first cache's lifetime")
			mustPut(t, h.Index(), "job-a", first)
			second := mustMake(t, h, "job-a", liveTTL)
			want := second
			if tc.firstWin {
				want = first
			}
			requireSame(t, want, mustPut(t, h.Index(), "job-a", second), tc.why)
			requireSame(t, want, mustGet(t, h.Index(), "job-a"), "Get finds what PutIfAbsent returned")
		})
	}
	t.Run("jobs_are_separate", func(t *testing.T) {
		h := newHarness(t)
		a, b := mustMake(t, h, "job-a", liveTTL), mustMake(t, h, "job-b", liveTTL)
		mustPut(t, h.Index(), "job-a", a)
		requireSame(t, b, mustPut(t, h.Index(), "job-b", b), "another job's entry does not block this one")
		requireSame(t, a, mustGet(t, h.Index(), "job-a"))
		requireSame(t, b, mustGet(t, h.Index(), "job-b"))
		require.NoError(t, h.Drop(t.Context(), a))
		require.NoError(t, h.Index().Delete(t.Context(), "job-a"))
		requireSame(t, b, mustGet(t, h.Index(), "job-b"), "deleting one job leaves the other")
	})
	t.Run("delete", func(t *testing.T) {
		h := newHarness(t)
		e := mustMake(t, h, "job-a", liveTTL)
		mustPut(t, h.Index(), "job-a", e)
		require.NoError(t, h.Drop(t.Context(), e))
		require.NoError(t, h.Index().Delete(t.Context(), "job-a"))
		_, ok, err := h.Index().Get(t.Context(), "job-a")
		require.NoError(t, err)
		assert.False(t, ok, "a deleted job has no entry")
		assert.NoError(t, h.Index().Delete(t.Context(), "job-a"), "deleting twice")
		assert.NoError(t, h.Index().Delete(t.Context(), "job-none"), "deleting an unknown job")
	})
	t.Run("racing_steps_agree_on_one_winner", func(t *testing.T) {
		h := newHarness(t)
		made := make([]vertex.CacheEntry, racers)
		won := make([]vertex.CacheEntry, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				e, err := h.Make(t.Context(), "job-race", liveTTL)
				if err != nil {
					errs[i] = fmt.Errorf("make: %w", err)
					return
				}
				made[i] = e
				won[i], errs[i] = h.Index().PutIfAbsent(t.Context(), "job-race", e)
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		for i := range won {
			requireSame(t, won[0], won[i], "step %d was told another winner", i)
		}
		mine := 0
		for _, e := range made {
			if e.Name == won[0].Name {
				mine++
			}
		}
		assert.Equal(t, 1, mine, "the winner is one of the racing steps' entries")
		requireSame(t, won[0], mustGet(t, h.Index(), "job-race"), "Get finds the winner")
	})
}

func mustMake(t *testing.T, h Harness, jobID string, ttl time.Duration) vertex.CacheEntry {
	t.Helper()
	e, err := h.Make(t.Context(), jobID, ttl)
	require.NoError(t, err, "make a cache for %s", jobID)
	return e
}

func mustPut(t *testing.T, x vertex.CacheIndex, jobID string, e vertex.CacheEntry) vertex.CacheEntry {
	t.Helper()
	won, err := x.PutIfAbsent(t.Context(), jobID, e)
	require.NoError(t, err, "record the cache of %s", jobID)
	return won
}

func mustGet(t *testing.T, x vertex.CacheIndex, jobID string) vertex.CacheEntry {
	t.Helper()
	e, ok, err := x.Get(t.Context(), jobID)
	require.NoError(t, err, "look up the cache of %s", jobID)
	require.True(t, ok, "%s has no entry", jobID)
	return e
}

// requireSame requires two entries to name the same cache, for the same
// model, expiring at the same instant (whatever its time zone).
func requireSame(t *testing.T, want, got vertex.CacheEntry, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, want.Name, got.Name, msgAndArgs...)
	require.Equal(t, want.Model, got.Model, msgAndArgs...)
	require.True(t, want.ExpireTime.Equal(got.ExpireTime), "expiry %v, want %v", got.ExpireTime, want.ExpireTime)
}
