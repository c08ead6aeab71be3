package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

func TestAWholeJobPublishesOneEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	job := h.submit(content.FormatFAQs, content.FormatImage)
	h.drain()
	evs := h.events.List()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, pipeline.EventCompleted, ev.Type)
	assert.Equal(t, job.ID+":succeeded", ev.ID)
	assert.Equal(t, "owner-a", ev.Owner)
	assert.Len(t, ev.Artifacts, len(job.Formats))
	assert.Equal(t, pipeline.StepSucceeded, ev.Steps[content.FormatImage])
	assert.False(t, h.job(job.ID).EventPending, "the event is marked published")

	// Redeliveries after the end publish nothing more.
	for _, f := range job.Formats {
		require.NoError(t, h.runner.Run(context.Background(), pipeline.StepMessage{JobID: job.ID, Step: f}))
	}
	assert.Len(t, h.events.List(), 1)
}

func TestSubmitOnceFindsTheSameJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	ctx := context.Background()
	req := content.Request{Topic: "Tides"}
	req.ApplyDefaults()
	id := pipeline.KeyedID("api", "owner-a", "key-1")
	assert.Equal(t, id, pipeline.KeyedID("api", "owner-a", "key-1"))
	assert.NotEqual(t, id, pipeline.KeyedID("api", "owner-b", "key-1"), "keys are per owner")

	first, created, err := h.jobs.SubmitOnce(ctx, id, "owner-a", req, "api")
	require.NoError(t, err)
	assert.True(t, created)
	again, created, err := h.jobs.SubmitOnce(ctx, id, "owner-a", req, "api")
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first.ID, again.ID)
	assert.Len(t, h.pub.Take(), 1, "the first step was published once")

	other := req
	other.Topic = "Waves"
	_, _, err = h.jobs.SubmitOnce(ctx, id, "owner-a", other, "api")
	assert.ErrorIs(t, err, pipeline.ErrMismatch)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	blocked := h.exec.block(1)
	job := h.submit(content.FormatFAQs, content.FormatAudio)
	ctx := context.Background()

	outline := h.pub.Take()[0]
	running := make(chan error, 1)
	go func() { running <- h.runner.Run(ctx, outline) }()
	<-blocked

	got, err := h.jobs.Cancel(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobCancelled, got.Status)
	steps := h.steps(job.ID)
	assert.Equal(t, pipeline.StepRunning, steps[content.FormatOutline].Status, "a running step is left to finish")
	for _, f := range job.Formats[1:] {
		assert.Equal(t, pipeline.StepSkipped, steps[f].Status, f)
		assert.Equal(t, "cancelled", steps[f].Error.Code)
	}
	evs := h.events.List()
	require.Len(t, evs, 1)
	assert.Equal(t, pipeline.EventCancelled, evs[0].Type)

	close(h.exec.gate)
	require.NoError(t, <-running)
	assert.Equal(t, pipeline.StepSucceeded, h.steps(job.ID)[content.FormatOutline].Status)
	assert.Empty(t, h.pub.Take(), "the finished step started nothing")
	assert.Equal(t, pipeline.JobCancelled, h.job(job.ID).Status)

	again, err := h.jobs.Cancel(ctx, job.ID)
	require.NoError(t, err, "cancelling twice is fine")
	assert.Equal(t, pipeline.JobCancelled, again.Status)
	assert.Len(t, h.events.List(), 1, "one event per terminal transition")

	done := h.submit(content.FormatFAQs)
	h.drain()
	_, err = h.jobs.Cancel(ctx, done.ID)
	assert.ErrorIs(t, err, pipeline.ErrEnded)
	_, err = h.jobs.Cancel(ctx, "nosuchjob0000")
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
}

func TestErase(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	ctx := context.Background()
	job := h.submit(content.FormatFAQs)
	h.drain()
	keep := h.submit(content.FormatFAQs)
	h.drain()
	objs, err := h.bucket.List(ctx, pipeline.JobPrefix(job.ID))
	require.NoError(t, err)
	require.Len(t, objs, 6, "three artifacts and the result record of each")

	require.NoError(t, h.jobs.Erase(ctx, job.ID))
	_, err = h.store.Job(ctx, job.ID)
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
	_, err = h.store.Request(ctx, job.ID)
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
	steps, err := h.store.Steps(ctx, job.ID)
	require.NoError(t, err)
	assert.Empty(t, steps)
	objs, err = h.bucket.List(ctx, pipeline.JobPrefix(job.ID))
	require.NoError(t, err)
	assert.Empty(t, objs)
	_, err = h.bucket.Read(ctx, pipeline.ArtifactPath(keep.ID, content.FormatFAQs, "faqs.txt"))
	assert.NoError(t, err, "other jobs are untouched")

	assert.ErrorIs(t, h.jobs.Erase(ctx, job.ID), pipeline.ErrNotFound)
	// A worker finishing after the erasure changes nothing.
	require.NoError(t, h.runner.Run(ctx, pipeline.StepMessage{JobID: job.ID, Step: "faqs"}))
	_, err = h.bucket.Read(ctx, pipeline.ArtifactPath(job.ID, content.FormatFAQs, "faqs.txt"))
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
}

