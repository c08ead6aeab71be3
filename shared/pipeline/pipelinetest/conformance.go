package pipelinetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

// The conformance suites below are run against every implementation of a
// pipeline port (the cloud adapter on its emulator and the in-memory one
// here), so that what unit tests learn from the in-memory ports holds for
// the real ones.

var seq atomic.Int64

// newJob returns a job of a fresh id (and its request and planned steps)
// for an owner.
func newJob(owner string, formats ...content.Format) (*pipeline.Job, *content.Request, []*pipeline.Step) {
	req := content.Request{Topic: "Conformance", SourceText: "Tides rise and fall.", Formats: formats}
	req.ApplyDefaults()
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := fmt.Sprintf("conformance%012d%s", seq.Add(1), pipeline.NewID()[:8])
	job := &pipeline.Job{
		ID: id, Owner: owner, Topic: req.Topic, Formats: req.Formats, Status: pipeline.JobQueued, Origin: "api",
		Region: "local", Fingerprint: req.Fingerprint(), CreatedAt: now, UpdatedAt: now,
		Deadline: now.Add(time.Hour), ExpireAt: now.Add(24 * time.Hour), EstimateUSD: 1,
		InjectionScore: 0.25, InjectionSignals: []string{"override:topic"},
	}
	return job, &req, pipeline.Plan(id, req.Formats, now)
}

func create(t *testing.T, st pipeline.Store, job *pipeline.Job, req *content.Request, steps []*pipeline.Step) {
	t.Helper()
	require.NoError(t, st.Transact(context.Background(), job.ID, func(_ context.Context, tx pipeline.Tx) error {
		tx.CreateJob(job, req, steps)
		return nil
	}))
}

// readsBack checks that a created job and its request read back as they
// were written, and returns its steps as read (as many as were created).
func readsBack(t *testing.T, st pipeline.Store, job *pipeline.Job, req *content.Request, steps []*pipeline.Step) []*pipeline.Step {
	t.Helper()
	ctx := context.Background()
	got, err := st.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, job, got)
	gotReq, err := st.Request(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, req, gotReq)
	all, err := st.Steps(ctx, job.ID)
	require.NoError(t, err)
	require.Len(t, all, len(steps))
	return all
}

func stepMap(t *testing.T, st pipeline.Store, jobID string) map[content.Format]*pipeline.Step {
	t.Helper()
	steps, err := st.Steps(context.Background(), jobID)
	require.NoError(t, err)
	out := map[content.Format]*pipeline.Step{}
	for _, s := range steps {
		out[s.Name] = s
	}
	return out
}

