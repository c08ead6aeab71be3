package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/store"
)

// metrics is the in-memory exporter of the metrics the pipeline records.
var metrics = sdkmetric.NewManualReader()

func TestMain(m *testing.M) {
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics)))
	testenv.Main(m)
}

// fakeExec writes one small file per step and counts its runs; fail, when
// set, decides the error of a run; a run of attempt blockAttempt says so
// on blocked, then waits until gate is closed.
type fakeExec struct {
	runs         atomic.Int32
	fail         func(step content.Format, attempt int) error
	blockAttempt int
	gate         chan struct{}
	blocked      chan struct{}
}

// block makes the run of attempt n wait for the gate; the returned
// channel receives when it started waiting.
func (f *fakeExec) block(n int) <-chan struct{} {
	f.blockAttempt, f.gate, f.blocked = n, make(chan struct{}), make(chan struct{}, 1)
	return f.blocked
}

func (f *fakeExec) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	f.runs.Add(1)
	if f.gate != nil && t.Step.Attempt == f.blockAttempt {
		select {
		case f.blocked <- struct{}{}:
		default: // said already
		}
		<-f.gate
	}
	out := &pipeline.Output{Calls: []ai.Call{{Backend: "fake", Model: "m", OutputTokens: 10, CostUSD: 0.001}}}
	if f.fail != nil {
		if err := f.fail(t.Step.Name, t.Step.Attempt); err != nil {
			return out, err
		}
	}
	out.Files = []pipeline.File{{Name: string(t.Step.Name) + ".txt", ContentType: "text/plain", Data: []byte("made " + string(t.Step.Name))}}
	return out, nil
}

type harness struct {
	t      *testing.T
	store  *store.Store
	bucket *blob.Bucket
	pub    *pipelinetest.Publisher
	exec   *fakeExec
	runner *pipeline.Runner
	jobs   *pipeline.Jobs
	clock  *clock
	events *pipelinetest.Events
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newHarness(t *testing.T, cfg pipeline.RunnerConfig) *harness {
	t.Helper()
	project := testenv.Project(t)
	fs := testenv.Firestore(t, project)
	_, gcs := testenv.Storage(t, "artifacts")
	h := &harness{
		t: t, store: store.New(fs), bucket: blob.New(gcs, "artifacts", blob.Signer{}),
		pub: &pipelinetest.Publisher{}, exec: &fakeExec{}, clock: &clock{t: time.Now()},
	}
	cfg.Now = h.clock.now
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	h.events = &pipelinetest.Events{}
	ports := pipeline.Ports{Store: h.store, Blobs: h.bucket, Publisher: h.pub, Events: h.events}
	h.runner = pipeline.NewRunner(ports, h.exec, cfg)
	h.jobs = pipeline.NewJobs(ports, pipeline.JobsConfig{Region: "local", Retention: 24 * time.Hour, Deadline: time.Hour})
	return h
}

func (h *harness) submit(formats ...content.Format) *pipeline.Job {
	h.t.Helper()
	req := content.Request{Topic: "Tides", Formats: formats}
	req.ApplyDefaults()
	job, err := h.jobs.Submit(context.Background(), "owner-a", req, "api")
	require.NoError(h.t, err)
	return job
}

// drain delivers every published message, as Pub/Sub would, until none is
// left; it returns how many deliveries it made.
func (h *harness) drain() int {
	h.t.Helper()
	n := 0
	for msgs := h.pub.Take(); len(msgs) > 0; msgs = h.pub.Take() {
		for _, env := range msgs {
			n++
			require.NoError(h.t, h.runner.Run(context.Background(), env))
		}
	}
	return n
}

func (h *harness) steps(jobID string) map[content.Format]*pipeline.Step {
	h.t.Helper()
	steps, err := h.store.Steps(context.Background(), jobID)
	require.NoError(h.t, err)
	out := map[content.Format]*pipeline.Step{}
	for _, s := range steps {
		out[s.Name] = s
	}
	return out
}

func (h *harness) job(id string) *pipeline.Job {
	h.t.Helper()
	j, err := h.store.Job(context.Background(), id)
	require.NoError(h.t, err)
	return j
}

func TestRunnerRunsAWholeJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	job := h.submit()
	assert.Equal(t, content.Closure(content.DefaultFormats()), job.Formats)

	deliveries := h.drain()
	assert.Equal(t, len(job.Formats), deliveries, "one message per step")
	assert.Equal(t, int32(len(job.Formats)), h.exec.runs.Load())

	j := h.job(job.ID)
	assert.Equal(t, pipeline.JobSucceeded, j.Status)
	assert.Equal(t, 1.0, j.Progress)
	assert.Equal(t, int64(len(job.Formats)), j.Usage.Calls)
	assert.False(t, j.FinishedAt.IsZero())
	for name, s := range h.steps(job.ID) {
		assert.Equal(t, pipeline.StepSucceeded, s.Status, name)
		assert.Equal(t, 1, s.Attempt, name)
		require.Len(t, s.Artifacts, 1, name)
		data, err := h.bucket.Read(context.Background(), s.Artifacts[0].Path)
		require.NoError(t, err)
		assert.Equal(t, "made "+string(name), string(data))
		assert.Equal(t, fmt.Sprintf("jobs/%s/%s/%s.txt", job.ID, name, name), s.Artifacts[0].Path)
	}
}

