package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// paidExec stands for a step that makes one paid model call per interval
// until it has made calls of them (or its context ends), then stores a
// file. paid counts the calls that were made.
type paidExec struct {
	interval time.Duration
	calls    int
	paid     atomic.Int32
	runs     atomic.Int32
}

func (e *paidExec) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	e.runs.Add(1)
	out := &pipeline.Output{PromptVersion: "test.v1"}
	for range e.calls {
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(e.interval):
		}
		e.paid.Add(1)
		out.Calls = append(out.Calls, ai.Call{Backend: "fake", Model: "m", OutputTokens: 10, CostUSD: 0.01})
	}
	out.Files = []pipeline.File{{Name: "x.txt", ContentType: "text/plain", Data: []byte("x")}}
	return out, nil
}

// hookedStore fails or holds transactions on demand: failNext fails the
// next n, and a non-nil gate makes the next one wait for it to close.
type hookedStore struct {
	pipeline.Store
	mu       sync.Mutex
	failNext int
	failAll  bool
	gate     chan struct{}
}

var errStoreDown = errors.New("store unavailable")

func (s *hookedStore) Transact(ctx context.Context, jobID string, fn func(context.Context, pipeline.Tx) error) error {
	s.mu.Lock()
	gate, fail := s.gate, s.failAll || s.failNext > 0
	s.gate = nil
	if s.failNext > 0 {
		s.failNext--
	}
	s.mu.Unlock()
	if fail {
		return errStoreDown
	}
	if gate != nil {
		<-gate
	}
	return s.Store.Transact(ctx, jobID, fn)
}

func (s *hookedStore) set(f func(*hookedStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// recordHook calls onRecord when a step's result record is stored: the
// moment between storing a result and ending the step.
type recordHook struct {
	pipeline.Blobs
	onRecord func()
}

func (b recordHook) Create(ctx context.Context, path string, data []byte, contentType string) (pipeline.Object, error) {
	o, err := b.Blobs.Create(ctx, path, data, contentType)
	if err == nil && strings.HasSuffix(path, "/"+pipeline.ResultRecord) && b.onRecord != nil {
		b.onRecord()
	}
	return o, err
}

// logBuffer collects a runner's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// messages counts the log lines by message.
func (l *logBuffer) messages() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var v struct {
			Message string `json:"message"`
		}
		if json.Unmarshal([]byte(line), &v) == nil {
			out[v.Message]++
		}
	}
	return out
}

func logged(ctx context.Context) (context.Context, *logBuffer) {
	lb := &logBuffer{}
	return logging.Into(ctx, logging.New(lb, slog.LevelDebug, "test")), lb
}

func stepOf(t *testing.T, st pipeline.Store, jobID string) *pipeline.Step {
	t.Helper()
	steps, err := st.Steps(context.Background(), jobID)
	require.NoError(t, err)
	return steps[0]
}

// A live step renews its lease while it works, so a slow run keeps its
// claim far beyond one lease, and no other delivery can take it.
func TestALiveStepKeepsItsLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		exec := &paidExec{interval: time.Minute, calls: 10}
		r := pipeline.NewRunner(p, exec, pipeline.RunnerConfig{Lease: time.Minute, Timeout: time.Hour})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]

		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background(), env) }()
		for range 9 {
			time.Sleep(time.Minute)
			synctest.Wait()
			assert.ErrorIs(t, r.Run(context.Background(), env), pipeline.ErrBusy, "the lease was renewed")
			s := stepOf(t, st, job.ID)
			assert.True(t, s.LeaseUntil.After(time.Now()), "lease %s is ahead of %s", s.LeaseUntil, time.Now())
		}
		require.NoError(t, <-done)
		s := stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepSucceeded, s.Status)
		assert.Equal(t, 1, s.Attempt, "never reclaimed")
		assert.Equal(t, int32(10), exec.paid.Load())
	})
}

// A run whose claim was taken over stops at its next renewal, before its
// next paid call, and its delivery is acknowledged: the step is the other
// attempt's.
func TestALostClaimStopsTheRunBeforeItsNextCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		exec := &paidExec{interval: 15 * time.Second, calls: 10}
		r := pipeline.NewRunner(p, exec, pipeline.RunnerConfig{Lease: time.Minute, Timeout: time.Hour})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]
		ctx, logs := logged(context.Background())

		done := make(chan error, 1)
		go func() { done <- r.Run(ctx, env) }()
		time.Sleep(30 * time.Second) // renewed at 20s; two calls made
		synctest.Wait()
		// Another worker takes the step over, as one would after a lease
		// that ran out.
		require.NoError(t, st.Transact(context.Background(), job.ID, func(_ context.Context, tx pipeline.Tx) error {
			steps, err := tx.Steps(content.FormatOutline)
			if err != nil {
				return err
			}
			s := steps[content.FormatOutline]
			s.Attempt, s.LeaseOwner, s.LeaseUntil = 2, "other", time.Now().Add(time.Minute)
			tx.SaveStep(s)
			return nil
		}))
		start := time.Now()
		require.NoError(t, <-done, "acknowledged: the later attempt owns the step")
		assert.Equal(t, 10*time.Second, time.Since(start), "stopped at the next renewal (40s)")
		assert.Equal(t, int32(2), exec.paid.Load(), "no call after the claim was lost (the next was due at 45s)")
		s := stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepRunning, s.Status, "the other attempt's step is left alone")
		assert.Equal(t, 2, s.Attempt)
		assert.Equal(t, "other", s.LeaseOwner)
		assert.Equal(t, 1, logs.messages()["step stopped: its claim was lost"])
		assert.Zero(t, logs.messages()["step succeeded"])
	})
}

