package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

// memPorts are in-memory ports, so tests run in synctest's virtual time.
func memPorts() (pipeline.Ports, *pipelinetest.Store, *pipelinetest.Publisher) {
	st, pub := pipelinetest.NewStore(), &pipelinetest.Publisher{}
	return pipeline.Ports{Store: st, Blobs: pipelinetest.NewBlobs(), Publisher: pub, Events: &pipelinetest.Events{}}, st, pub
}

// gated runs a step only when released, or until its context ends.
type gated struct {
	release chan struct{}
	started chan int
}

func (g gated) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	g.started <- t.Step.Attempt
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &pipeline.Output{Files: []pipeline.File{{Name: "x.txt", ContentType: "text/plain", Data: []byte("x")}}}, nil
}

func submit(t *testing.T, p pipeline.Ports, cfg pipeline.JobsConfig) *pipeline.Job {
	t.Helper()
	req := content.Request{Topic: "Virtual time", Formats: []content.Format{content.FormatFAQs}}
	req.ApplyDefaults()
	job, err := pipeline.NewJobs(p, cfg).Submit(context.Background(), "owner", req, "api")
	require.NoError(t, err)
	return job
}

// A worker that stops renewing (as a dead one does) loses its step the
// moment its lease ends, not before; when it turns out to have been only
// slow, its late result changes nothing.
func TestLeaseExpiresExactlyOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		g := gated{release: make(chan struct{}), started: make(chan int, 2)}
		r := pipeline.NewRunner(p, g, pipeline.RunnerConfig{Lease: time.Minute, Renew: time.Hour, Timeout: time.Hour})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]

		first := make(chan error, 1)
		go func() { first <- r.Run(context.Background(), env) }()
		assert.Equal(t, 1, <-g.started)

		time.Sleep(time.Minute - time.Nanosecond)
		assert.ErrorIs(t, r.Run(context.Background(), env), pipeline.ErrBusy, "the lease is still live")

		time.Sleep(time.Nanosecond)
		second := make(chan error, 1)
		go func() { second <- r.Run(context.Background(), env) }()
		assert.Equal(t, 2, <-g.started, "reclaimed the moment the lease ended")

		close(g.release)
		require.NoError(t, <-second)
		require.NoError(t, <-first)
		steps, err := st.Steps(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, pipeline.StepSucceeded, steps[0].Status)
		assert.Equal(t, 2, steps[0].Attempt, "the late first run did not overwrite the second")
	})
}

func TestAStepNeverRunsPastItsTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		g := gated{release: make(chan struct{}), started: make(chan int, 1)}
		r := pipeline.NewRunner(p, g, pipeline.RunnerConfig{Lease: time.Hour, Timeout: 30 * time.Second})
		job := submit(t, p, pipeline.JobsConfig{})
		env := pub.Take()[0]

		start := time.Now()
		err := r.Run(context.Background(), env)
		<-g.started
		assert.Equal(t, 30*time.Second, time.Since(start), "stopped at the timeout, not later")
		require.Error(t, err, "a timeout asks for redelivery")
		e, ok := ai.AsError(err)
		require.True(t, ok)
		assert.Equal(t, "timeout", e.Code)
		assert.True(t, e.Retryable)
		steps, err := st.Steps(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, pipeline.StepQueued, steps[0].Status, "released for the next delivery")
	})
}

func TestJobDeadlineInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _, pub := memPorts()
		cfg := pipeline.JobsConfig{Deadline: 2 * time.Hour}
		job := submit(t, p, cfg)
		pub.Take()
		jobs := pipeline.NewJobs(p, cfg)

		time.Sleep(2*time.Hour - time.Second)
		ended, err := jobs.Expire(context.Background(), job.ID)
		require.NoError(t, err)
		assert.False(t, ended, "not before the deadline")

		time.Sleep(time.Second)
		ended, err = jobs.Expire(context.Background(), job.ID)
		require.NoError(t, err)
		assert.True(t, ended, "at the deadline")
		j, err := p.Store.Job(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, pipeline.JobFailed, j.Status)
	})
}

