package sweep_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/sweep"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type exec struct{}

func (exec) Execute(_ context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	return &pipeline.Output{Files: []pipeline.File{{Name: string(t.Step.Name) + ".txt", ContentType: "text/plain", Data: []byte("x")}}}, nil
}

type fixture struct {
	t      *testing.T
	store  *store.Store
	bucket *blob.Bucket
	pub    *pipelinetest.Publisher
	events *pipelinetest.Events
	jobs   *pipeline.Jobs
	runner *pipeline.Runner
	sweep  *sweep.Handler
}

func newFixture(t *testing.T, cfg pipeline.JobsConfig) *fixture {
	t.Helper()
	fs := testenv.Firestore(t, testenv.Project(t))
	_, gcs := testenv.Storage(t, "artifacts")
	f := &fixture{t: t, store: store.New(fs), bucket: blob.New(gcs, "artifacts", blob.Signer{}), pub: &pipelinetest.Publisher{}, events: &pipelinetest.Events{}}
	ports := pipeline.Ports{Store: f.store, Blobs: f.bucket, Publisher: f.pub, Events: f.events}
	cfg.Region = "local"
	f.jobs = pipeline.NewJobs(ports, cfg)
	f.runner = pipeline.NewRunner(ports, exec{}, pipeline.RunnerConfig{Lease: time.Minute})
	f.sweep = sweep.New(f.store, f.jobs, f.bucket, f.store, sweep.Options{Stale: time.Millisecond, Holder: "local/test"})
	return f
}

func (f *fixture) submit(formats ...content.Format) *pipeline.Job {
	f.t.Helper()
	req := content.Request{Topic: "Sweeping", Formats: formats}
	req.ApplyDefaults()
	j, err := f.jobs.Submit(context.Background(), "owner", req, "api")
	require.NoError(f.t, err)
	return j
}

func (f *fixture) drain() {
	for msgs := f.pub.Take(); len(msgs) > 0; msgs = f.pub.Take() {
		for _, env := range msgs {
			require.NoError(f.t, f.runner.Run(context.Background(), env))
		}
	}
}

func (f *fixture) run() sweep.Report {
	f.t.Helper()
	srv := httptest.NewServer(f.sweep)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", nil)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	var rep sweep.Report
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&rep))
	require.Equal(f.t, http.StatusOK, resp.StatusCode, "%+v", rep)
	return rep
}

func TestSweepRecoversALostPublish(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{})
	f.pub.Down.Store(true) // the commit happened, the publish did not
	job := f.submit(content.FormatFAQs)
	f.pub.Down.Store(false)
	assert.Empty(t, f.pub.Take())
	time.Sleep(5 * time.Millisecond)

	rep := f.run()
	assert.Equal(t, 1, rep.RepublishedQueued)
	f.drain()
	j, err := f.store.Job(context.Background(), job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobSucceeded, j.Status, "the sweep got the job going again")

	assert.Zero(t, f.run().RepublishedQueued, "nothing left to recover")
}

func TestSweepRecoversADeadWorker(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{})
	job := f.submit(content.FormatFAQs)
	f.pub.Take()
	ctx := context.Background()
	// A worker claimed the outline and died; its lease ran out and no
	// redelivery came.
	require.NoError(t, f.store.Transact(ctx, job.ID, func(ctx context.Context, tx pipeline.Tx) error {
		steps, err := tx.Steps(content.FormatOutline)
		if err != nil {
			return err
		}
		s := steps[content.FormatOutline]
		s.Status, s.Attempt, s.LeaseUntil = pipeline.StepRunning, 1, time.Now().Add(-time.Second)
		tx.SaveStep(s)
		return nil
	}))
	rep := f.run()
	assert.Equal(t, 1, rep.RepublishedExpired)
	f.drain()
	steps, err := f.store.Steps(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, steps[0].Attempt, "reclaimed with the next attempt")
	j, err := f.store.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobSucceeded, j.Status)
}

func TestSweepEndsJobsPastTheirDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{Deadline: time.Millisecond})
	job := f.submit(content.FormatFAQs)
	f.pub.Take() // nothing runs
	time.Sleep(5 * time.Millisecond)
	rep := f.run()
	assert.Equal(t, 1, rep.EndedPastDeadline)
	j, err := f.store.Job(context.Background(), job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobFailed, j.Status)
	require.Len(t, f.events.List(), 1)
	assert.Equal(t, pipeline.EventFailed, f.events.List()[0].Type)
	assert.Zero(t, f.run().EndedPastDeadline)
}

func TestSweepPublishesEventsACrashLeftBehind(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{})
	job := f.submit(content.FormatFAQs)
	f.drain()
	require.Len(t, f.events.List(), 1)
	ctx := context.Background()
	require.NoError(t, f.store.Transact(ctx, job.ID, func(ctx context.Context, tx pipeline.Tx) error {
		j, err := tx.Job()
		if err != nil {
			return err
		}
		j.EventPending = true // the process died between the commit and the publish
		tx.SaveJob(j)
		return nil
	}))
	time.Sleep(5 * time.Millisecond)
	rep := f.run()
	assert.Equal(t, 1, rep.EventsPublished)
	require.Len(t, f.events.List(), 2)
	assert.Equal(t, f.events.List()[0].ID, f.events.List()[1].ID, "the same event id, so subscribers can drop the copy")
	assert.Zero(t, f.run().EventsPublished)
}