func TestExpireEndsAJobPastItsDeadline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{})
	ctx := context.Background()
	jobs := pipeline.NewJobs(pipeline.Ports{Store: h.store, Blobs: h.bucket, Publisher: h.pub, Events: h.events},
		pipeline.JobsConfig{Region: "local", Deadline: 50 * time.Millisecond})
	req := content.Request{Topic: "Tides", Formats: []content.Format{content.FormatFAQs, content.FormatImage}}
	req.ApplyDefaults()
	job, err := jobs.Submit(ctx, "owner-a", req, "api")
	require.NoError(t, err)
	h.exec.fail = func(step content.Format, _ int) error {
		if step == content.FormatImage {
			return ai.Transient("unavailable", errors.New("503"))
		}
		return nil
	}
	for _, env := range h.pub.Take() {
		require.NoError(t, h.runner.Run(ctx, env)) // the outline
	}
	for _, env := range h.pub.Take() {
		_ = h.runner.Run(ctx, env) // faqs succeeds, the image keeps failing
	}

	time.Sleep(60 * time.Millisecond) // past the deadline whatever the machine's speed
	ended, err := jobs.Expire(ctx, job.ID)
	require.NoError(t, err)
	require.True(t, ended)
	j := h.job(job.ID)
	assert.Equal(t, pipeline.JobPartial, j.Status, "the outline and faqs were delivered")
	steps := h.steps(job.ID)
	assert.Equal(t, "deadline_exceeded", steps[content.FormatImage].Error.Code)
	assert.Equal(t, "deadline_exceeded", steps[content.FormatPackage].Error.Code)
	require.Len(t, h.events.List(), 1)
	assert.Equal(t, pipeline.EventCompleted, h.events.List()[0].Type)

	ended, err = jobs.Expire(ctx, job.ID)
	require.NoError(t, err)
	assert.False(t, ended, "expiring twice changes nothing")
}

func TestDeadLetterFailsTheStepSoTheJobEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{MaxAttempts: 10})
	ctx := context.Background()
	h.exec.fail = func(step content.Format, _ int) error {
		if step == content.FormatPodcastScript {
			return ai.Transient("rate_limited", errors.New("429"))
		}
		return nil
	}
	job := h.submit(content.FormatFAQs, content.FormatAudio)
	var lost pipeline.StepMessage
	for msgs := h.pub.Take(); len(msgs) > 0; msgs = h.pub.Take() {
		for _, env := range msgs {
			if err := h.runner.Run(ctx, env); err != nil {
				lost = env // Pub/Sub gives up on it
			}
		}
	}
	require.Equal(t, content.FormatPodcastScript, lost.Step)
	assert.Equal(t, pipeline.JobRunning, h.job(job.ID).Status, "stuck without the dead letter")

	failed, err := h.jobs.DeadLetter(ctx, lost, 5)
	require.NoError(t, err)
	assert.True(t, failed)
	h.drain()
	steps := h.steps(job.ID)
	ps := steps[content.FormatPodcastScript]
	assert.Equal(t, pipeline.StepFailed, ps.Status)
	assert.Equal(t, "dead_lettered", ps.Error.Code)
	assert.Contains(t, ps.Error.Message, "5 deliveries; last error: rate_limited")
	assert.Equal(t, pipeline.StepSkipped, steps[content.FormatAudio].Status)
	assert.Equal(t, pipeline.JobPartial, h.job(job.ID).Status)

	failed, err = h.jobs.DeadLetter(ctx, lost, 5)
	require.NoError(t, err)
	assert.False(t, failed, "dead-lettered twice: nothing more")
	failed, err = h.jobs.DeadLetter(ctx, pipeline.StepMessage{JobID: "nosuchjob0000", Step: "faqs"}, 5)
	require.NoError(t, err)
	assert.False(t, failed)
}

func TestDeadLetterLeavesALiveRunAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pipeline.RunnerConfig{Lease: time.Hour})
	blocked := h.exec.block(1)
	job := h.submit(content.FormatFAQs)
	env := h.pub.Take()[0]
	running := make(chan error, 1)
	go func() { running <- h.runner.Run(context.Background(), env) }()
	<-blocked

	failed, err := h.jobs.DeadLetter(context.Background(), env, 5)
	require.NoError(t, err)
	assert.False(t, failed, "a duplicate ran out of deliveries while the step runs")
	close(h.exec.gate)
	require.NoError(t, <-running)
	assert.Equal(t, pipeline.StepSucceeded, h.steps(job.ID)[content.FormatOutline].Status)
}