// StoreConformance checks a pipeline.Store: what is created reads back as
// it was written; a job is created once; transactions apply whole or not
// at all, read the state before them, and serialize concurrent updates;
// ledgers are kept per owner; erasure removes a job; and the job rules
// (admission and settlement against a daily budget) hold over it. open
// returns a store over fresh state for each call.
func StoreConformance(t *testing.T, open func(t *testing.T) pipeline.Store) {
	ctx := context.Background()

	t.Run("created job reads back", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs, content.FormatAudio)
		create(t, st, job, req, steps)
		all := readsBack(t, st, job, req, steps)
		for i, s := range all {
			assert.Equal(t, job.Formats[i], s.Name, "steps come in generation order")
			assert.Equal(t, job.ID, s.JobID)
		}
		assert.Equal(t, steps[0].Requires, all[0].Requires)
	})

	t.Run("missing things are ErrNotFound", func(t *testing.T) {
		st := open(t)
		_, err := st.Job(ctx, "nosuchjob000")
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		_, err = st.Request(ctx, "nosuchjob000")
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		steps, err := st.Steps(ctx, "nosuchjob000")
		require.NoError(t, err)
		assert.Empty(t, steps)
		err = st.Transact(ctx, "nosuchjob000", func(_ context.Context, tx pipeline.Tx) error {
			_, err := tx.Job()
			assert.ErrorIs(t, err, pipeline.ErrNotFound)
			got, err := tx.Steps(content.FormatOutline)
			assert.NoError(t, err)
			assert.Empty(t, got)
			return nil
		})
		require.NoError(t, err)
	})

	t.Run("a job is created once", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		other := *job
		other.Topic = "Another"
		err := st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			tx.CreateJob(&other, req, steps)
			return nil
		})
		assert.ErrorIs(t, err, pipeline.ErrExists)
		got, err := st.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, "Conformance", got.Topic, "the first creation is kept")
	})

	t.Run("a creation without a transaction reads back and is made once", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs, content.FormatAudio)
		require.NoError(t, st.Create(ctx, job, req, steps))
		readsBack(t, st, job, req, steps)

		other := *job
		other.Topic = "Another"
		assert.ErrorIs(t, st.Create(ctx, &other, req, steps), pipeline.ErrExists)
		got, err := st.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, "Conformance", got.Topic, "the first creation is kept")
	})

	t.Run("a failed transaction changes nothing", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		boom := errors.New("boom")
		err := st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			j, err := tx.Job()
			if err != nil {
				return err
			}
			j.Status = pipeline.JobRunning
			tx.SaveJob(j)
			tx.SaveLedger("owner-a", ratelimit.State{Running: 7}, nil)
			return boom
		})
		assert.ErrorIs(t, err, boom)
		got, err := st.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, pipeline.JobQueued, got.Status)
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			l, err := tx.Ledger("owner-a")
			assert.Zero(t, l.Running)
			return err
		}))
	})

	t.Run("jobs and a ledger are read together", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-jl", content.FormatFAQs)
		other, _, _ := newJob("owner-jl", content.FormatFAQs)
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			exist, l, err := tx.JobsAndLedger("owner-jl", job.ID, other.ID)
			assert.Equal(t, map[string]bool{job.ID: false, other.ID: false}, exist, "no job yet")
			assert.Zero(t, l, "no ledger yet")
			return err
		}))
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			tx.CreateJob(job, req, steps)
			tx.SaveLedger("owner-jl", ratelimit.State{Running: 3, Jobs: 4}, nil)
			return nil
		}))
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			exist, l, err := tx.JobsAndLedger("owner-jl", other.ID, job.ID, job.ID)
			assert.Equal(t, map[string]bool{job.ID: true, other.ID: false}, exist)
			assert.Equal(t, 3, l.Running)
			assert.Equal(t, 4, l.Jobs)
			return err
		}))
	})

	t.Run("reads see the state before the transaction", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			got, err := tx.Steps(content.FormatOutline, content.FormatFAQs, content.FormatImage)
			if err != nil {
				return err
			}
			assert.Len(t, got, 2, "a step the job does not have is absent")
			s := got[content.FormatOutline]
			s.Status, s.Attempt = pipeline.StepRunning, 1
			s.Artifacts = []pipeline.Artifact{{Name: "outline.json", Path: "jobs/x/outline/outline.json", ContentType: "application/json", Size: 3, Generation: 9, MD5: "abc"}}
			s.Usage = ai.Usage{Calls: 1, CostUSD: 0.5}
			tx.SaveStep(s)
			again, err := tx.Steps(content.FormatOutline)
			if err != nil {
				return err
			}
			assert.Equal(t, pipeline.StepPending, again[content.FormatOutline].Status,
				"the write is not visible before the commit: the outline still waits for the sources")
			return nil
		}))
		s := stepMap(t, st, job.ID)[content.FormatOutline]
		assert.Equal(t, pipeline.StepRunning, s.Status)
		assert.Equal(t, 1, s.Attempt)
		require.Len(t, s.Artifacts, 1)
		assert.Equal(t, "jobs/x/outline/outline.json", s.Artifacts[0].Path)
		assert.Equal(t, int64(9), s.Artifacts[0].Generation)
		assert.Equal(t, 0.5, s.Usage.CostUSD)
	})

	t.Run("concurrent updates serialize", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
					got, err := tx.Steps(content.FormatOutline)
					if err != nil {
						return err
					}
					s := got[content.FormatOutline]
					s.Attempt++
					tx.SaveStep(s)
					l, err := tx.Ledger("owner-a")
					if err != nil {
						return err
					}
					l.Jobs++
					tx.SaveLedger("owner-a", l, nil)
					return nil
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		assert.Equal(t, n, stepMap(t, st, job.ID)[content.FormatOutline].Attempt, "no update was lost")
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			l, err := tx.Ledger("owner-a")
			assert.Equal(t, n, l.Jobs)
			return err
		}))
	})

	t.Run("ledgers are per owner", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		day := time.Now().UTC().Truncate(time.Microsecond)
		want := ratelimit.State{Tokens: 2.5, Refilled: day, Running: 3, Day: day.Format(time.DateOnly), Reserved: 1.25, Spent: 4.5, Jobs: 6, UpdatedAt: day}
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			l, err := tx.Ledger("owner-ledger")
			assert.Zero(t, l, "a new owner's ledger is empty")
			tx.SaveLedger("owner-ledger", want, nil)
			return err
		}))
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			l, err := tx.Ledger("owner-ledger")
			assert.Equal(t, want, l)
			other, err2 := tx.Ledger("owner-other")
			assert.Zero(t, other)
			return errors.Join(err, err2)
		}))
	})

	t.Run("settlements wait apart until a ledger folds them", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		ended := time.Now().UTC().Truncate(time.Microsecond)
		settle := func(owner, id string, spent float64, at time.Time) {
			require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
				tx.Settle(pipeline.Settlement{ID: id, Owner: owner, Release: ratelimit.Release{EstimateUSD: 1, SpentUSD: spent, EndedAt: at}})
				return nil
			}))
		}
		settle("owner-s", "j2:1", 0.2, ended.Add(time.Second))
		settle("owner-s", "j1:1", 0.1, ended)
		settle("owner-s", "j1:1", 0.1, ended) // the same run settled again is one settlement
		settle("owner-t", "j3:1", 0.3, ended)
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			got, err := tx.Settlements("owner-s")
			require.NoError(t, err)
			require.Len(t, got, 2, "per owner, one per run")
			assert.Equal(t, pipeline.Settlement{ID: "j1:1", Owner: "owner-s", Release: ratelimit.Release{EstimateUSD: 1, SpentUSD: 0.1, EndedAt: ended}}, got[0], "oldest first")
			assert.Equal(t, "j2:1", got[1].ID)
			tx.SaveLedger("owner-s", ratelimit.State{Jobs: 1}, []string{got[0].ID})
			return nil
		}))
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			got, err := tx.Settlements("owner-s")
			require.NoError(t, err)
			require.Len(t, got, 1, "what the ledger folded is gone")
			assert.Equal(t, "j2:1", got[0].ID)
			other, err := tx.Settlements("owner-t")
			require.NoError(t, err)
			assert.Len(t, other, 1, "another owner's stay")
			return nil
		}))
	})

	t.Run("a step queues only from the state it was read at", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs, content.FormatFlashcards)
		create(t, st, job, req, steps)
		queue := func(s *pipeline.Step) *pipeline.Step {
			q := *s
			q.Status, q.QueuedAt, q.UpdatedAt = pipeline.StepQueued, s.UpdatedAt.Add(time.Second), s.UpdatedAt.Add(time.Second)
			return &q
		}
		read := stepMap(t, st, job.ID)
		faqs := read[content.FormatFAQs]
		require.NotEmpty(t, faqs.Revision, "a step read from the store carries its revision")

		var wg sync.WaitGroup
		var wrote atomic.Int32
		for range 5 { // promoters that all read the same state
			wg.Go(func() {
				ok, err := st.QueueStep(ctx, job.ID, queue(faqs))
				assert.NoError(t, err)
				if ok {
					wrote.Add(1)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 1, wrote.Load(), "one write applies; the others find the step changed")
		after := stepMap(t, st, job.ID)[content.FormatFAQs]
		assert.Equal(t, pipeline.StepQueued, after.Status)
		assert.True(t, after.QueuedAt.Equal(faqs.UpdatedAt.Add(time.Second)))
		assert.Equal(t, faqs.Attempt, after.Attempt, "fields other than the queueing are kept")
		assert.NotEqual(t, faqs.Revision, after.Revision)

		// A change made in a transaction after the read wins.
		cards := read[content.FormatFlashcards]
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			got, err := tx.Steps(content.FormatFlashcards)
			if err != nil {
				return err
			}
			s := got[content.FormatFlashcards]
			s.Status = pipeline.StepSkipped
			tx.SaveStep(s)
			return nil
		}))
		ok, err := st.QueueStep(ctx, job.ID, queue(cards))
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, pipeline.StepSkipped, stepMap(t, st, job.ID)[content.FormatFlashcards].Status)

		// An erased job's step is gone.
		gone := stepMap(t, st, job.ID)[content.FormatFlashcards]
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			tx.EraseJob(job, job.Formats)
			return nil
		}))
		ok, err = st.QueueStep(ctx, job.ID, queue(gone))
		require.NoError(t, err)
		assert.False(t, ok)
		left, err := st.Steps(ctx, job.ID)
		require.NoError(t, err)
		assert.Empty(t, left, "nothing written back after the erasure")
	})

	t.Run("erasure removes the job", func(t *testing.T) {
		st := open(t)
		job, req, steps := newJob("owner-a", content.FormatFAQs)
		create(t, st, job, req, steps)
		keep, kreq, ksteps := newJob("owner-a", content.FormatFAQs)
		create(t, st, keep, kreq, ksteps)
		require.NoError(t, st.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
			j, err := tx.Job()
			if err != nil {
				return err
			}
			tx.EraseJob(j, j.Formats)
			return nil
		}))
		_, err := st.Job(ctx, job.ID)
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		_, err = st.Request(ctx, job.ID)
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		left, err := st.Steps(ctx, job.ID)
		require.NoError(t, err)
		assert.Empty(t, left)
		_, err = st.Job(ctx, keep.ID)
		assert.NoError(t, err, "other jobs are untouched")
	})

	t.Run("the result cache finds the newest succeeded job", func(t *testing.T) {
		st := open(t)
		res, ok := st.(pipeline.Results)
		if !ok {
			t.Skip("this store keeps no result cache")
		}
		owner := "owner-cache-" + pipeline.NewID()[:6]
		key := "key-" + pipeline.NewID()[:6]
		since := time.Now().UTC().Add(-time.Minute)
		_, err := res.Cached(ctx, owner, key, since)
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		var newest string
		for i, status := range []pipeline.JobStatus{pipeline.JobSucceeded, pipeline.JobSucceeded, pipeline.JobFailed} {
			job, req, steps := newJob(owner, content.FormatFAQs)
			job.CacheKey, job.Status = key, status
			job.CreatedAt = job.CreatedAt.Add(time.Duration(i) * time.Millisecond)
			create(t, st, job, req, steps)
			if status == pipeline.JobSucceeded {
				newest = job.ID
			}
		}
		other, req, steps := newJob(owner+"-other", content.FormatFAQs)
		other.CacheKey, other.Status = key, pipeline.JobSucceeded
		create(t, st, other, req, steps)
		got, err := res.Cached(ctx, owner, key, since)
		require.NoError(t, err)
		assert.Equal(t, newest, got.ID, "the newest that succeeded, of this owner")
		_, err = res.Cached(ctx, owner, key, time.Now().UTC().Add(time.Minute))
		assert.ErrorIs(t, err, pipeline.ErrNotFound, "none after since")
		_, err = res.Cached(ctx, owner, "another-key", since)
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
	})

	t.Run("budgets admit and settle", func(t *testing.T) {
		st := open(t)
		pub := &Publisher{}
		owner := "owner-budget-" + pipeline.NewID()[:6]
		jobs := pipeline.NewJobs(pipeline.Ports{Store: st, Blobs: NewBlobs(), Publisher: pub}, pipeline.JobsConfig{
			Limits:   ratelimit.Policy{Rate: 1000, Burst: 1000, DailyBudgetUSD: 2.5},
			Estimate: func(*content.Request) float64 { return 1 },
		})
		req := content.Request{Topic: "Budgets", Formats: []content.Format{content.FormatFAQs}}
		req.ApplyDefaults()
		first, err := jobs.Submit(ctx, owner, req, "api")
		require.NoError(t, err)
		_, err = jobs.Submit(ctx, owner, req, "api")
		require.NoError(t, err)
		_, err = jobs.Submit(ctx, owner, req, "api")
		var ex *ratelimit.Exceeded
		require.ErrorAs(t, err, &ex, "a third $1 job is over the $2.50 budget")
		assert.Equal(t, "budget_exceeded", ex.Code)

		// Cancelling settles the job at what it spent (nothing): its
		// reservation is free again.
		_, err = jobs.Cancel(ctx, first.ID)
		require.NoError(t, err)
		_, err = jobs.Submit(ctx, owner, req, "api")
		require.NoError(t, err, "the cancelled job's reservation was released")

		// Another owner has a budget of their own.
		_, err = jobs.Submit(ctx, owner+"-other", req, "api")
		require.NoError(t, err)

		// Repeating a submission finds its job before any limit.
		again, created, err := jobs.SubmitOnce(ctx, first.ID, owner, req, "api")
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first.ID, again.ID)
	})
}