func TestRunnerOrdersSteps(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	job := h.submit(content.FormatAudio)
	assert.Equal(t, []content.Format{content.FormatOutline, content.FormatPodcastScript, content.FormatAudio, content.FormatPackage}, job.Formats)

	var order []content.Format
	for msgs := h.pub.Take(); len(msgs) > 0; msgs = h.pub.Take() {
		require.Len(t, msgs, 1, "this job is a chain: one step at a time")
		order = append(order, msgs[0].Step)
		require.NoError(t, h.runner.Run(context.Background(), msgs[0]))
	}
	assert.Equal(t, []content.Format{"outline", "podcast_script", "audio", "package"}, order)
	assert.Equal(t, pipeline.JobSucceeded, h.job(job.ID).Status)
}

func TestRedeliveryOfAFinishedStepDoesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	job := h.submit(content.FormatFAQs)
	h.drain()
	before := h.steps(job.ID)
	runs := h.exec.runs.Load()

	for _, f := range job.Formats {
		require.NoError(t, h.runner.Run(context.Background(), pipeline.StepMessage{JobID: job.ID, Step: f}))
	}
	assert.Equal(t, runs, h.exec.runs.Load(), "no executor run")
	assert.Empty(t, h.pub.Take(), "nothing published")
	assert.Equal(t, before, h.steps(job.ID), "no step document changed")
}

func TestConcurrentDeliveriesRunAStepOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	blocked := h.exec.block(1)
	job := h.submit(content.FormatFAQs)
	env := h.pub.Take()[0]

	first := make(chan error, 1)
	go func() { first <- h.runner.Run(context.Background(), env) }()
	<-blocked

	err := h.runner.Run(context.Background(), env)
	assert.ErrorIs(t, err, pipeline.ErrBusy, "a second delivery under a live lease is refused")
	close(h.exec.gate)
	require.NoError(t, <-first)
	assert.Equal(t, int32(1), h.exec.runs.Load())
	assert.Equal(t, 1, h.steps(job.ID)[content.FormatOutline].Attempt)
}

func TestExpiredLeaseIsReclaimed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{Lease: time.Minute})
	blocked := h.exec.block(1)
	job := h.submit(content.FormatFAQs)
	env := h.pub.Take()[0]

	stuck := make(chan error, 1)
	go func() { stuck <- h.runner.Run(context.Background(), env) }()
	<-blocked

	h.clock.advance(2 * time.Minute) // the first worker is presumed dead
	require.NoError(t, h.runner.Run(context.Background(), env))
	s := h.steps(job.ID)[content.FormatOutline]
	assert.Equal(t, pipeline.StepSucceeded, s.Status)
	assert.Equal(t, 2, s.Attempt, "reclaimed with the next attempt")
	assert.Len(t, h.pub.Take(), 1, "the reclaimed run fans out")

	// The first worker was only slow: it finishes late, and its result
	// changes nothing.
	before := h.steps(job.ID)
	close(h.exec.gate)
	require.NoError(t, <-stuck)
	assert.Equal(t, before, h.steps(job.ID))
	assert.Empty(t, h.pub.Take(), "the late run publishes nothing")
}

func TestTransientFailureIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	h.exec.fail = func(step content.Format, attempt int) error {
		if step == content.FormatOutline && attempt == 1 {
			return ai.Transient("rate_limited", errors.New("429"))
		}
		return nil
	}
	job := h.submit(content.FormatFAQs)
	env := h.pub.Take()[0]

	err := h.runner.Run(context.Background(), env)
	require.Error(t, err, "a transient failure asks for redelivery")
	s := h.steps(job.ID)[content.FormatOutline]
	assert.Equal(t, pipeline.StepQueued, s.Status)
	require.NotNil(t, s.Error)
	assert.Equal(t, "rate_limited", s.Error.Code)
	assert.True(t, s.Error.Retryable)
	assert.Equal(t, int64(1), s.Usage.Calls, "the failed call's usage is kept")

	require.NoError(t, h.runner.Run(context.Background(), env))
	h.drain()
	s = h.steps(job.ID)[content.FormatOutline]
	assert.Equal(t, pipeline.StepSucceeded, s.Status)
	assert.Equal(t, 2, s.Attempt)
	assert.Nil(t, s.Error)
	assert.Equal(t, int64(2), s.Usage.Calls)
	assert.Equal(t, pipeline.JobSucceeded, h.job(job.ID).Status)
}

func TestAttemptsRunOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{MaxAttempts: 2})
	h.exec.fail = func(step content.Format, _ int) error {
		if step == content.FormatPodcastScript {
			return ai.Transient("unavailable", errors.New("503"))
		}
		return nil
	}
	job := h.submit(content.FormatFAQs, content.FormatAudio)
	for msgs := h.pub.Take(); len(msgs) > 0; msgs = h.pub.Take() {
		for _, env := range msgs {
			err := h.runner.Run(context.Background(), env)
			if env.Step == content.FormatPodcastScript && err != nil {
				h.pub.Put(env) // Pub/Sub redelivers
			}
		}
	}
	steps := h.steps(job.ID)
	ps := steps[content.FormatPodcastScript]
	assert.Equal(t, pipeline.StepFailed, ps.Status)
	assert.Equal(t, "attempts_exhausted", ps.Error.Code)
	assert.Equal(t, 2, ps.Attempt)
	assert.Equal(t, pipeline.StepSkipped, steps[content.FormatAudio].Status)
	assert.Equal(t, "dependency_failed", steps[content.FormatAudio].Error.Code)
	assert.Equal(t, pipeline.StepSucceeded, steps[content.FormatFAQs].Status)
	assert.Equal(t, pipeline.StepSucceeded, steps[content.FormatPackage].Status)
	assert.Equal(t, pipeline.JobPartial, h.job(job.ID).Status)
}

func TestFailedOutlineFailsTheJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	h.exec.fail = func(step content.Format, _ int) error {
		if step == content.FormatOutline {
			return ai.Permanentf("content_filtered", "blocked: SAFETY")
		}
		return nil
	}
	job := h.submit()
	h.drain()
	steps := h.steps(job.ID)
	assert.Equal(t, pipeline.StepFailed, steps[content.FormatOutline].Status)
	assert.Equal(t, "content_filtered", steps[content.FormatOutline].Error.Code)
	assert.False(t, steps[content.FormatOutline].Error.Retryable)
	for _, f := range job.Formats {
		switch f {
		case content.FormatOutline:
		case content.FormatPackage:
			assert.Equal(t, pipeline.StepSucceeded, steps[f].Status, "the package still lists what happened")
		default:
			assert.Equal(t, pipeline.StepSkipped, steps[f].Status, f)
		}
	}
	j := h.job(job.ID)
	assert.Equal(t, pipeline.JobFailed, j.Status)
	assert.Equal(t, 1.0, j.Progress)
}

func TestAStepThatDoesNotApplyLeavesTheJobSucceeded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	h.exec.fail = func(step content.Format, _ int) error {
		if step == content.FormatTimeline {
			return fmt.Errorf("timeline: %w", failure.NotApplicable("the sources hold no dates"))
		}
		return nil
	}
	job := h.submit(content.FormatTimeline, content.FormatFAQs)
	h.drain()
	steps := h.steps(job.ID)
	tl := steps[content.FormatTimeline]
	assert.Equal(t, pipeline.StepNotApplicable, tl.Status)
	require.NotNil(t, tl.Error)
	assert.Equal(t, pipeline.StepError{Code: "not_applicable", Message: "the sources hold no dates"}, *tl.Error)
	assert.Empty(t, tl.Artifacts)
	assert.Equal(t, int64(1), tl.Usage.Calls, "what it paid for is kept")
	require.Len(t, tl.Versions, 1)
	assert.Equal(t, pipeline.StepNotApplicable, tl.Versions[0].Status)
	assert.Equal(t, pipeline.StepSucceeded, steps[content.FormatFAQs].Status)
	j := h.job(job.ID)
	assert.Equal(t, pipeline.JobSucceeded, j.Status)
	assert.Equal(t, 1.0, j.Progress)
	evs := h.events.List()
	require.Len(t, evs, 1)
	assert.Equal(t, pipeline.EventCompleted, evs[0].Type)
	assert.Equal(t, pipeline.StepNotApplicable, evs[0].Steps[content.FormatTimeline], "the event's summary says so")

	// A redelivery finds it ended and does nothing.
	runs := h.exec.runs.Load()
	require.NoError(t, h.runner.Run(context.Background(), pipeline.StepMessage{JobID: job.ID, Step: content.FormatTimeline}))
	assert.Equal(t, runs, h.exec.runs.Load())
}

func TestMessagesForUnknownJobsAreDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	require.NoError(t, h.runner.Run(context.Background(), pipeline.StepMessage{JobID: "nosuchjob000", Step: "outline"}))
	require.NoError(t, h.runner.Run(context.Background(), pipeline.StepMessage{JobID: "nosuchjob000", Step: "not_a_step"}))
	assert.Zero(t, h.exec.runs.Load())
}

func TestEarlyMessageForAWaitingStepIsDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	job := h.submit(content.FormatFAQs)
	require.NoError(t, h.runner.Run(context.Background(), pipeline.StepMessage{JobID: job.ID, Step: "faqs"}))
	assert.Zero(t, h.exec.runs.Load())
	assert.Equal(t, pipeline.StepPending, h.steps(job.ID)[content.FormatFAQs].Status)
}