func TestSweepErasesPastRetention(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{Retention: time.Millisecond})
	job := f.submit(content.FormatFAQs)
	f.drain()
	ctx := context.Background()
	time.Sleep(5 * time.Millisecond)
	rep := f.run()
	assert.Equal(t, 1, rep.Erased)
	_, err := f.store.Job(ctx, job.ID)
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
	objs, err := f.bucket.List(ctx, pipeline.JobPrefix(job.ID))
	require.NoError(t, err)
	assert.Empty(t, objs)
}

func TestSweepDeletesWhatLateWorkersWroteForErasedJobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{})
	job := f.submit(content.FormatFAQs)
	f.drain()
	ctx := context.Background()
	require.NoError(t, f.jobs.Erase(ctx, job.ID))
	late := pipeline.ArtifactPath(job.ID, content.FormatFAQs, "late.txt")
	_, err := f.bucket.Create(ctx, late, []byte("written after the erasure"), "text/plain")
	require.NoError(t, err)

	assert.Zero(t, f.run().ErasuresCleaned, "not before the grace period")
	_, err = f.store.Client().Collection(store.Erasures).Doc(job.ID).Update(ctx, []firestore.Update{{Path: "clean_after", Value: time.Now().Add(-time.Second)}})
	require.NoError(t, err)
	assert.Equal(t, 1, f.run().ErasuresCleaned)
	_, err = f.bucket.Read(ctx, late)
	assert.ErrorIs(t, err, blob.ErrNotFound)
	assert.Zero(t, f.run().ErasuresCleaned)
}

func TestSweepOnlyAcceptsPost(t *testing.T) {
	f := newFixture(t, pipeline.JobsConfig{})
	srv := httptest.NewServer(f.sweep)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestOneSweepAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{})
	ctx := context.Background()
	f.hold("east/1234", time.Minute) // another region's sweep is running
	f.pub.Down.Store(true)
	f.submit(content.FormatFAQs)
	f.pub.Down.Store(false)
	time.Sleep(5 * time.Millisecond)

	rep := f.run()
	assert.Contains(t, rep.Skipped, "east/1234 holds the lease until")
	assert.Zero(t, rep.RepublishedQueued, "a skipped sweep does nothing")
	assert.Empty(t, f.pub.Take())

	require.NoError(t, f.store.Release(ctx, sweep.LeaseName, "east/1234"))
	rep = f.run()
	assert.Empty(t, rep.Skipped)
	assert.Equal(t, "local/test", rep.Holder)
	assert.Equal(t, 1, rep.RepublishedQueued)

	// Done, it gave the lease up: the next region's sweep may run at once.
	lease := f.hold("east/1234", time.Minute)
	assert.Equal(t, int64(3), lease.Runs, "east, this sweep, east again")
}

func TestALeaseThatRanOutIsTakenOver(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pipeline.JobsConfig{})
	ctx := context.Background()
	f.hold("west/dead", time.Millisecond) // a sweep that died holding the lease
	time.Sleep(5 * time.Millisecond)

	rep := f.run()
	assert.Empty(t, rep.Skipped)
	assert.Equal(t, "local/test", rep.Holder)
	// Its late release changes nothing.
	require.NoError(t, f.store.Release(ctx, sweep.LeaseName, "west/dead"))
	f.hold("east/1", time.Minute) // the sweep that took over gave it up when done
}

// hold takes the sweep's lease for holder, and fails the test if it cannot.
func (f *fixture) hold(holder string, ttl time.Duration) store.Lease {
	f.t.Helper()
	lease, held, err := f.store.Acquire(context.Background(), sweep.LeaseName, holder, ttl)
	require.NoError(f.t, err)
	require.True(f.t, held, "%s could not take the lease: %+v", holder, lease)
	return lease
}

// An upload is deleted, file and record, once its time has run out; one
// still in time is kept.
func TestSweepDeletesExpiredUploads(t *testing.T) {
	f := newFixture(t, pipeline.JobsConfig{})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	old := sources.Record(content.NewUpload{Filename: "old.pdf", ContentType: "application/pdf", Size: 4}, "alice", now.Add(-2*time.Hour), time.Hour)
	live := sources.Record(content.NewUpload{Filename: "live.pdf", ContentType: "application/pdf", Size: 4}, "alice", now, time.Hour)
	for _, u := range []*sources.Upload{old, live} {
		require.NoError(t, f.store.CreateUpload(ctx, u))
		_, err := f.bucket.Create(ctx, u.Path, []byte("%PDF"), u.ContentType)
		require.NoError(t, err)
	}
	got, err := f.store.Upload(ctx, old.ID)
	require.NoError(t, err)
	assert.Equal(t, old, got, "the record reads back as written")

	rep := f.run()
	assert.Equal(t, 1, rep.UploadsExpired)
	_, err = f.store.Upload(ctx, old.ID)
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
	_, err = f.bucket.Stat(ctx, old.Path)
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
	_, err = f.store.Upload(ctx, live.ID)
	assert.NoError(t, err)
	_, err = f.bucket.Stat(ctx, live.Path)
	assert.NoError(t, err)
	assert.Zero(t, f.run().UploadsExpired, "nothing more to do")
}