// A step is published again at most once per stale period, however often
// the sweep runs: a backlog of messages is never multiplied by sweeps.
func TestRepublishAtMostOncePerStalePeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		pub.Down.Store(true) // the commit happened, the publish did not
		job := submit(t, p, pipeline.JobsConfig{})
		pub.Down.Store(false)
		jobs := pipeline.NewJobs(p, pipeline.JobsConfig{})
		step := stepOf(t, st, job.ID)
		const stale = 15 * time.Second

		time.Sleep(stale - time.Second)
		res, err := jobs.Republish(context.Background(), step, stale)
		require.NoError(t, err)
		assert.False(t, res.Done, "not before it is stale")

		time.Sleep(2 * time.Second)
		for i := range 5 { // five sweeps in a row
			res, err = jobs.Republish(context.Background(), step, stale)
			require.NoError(t, err)
			assert.Equal(t, i == 0, res.Done, "sweep %d", i)
		}
		assert.Len(t, pub.Take(), 1)

		time.Sleep(stale)
		res, err = jobs.Republish(context.Background(), step, stale)
		require.NoError(t, err)
		assert.False(t, res.Done, "not at the end of the stale period")
		time.Sleep(time.Nanosecond)
		res, err = jobs.Republish(context.Background(), step, stale)
		require.NoError(t, err)
		assert.True(t, res.Done, "once more past a stale period")
	})
}

// A step whose worker died (its lease ended) is queued again and
// published once; the claim of the next delivery takes it.
func TestRepublishRequeuesADeadWorkersStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub := memPorts()
		job := submit(t, p, pipeline.JobsConfig{})
		pub.Take()
		require.NoError(t, st.Transact(context.Background(), job.ID, func(_ context.Context, tx pipeline.Tx) error {
			steps, err := tx.Steps(content.FormatOutline)
			if err != nil {
				return err
			}
			s := steps[content.FormatOutline]
			s.Status, s.Attempt, s.LeaseOwner, s.LeaseUntil = pipeline.StepRunning, 1, "dead", time.Now().Add(time.Minute)
			tx.SaveStep(s)
			return nil
		}))
		jobs := pipeline.NewJobs(p, pipeline.JobsConfig{})
		res, err := jobs.Republish(context.Background(), stepOf(t, st, job.ID), time.Minute)
		require.NoError(t, err)
		assert.False(t, res.Done, "the lease is live")

		time.Sleep(time.Minute)
		res, err = jobs.Republish(context.Background(), stepOf(t, st, job.ID), time.Minute)
		require.NoError(t, err)
		assert.True(t, res.Done)
		s := stepOf(t, st, job.ID)
		assert.Equal(t, pipeline.StepQueued, s.Status)
		assert.Empty(t, s.LeaseOwner)
		assert.Equal(t, 1, s.Attempt, "the next claim makes attempt 2")
		res, err = jobs.Republish(context.Background(), s, time.Minute)
		require.NoError(t, err)
		assert.False(t, res.Done, "published once")
		msgs := pub.Take()
		require.Len(t, msgs, 1)
		assert.Equal(t, content.FormatOutline, msgs[0].Step)
	})
}

// stale is the sweep's stale period in the re-homing tests.
const stale = time.Minute

// sweptFromEast is a job west accepted whose publish was lost, after
// east's sweep published its stuck step again, into west's topics.
func sweptFromEast(t *testing.T) (pipeline.Ports, *pipelinetest.Store, *pipelinetest.Publisher, *pipeline.Job, *pipeline.Jobs) {
	t.Helper()
	p, st, pub := memPorts()
	pub.Down.Store(true)
	job := submit(t, p, pipeline.JobsConfig{Region: "west"})
	pub.Down.Store(false)
	east := pipeline.NewJobs(p, pipeline.JobsConfig{Region: "east"})
	time.Sleep(stale + time.Second)
	res, err := east.Republish(context.Background(), stepOf(t, st, job.ID), stale)
	require.NoError(t, err)
	require.Equal(t, pipeline.Republished{Done: true, Region: "west"}, res)
	return p, st, pub, job, east
}