// When the store does not answer, the lease cannot be renewed: the run
// stops the moment its lease ends (another worker may claim the step from
// then on) and asks for redelivery.
func TestALeaseThatCannotBeRenewedStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		hs := &hookedStore{Store: st}
		p.Store = hs
		exec := &paidExec{interval: 25 * time.Second, calls: 10}
		r := pipeline.NewRunner(p, exec, pipeline.RunnerConfig{Lease: time.Minute, Timeout: time.Hour})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]

		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- r.Run(context.Background(), env) }()
		synctest.Wait()
		hs.set(func(h *hookedStore) { h.failAll = true })
		err := <-done
		assert.ErrorIs(t, err, pipeline.ErrLeaseExpired)
		assert.Equal(t, time.Minute, time.Since(start), "stopped when the lease ended")
		assert.Equal(t, int32(2), exec.paid.Load(), "calls at 25 and 50s; none after the lease ended")

		hs.set(func(h *hookedStore) { h.failAll = false })
		s := stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepRunning, s.Status)
		assert.Equal(t, 1, s.Attempt)
	})
}

// A run that stored its result but could not end the step leaves it to
// the next attempt, which ends the step from the stored result with no
// model call, and records the calls that were paid for once.
func TestAStoredResultIsNotPaidForAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		hs := &hookedStore{Store: st}
		p.Store = hs
		p.Blobs = recordHook{Blobs: p.Blobs, onRecord: func() { hs.set(func(h *hookedStore) { h.failNext = 1 }) }}
		exec := &paidExec{interval: time.Second, calls: 2}
		r := pipeline.NewRunner(p, exec, pipeline.RunnerConfig{Lease: time.Minute, Timeout: time.Hour})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]
		ctx, logs := logged(context.Background())

		err := r.Run(ctx, env)
		require.ErrorIs(t, err, errStoreDown, "the ending transaction failed: deliver again")
		s := stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepQueued, s.Status, "put back for the next delivery")
		assert.Zero(t, s.Usage.Calls, "the calls belong to the stored result, not yet to the step")
		assert.Zero(t, logs.messages()["step succeeded"], "not said before it is true")

		require.NoError(t, r.Run(ctx, env))
		s = stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepSucceeded, s.Status)
		assert.Equal(t, 2, s.Attempt)
		assert.Equal(t, int32(1), exec.runs.Load(), "the second attempt did not run the step")
		assert.Equal(t, int32(2), exec.paid.Load(), "no model call after the result was stored")
		assert.Equal(t, int64(2), s.Usage.Calls, "the first attempt's calls, counted once")
		assert.Equal(t, "test.v1", s.PromptVersion)
		require.Len(t, s.Artifacts, 1)
		assert.Equal(t, "x.txt", s.Artifacts[0].Name)
		assert.Equal(t, 1, logs.messages()["step resumed from the result a previous attempt stored"])
		assert.Equal(t, 1, logs.messages()["step succeeded"])
	})
}

// Two attempts that both hold a stored result race to end the step: the
// one that holds the claim ends it, the other's result is dropped, and
// the log says so for each.
func TestRacingFinishesApplyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		hs := &hookedStore{Store: st}
		p.Store = hs
		gate := make(chan struct{})
		p.Blobs = recordHook{Blobs: p.Blobs, onRecord: func() { hs.set(func(h *hookedStore) { h.gate = gate }) }}
		exec := &paidExec{interval: time.Second, calls: 1}
		r := pipeline.NewRunner(p, exec, pipeline.RunnerConfig{Lease: time.Minute, Timeout: time.Hour, EndTimeout: time.Hour})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]
		ctx, logs := logged(context.Background())

		first := make(chan error, 1)
		go func() { first <- r.Run(ctx, env) }()
		synctest.Wait() // the first attempt holds its result; its ending transaction waits

		time.Sleep(time.Minute) // its lease ran out meanwhile
		require.NoError(t, r.Run(ctx, env), "the second attempt claims the step and ends it from the stored result")
		close(gate)
		require.NoError(t, <-first)

		s := stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepSucceeded, s.Status)
		assert.Equal(t, 2, s.Attempt)
		assert.Equal(t, int64(1), s.Usage.Calls, "one call paid, counted once")
		assert.Equal(t, int32(1), exec.paid.Load())
		msgs := logs.messages()
		assert.Equal(t, 1, msgs["step succeeded"], "one finish applied")
		assert.Equal(t, 1, msgs["step result dropped: a later attempt owns the step, or it ended without this run"], "the other dropped")
		assert.Len(t, pub.Take(), 1, "the step made from it is published once")
	})
}