// BlobsConformance checks a pipeline.Blobs: an object is written once and
// reads back byte for byte with its size, type, generation and MD5; a
// second write keeps the first; missing objects are ErrNotFound; deletion
// by prefix deletes exactly that prefix; and of concurrent writes to one
// path exactly one creates it. An object written through a writer
// (CreateFrom) reads back as written, in pieces larger than one upload
// chunk, and is not there at all when its writing fails; one that exists
// is kept without writing. open returns an empty store for each call.
func BlobsConformance(t *testing.T, open func(t *testing.T) pipeline.Blobs) {
	ctx := context.Background()
	md5of := func(b []byte) string {
		sum := md5.Sum(b)
		return base64.StdEncoding.EncodeToString(sum[:])
	}

	t.Run("write once, read back", func(t *testing.T) {
		b := open(t)
		data := []byte(`{"title": "Tides"}`)
		o, err := b.Create(ctx, "jobs/a/outline/outline.json", data, "application/json")
		require.NoError(t, err)
		assert.True(t, o.Created)
		assert.Equal(t, "jobs/a/outline/outline.json", o.Path)
		assert.Equal(t, int64(len(data)), o.Size)
		assert.Equal(t, "application/json", o.ContentType)
		assert.Positive(t, o.Generation)
		assert.Equal(t, md5of(data), o.MD5)
		got, err := b.Read(ctx, "jobs/a/outline/outline.json")
		require.NoError(t, err)
		assert.Equal(t, data, got)
		st, err := b.Stat(ctx, "jobs/a/outline/outline.json")
		require.NoError(t, err)
		assert.False(t, st.Created)
		assert.Equal(t, o.Generation, st.Generation)
		assert.Equal(t, o.MD5, st.MD5)
		assert.Equal(t, o.Size, st.Size)

		again, err := b.Create(ctx, "jobs/a/outline/outline.json", []byte("something else"), "text/plain")
		require.NoError(t, err)
		assert.False(t, again.Created, "the second write finds the first")
		assert.Equal(t, o.Generation, again.Generation)
		assert.Equal(t, o.MD5, again.MD5)
		got, err = b.Read(ctx, "jobs/a/outline/outline.json")
		require.NoError(t, err)
		assert.Equal(t, data, got, "the first copy is kept")
	})

	t.Run("written through a writer", func(t *testing.T) {
		b := open(t)
		piece := bytes.Repeat([]byte("frame of audio "), 40_000) // 600 kB
		write := func(_ context.Context, w io.Writer) error {
			for range 5 {
				if _, err := w.Write(piece); err != nil {
					return err
				}
			}
			return nil
		}
		want := bytes.Repeat(piece, 5)
		o, err := b.CreateFrom(ctx, "jobs/s/audio/podcast.mp3", "audio/mpeg", write)
		require.NoError(t, err)
		assert.True(t, o.Created)
		assert.Equal(t, int64(len(want)), o.Size)
		assert.Equal(t, "audio/mpeg", o.ContentType)
		assert.Equal(t, md5of(want), o.MD5)
		got, err := b.Read(ctx, "jobs/s/audio/podcast.mp3")
		require.NoError(t, err)
		assert.Equal(t, want, got)

		called := false
		again, err := b.CreateFrom(ctx, "jobs/s/audio/podcast.mp3", "audio/mpeg", func(context.Context, io.Writer) error {
			called = true
			return nil
		})
		require.NoError(t, err)
		assert.False(t, called, "an object that exists is not written again")
		assert.False(t, again.Created)
		assert.Equal(t, o.Generation, again.Generation)
	})

	t.Run("a failed writer stores nothing", func(t *testing.T) {
		b := open(t)
		broken := errors.New("the third piece failed")
		piece := bytes.Repeat([]byte("half a podcast "), 100_000) // 1.5 MB
		_, err := b.CreateFrom(ctx, "jobs/f/audio/podcast.mp3", "audio/mpeg", func(_ context.Context, w io.Writer) error {
			for range 2 {
				if _, err := w.Write(piece); err != nil {
					return err
				}
			}
			return broken
		})
		require.ErrorIs(t, err, broken)
		_, err = b.Stat(ctx, "jobs/f/audio/podcast.mp3")
		require.ErrorIs(t, err, pipeline.ErrNotFound, "no half object under the name")
		o, err := b.CreateFrom(ctx, "jobs/f/audio/podcast.mp3", "audio/mpeg", func(_ context.Context, w io.Writer) error {
			_, err := w.Write([]byte("whole"))
			return err
		})
		require.NoError(t, err)
		assert.True(t, o.Created, "the retry writes the object")
		got, err := b.Read(ctx, "jobs/f/audio/podcast.mp3")
		require.NoError(t, err)
		assert.Equal(t, []byte("whole"), got)
	})

	t.Run("binary and empty objects", func(t *testing.T) {
		b := open(t)
		bin := bytes.Repeat([]byte{0, 0xff, 0x89, 'P', 'N', 'G'}, 1000)
		_, err := b.Create(ctx, "jobs/b/image/cover.png", bin, "image/png")
		require.NoError(t, err)
		got, err := b.Read(ctx, "jobs/b/image/cover.png")
		require.NoError(t, err)
		assert.Equal(t, bin, got)
		_, err = b.Create(ctx, "jobs/b/x/empty", []byte{}, "text/plain")
		require.NoError(t, err)
		got, err = b.Read(ctx, "jobs/b/x/empty")
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("missing objects are ErrNotFound", func(t *testing.T) {
		b := open(t)
		_, err := b.Read(ctx, "jobs/none/x")
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		_, err = b.Stat(ctx, "jobs/none/x")
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		n, err := b.DeletePrefix(ctx, "jobs/none/")
		require.NoError(t, err)
		assert.Zero(t, n)
	})

	t.Run("delete by prefix", func(t *testing.T) {
		b := open(t)
		for _, p := range []string{"jobs/c/outline/outline.json", "jobs/c/faqs/faqs.json", "jobs/cc/faqs/faqs.json", "jobs/d/faqs/faqs.json"} {
			_, err := b.Create(ctx, p, []byte(p), "text/plain")
			require.NoError(t, err)
		}
		n, err := b.DeletePrefix(ctx, "jobs/c/")
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		_, err = b.Read(ctx, "jobs/c/faqs/faqs.json")
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		for _, p := range []string{"jobs/cc/faqs/faqs.json", "jobs/d/faqs/faqs.json"} {
			_, err := b.Read(ctx, p)
			assert.NoError(t, err, "%s is not under the prefix", p)
		}
	})

	t.Run("copy once", func(t *testing.T) {
		b := open(t)
		data := []byte(`{"faqs": []}`)
		src, err := b.Create(ctx, "jobs/f/faqs/faqs.json", data, "application/json")
		require.NoError(t, err)
		o, err := b.Copy(ctx, "jobs/f/faqs/faqs.json", "jobs/g/faqs/faqs.json")
		require.NoError(t, err)
		assert.True(t, o.Created)
		assert.Equal(t, "jobs/g/faqs/faqs.json", o.Path)
		assert.Equal(t, src.Size, o.Size)
		assert.Equal(t, src.MD5, o.MD5)
		assert.Equal(t, "application/json", o.ContentType)
		got, err := b.Read(ctx, "jobs/g/faqs/faqs.json")
		require.NoError(t, err)
		assert.Equal(t, data, got)
		again, err := b.Copy(ctx, "jobs/f/faqs/faqs.json", "jobs/g/faqs/faqs.json")
		require.NoError(t, err)
		assert.False(t, again.Created, "the copy is written once")
		assert.Equal(t, o.Generation, again.Generation)
		_, err = b.Copy(ctx, "jobs/none/x", "jobs/g/x")
		assert.ErrorIs(t, err, pipeline.ErrNotFound)
		n, err := b.DeletePrefix(ctx, "jobs/f/")
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		_, err = b.Read(ctx, "jobs/g/faqs/faqs.json")
		assert.NoError(t, err, "deleting the source leaves the copy")
	})

	t.Run("concurrent writes create once", func(t *testing.T) {
		b := open(t)
		const n = 8
		var wg sync.WaitGroup
		objs := make(chan pipeline.Object, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := b.Create(ctx, "jobs/e/faqs/faqs.json", []byte(fmt.Sprint("writer ", i)), "text/plain")
				assert.NoError(t, err)
				objs <- o
			}()
		}
		wg.Wait()
		close(objs)
		created, gens := 0, map[int64]bool{}
		for o := range objs {
			if o.Created {
				created++
			}
			gens[o.Generation] = true
		}
		assert.Equal(t, 1, created, "exactly one writer created the object")
		assert.Len(t, gens, 1, "every writer sees the same object")
	})
}

// Inbox returns the step messages published for a kind of step, waiting
// until n have arrived (or failing the test).
type Inbox func(t *testing.T, kind content.Kind, n int) []pipeline.StepMessage

// PublisherConformance checks a pipeline.Publisher: each step message
// reaches the topic of its kind, and only that one, with its job, step,
// attempt and region intact; many published at once are all delivered.
// open returns a publisher and the inbox of what it published.
func PublisherConformance(t *testing.T, open func(t *testing.T) (pipeline.Publisher, Inbox)) {
	ctx := context.Background()

	t.Run("a message reaches the topic of its kind", func(t *testing.T) {
		pub, inbox := open(t)
		sent := map[content.Kind]pipeline.StepMessage{
			content.KindText:     {JobID: "abcdefgh01", Step: content.FormatFAQs, Attempt: 2, Region: "europe-west1"},
			content.KindImage:    {JobID: "abcdefgh02", Step: content.FormatImage, Attempt: 0, Region: "local"},
			content.KindAudio:    {JobID: "abcdefgh03", Step: content.FormatAudio, Attempt: 7, Region: "us-central1"},
			content.KindAssemble: {JobID: "abcdefgh04", Step: content.FormatPackage, Attempt: 1, Region: "local"},
		}
		for kind, msg := range sent {
			require.NoError(t, pub.PublishStep(ctx, kind, msg))
		}
		for kind, msg := range sent {
			got := inbox(t, kind, 1)
			assert.Equal(t, []pipeline.StepMessage{msg}, got, "kind %s", kind)
		}
	})

	t.Run("many at once are all delivered", func(t *testing.T) {
		pub, inbox := open(t)
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, pub.PublishStep(ctx, content.KindText, pipeline.StepMessage{JobID: fmt.Sprintf("manyjobs%04d", i), Step: content.FormatFAQs, Attempt: 1}))
			}()
		}
		wg.Wait()
		got := inbox(t, content.KindText, n)
		seen := map[string]bool{}
		for _, m := range got {
			seen[m.JobID] = true
		}
		assert.Len(t, seen, n, "every message arrived once or more")
	})
}