// A stuck step goes first to its job's home region, whichever region
// sweeps; left unclaimed there for another stale period, the job moves to
// the sweeping region. A claim in between keeps it home.
func TestRepublishGoesHomeThenRehomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, st, pub, job, east := sweptFromEast(t)
		msgs := pub.Take()
		require.Len(t, msgs, 1)
		assert.Equal(t, "west", msgs[0].Region, "home first")

		time.Sleep(stale + time.Second) // west did not take it
		res, err := east.Republish(context.Background(), stepOf(t, st, job.ID), stale)
		require.NoError(t, err)
		assert.Equal(t, pipeline.Republished{Done: true, Region: "east", Rehomed: true}, res)
		msgs = pub.Take()
		require.Len(t, msgs, 1)
		assert.Equal(t, "east", msgs[0].Region)
		j, err := st.Job(context.Background(), job.ID)
		require.NoError(t, err)
		assert.Equal(t, "east", j.Region, "the job lives in east now")
	})
}

func TestAClaimKeepsAStepHome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, st, pub, job, east := sweptFromEast(t)
		// West claims it (attempt 1); the run fails transiently and puts the
		// step back, and no redelivery comes.
		runner := pipeline.NewRunner(p, unavailable{}, pipeline.RunnerConfig{Region: "west"})
		require.Error(t, runner.Run(context.Background(), pub.Take()[0]))
		s := stepOf(t, st, job.ID)
		require.Equal(t, 1, s.Attempt)
		require.Zero(t, s.Republished, "the claim starts the count again")

		time.Sleep(stale + time.Second)
		res, err := east.Republish(context.Background(), stepOf(t, st, job.ID), stale)
		require.NoError(t, err)
		assert.Equal(t, pipeline.Republished{Done: true, Region: "west"}, res, "a region that ran it stays its home")
	})
}

// unavailable fails every run transiently.
type unavailable struct{}

func (unavailable) Execute(context.Context, *pipeline.Task) (*pipeline.Output, error) {
	return nil, ai.Transient("unavailable", errors.New("the model is unavailable"))
}

// A crash after a step's end is committed, before the steps made from it
// are queued, leaves them pending: Promote (the sweep) queues the ones
// that can run, and only those, into the job's home region, whichever
// region's sweep finds them.
func TestAPendingStepLeftByACrashIsQueued(t *testing.T) {
	p, st, pub := memPorts()
	job := submit(t, p, pipeline.JobsConfig{Region: "west"})
	pub.Take()
	require.NoError(t, st.Transact(context.Background(), job.ID, func(_ context.Context, tx pipeline.Tx) error {
		steps, err := tx.Steps(content.FormatOutline)
		if err != nil {
			return err
		}
		s := steps[content.FormatOutline]
		s.Status = pipeline.StepSucceeded
		tx.SaveStep(s)
		return nil
	}))
	jobs := pipeline.NewJobs(p, pipeline.JobsConfig{Region: "east"})
	byName := map[content.Format]*pipeline.Step{}
	all, err := st.Steps(context.Background(), job.ID)
	require.NoError(t, err)
	for _, s := range all {
		byName[s.Name] = s
	}
	done, err := jobs.Promote(context.Background(), byName[content.FormatPackage])
	require.NoError(t, err)
	assert.False(t, done, "the package still waits for the FAQs")
	done, err = jobs.Promote(context.Background(), byName[content.FormatFAQs])
	require.NoError(t, err)
	assert.True(t, done)
	done, err = jobs.Promote(context.Background(), byName[content.FormatFAQs])
	require.NoError(t, err)
	assert.False(t, done, "queued once")
	msgs := pub.Take()
	require.Len(t, msgs, 1)
	assert.Equal(t, content.FormatFAQs, msgs[0].Step)
	assert.Equal(t, "west", msgs[0].Region, "the job's home, not the sweeping region")
}
