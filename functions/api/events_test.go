package api_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/api"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
)

// The event stream is tested against the real pipeline: a Runner claims,
// runs and ends the steps of a job in the emulated Firestore, one at a
// time, while the test reads the stream.

// gate is an executor that holds every run until the test lets it go,
// with nil (the step succeeds) or an error.
type gate struct {
	started chan content.Format
	release chan error
}

func newGate() *gate {
	return &gate{started: make(chan content.Format, 1), release: make(chan error)}
}

func (g *gate) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	g.started <- t.Step.Name
	select {
	case err := <-g.release:
		if err != nil {
			return &pipeline.Output{}, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &pipeline.Output{Files: []pipeline.File{{Name: string(t.Step.Name) + ".json", ContentType: "application/json", Data: []byte(`{}`)}}}, nil
}

// driver runs a job's steps through a Runner as the test says.
type driver struct {
	t      *testing.T
	f      *fixture
	gate   *gate
	runner *pipeline.Runner
	wg     sync.WaitGroup
}

func newDriver(f *fixture) *driver {
	g := newGate()
	r := pipeline.NewRunner(pipeline.Ports{Store: f.store, Blobs: f.bucket, Publisher: f.pub}, g,
		pipeline.RunnerConfig{Lease: time.Minute, Region: "local", Owner: "test"})
	d := &driver{t: f.t, f: f, gate: g, runner: r}
	f.t.Cleanup(d.wg.Wait)
	return d
}

// start claims the published step of that name: it is running when start
// returns.
func (d *driver) start(step content.Format, msgs map[content.Format]pipeline.StepMessage) {
	d.t.Helper()
	for _, m := range d.f.pub.Take() {
		msgs[m.Step] = m
	}
	msg, ok := msgs[step]
	require.True(d.t, ok, "step %s was not published", step)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = d.runner.Run(context.Background(), msg) // a transient failure asks for redelivery
	}()
	select {
	case got := <-d.gate.started:
		require.Equal(d.t, step, got)
	case <-time.After(30 * time.Second):
		d.t.Fatalf("step %s did not start", step)
	}
}

// end lets the running step end (err nil: it succeeds) and waits until
// its ending is stored.
func (d *driver) end(err error) {
	d.gate.release <- err
	d.wg.Wait()
}

// toTheEnd runs the FAQs, put back after a transient failure, again to
// their end and then the package, reading the stream's event for each
// transition; it returns the events read.
func (d *driver) toTheEnd(t *testing.T, s *client.EventStream, msgs map[content.Format]pipeline.StepMessage) []client.Event {
	t.Helper()
	d.start(content.FormatFAQs, msgs) // Pub/Sub delivers it again
	got := expect(t, s, map[content.Format]int{content.FormatFAQs: 6})
	d.end(nil)
	got = append(got, expect(t, s, map[content.Format]int{content.FormatFAQs: 8, content.FormatPackage: 1})...)
	d.start(content.FormatPackage, msgs)
	got = append(got, expect(t, s, map[content.Format]int{content.FormatPackage: 3})...)
	d.end(nil)
	return append(got, expect(t, s, map[content.Format]int{content.FormatPackage: 5})...)
}

// streamFixture is a fixture whose streams read the job every 10ms.
func streamFixture(t *testing.T, opts api.Options) *fixture {
	f := newFixture(t)
	opts.MaxBodyBytes, opts.URLTTL = maxBody, 10*time.Minute
	if opts.StreamPoll == 0 {
		opts.StreamPoll = 10 * time.Millisecond
	}
	f.serve(opts)
	return f
}

// expect reads events until it has one per step in want (step → seq), in
// any order within that set, and fails on any other event; it returns the
// events read.
func expect(t *testing.T, s *client.EventStream, want map[content.Format]int) []client.Event {
	t.Helper()
	var got []client.Event
	left := len(want)
	for left > 0 {
		e, err := s.Next()
		require.NoError(t, err, "waiting for %v", want)
		got = append(got, e)
		if e.Type == client.EventJob {
			continue // the job's start comes with its first claim
		}
		require.Equal(t, client.EventStep, e.Type, "event %+v", e)
		seq, ok := want[e.Change.Step.Name]
		require.True(t, ok, "unexpected event for %s (seq %d); want %v", e.Change.Step.Name, e.Change.Seq, want)
		assert.Equal(t, seq, e.Change.Seq, "%s: %s attempt %d", e.Change.Step.Name, e.Change.Step.Status, e.Change.Step.Attempt)
		delete(want, e.Change.Step.Name)
		left--
	}
	return got
}

func TestEventsFollowEveryStepTransitionToTheEnd(t *testing.T) {
	t.Parallel()
	f := streamFixture(t, api.Options{})
	d := newDriver(f)
	id := f.post("alice", `{"topic": "Tides", "formats": ["faqs"]}`).json(t)["id"].(string)
	c := f.clientOf("alice")
	s, err := c.Events(t.Context(), id, "")
	require.NoError(t, err)
	defer s.Close()

	snap, err := s.Next()
	require.NoError(t, err)
	require.Equal(t, client.EventSnapshot, snap.Type)
	assert.Equal(t, client.JobQueued, snap.Job.Status)
	assert.Equal(t, []string{"outline=queued", "faqs=pending", "package=pending"}, statuses(snap.Job.Steps))
	assert.NotEmpty(t, snap.ID)

	msgs := map[content.Format]pipeline.StepMessage{}
	d.start(content.FormatOutline, msgs)
	got := expect(t, s, map[content.Format]int{content.FormatOutline: 3})
	job, err := s.Next()
	require.NoError(t, err)
	require.Equal(t, client.EventJob, job.Type, "the job started with its first claim")
	assert.Equal(t, client.JobRunning, job.Change.Status)
	assert.Nil(t, job.Change.Step)

	d.end(nil)
	got = append(got, expect(t, s, map[content.Format]int{content.FormatOutline: 5, content.FormatFAQs: 1})...)
	d.start(content.FormatFAQs, msgs)
	got = append(got, expect(t, s, map[content.Format]int{content.FormatFAQs: 3})...)
	d.end(failure.Transient("unavailable", errors.New("the model is busy")))
	last := expect(t, s, map[content.Format]int{content.FormatFAQs: 4})
	assert.Equal(t, client.StepQueued, last[0].Change.Step.Status, "put back after a transient failure")
	require.NotNil(t, last[0].Change.Step.Error)
	assert.Equal(t, "unavailable", last[0].Change.Step.Error.Code)
	got = append(got, last...)
	got = append(got, d.toTheEnd(t, s, msgs)...)

	end, err := s.Next()
	require.NoError(t, err)
	require.Equal(t, client.EventEnd, end.Type)
	assert.Equal(t, client.JobSucceeded, end.Job.Status)
	assert.Equal(t, 1.0, end.Job.Progress)
	assert.Len(t, end.Job.Artifacts, 3)
	_, err = s.Next()
	assert.Equal(t, io.EOF, err, "the stream ends after the end event")

	ids := map[string]bool{snap.ID: true, job.ID: true, end.ID: true}
	for _, e := range got {
		assert.False(t, ids[e.ID], "event ids are distinct: %s", e.ID)
		ids[e.ID] = true
	}
	assert.Equal(t, 1.0, got[len(got)-1].Change.Progress)

	// The end was seen: resuming after it is over at once.
	again, err := c.Events(t.Context(), id, end.ID)
	require.NoError(t, err)
	assert.True(t, again.Ended())
}

func TestAResumedStreamLosesAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	f := streamFixture(t, api.Options{})
	d := newDriver(f)
	id := f.post("alice", `{"topic": "Tides", "formats": ["faqs"]}`).json(t)["id"].(string)
	c := f.clientOf("alice")
	msgs := map[content.Format]pipeline.StepMessage{}

	ctx, drop := context.WithCancel(t.Context())
	s, err := c.Events(ctx, id, "")
	require.NoError(t, err)
	snap, err := s.Next()
	require.NoError(t, err)
	d.start(content.FormatOutline, msgs)
	first := expect(t, s, map[content.Format]int{content.FormatOutline: 3})
	resumeAt := first[len(first)-1].ID
	drop() // the connection breaks
	s.Close()

	// While no one listens: the outline ends, the FAQs are queued, claimed
	// and put back, the package waits.
	d.end(nil)
	d.start(content.FormatFAQs, msgs)
	d.end(failure.Transient("unavailable", errors.New("busy")))

	s2, err := c.Events(t.Context(), id, resumeAt)
	require.NoError(t, err)
	defer s2.Close()
	var second []client.Event
	e, err := s2.Next()
	require.NoError(t, err)
	if e.Type == client.EventJob {
		// The job's start, if the first connection broke before it came.
		second = append(second, e)
		e, err = s2.Next()
		require.NoError(t, err)
	}
	require.NotEqual(t, client.EventSnapshot, e.Type, "a resumed stream sends no snapshot")
	second = append(second, e)
	want := map[content.Format]int{content.FormatOutline: 5, content.FormatFAQs: 4}
	delete(want, e.Change.Step.Name)
	second = append(second, expect(t, s2, want)...)
	second = append(second, d.toTheEnd(t, s2, msgs)...)
	end, err := s2.Next()
	require.NoError(t, err)
	require.Equal(t, client.EventEnd, end.Type)

	// Across both connections: every step's numbers rise, none repeats,
	// and the last of each is the step as it ended.
	seen := map[content.Format][]int{}
	for _, s := range snap.Job.Steps {
		seen[s.Name] = []int{0}
	}
	seen[content.FormatOutline] = []int{1}
	for _, e := range append(first, second...) {
		if e.Type == client.EventStep {
			seen[e.Change.Step.Name] = append(seen[e.Change.Step.Name], e.Change.Seq)
		}
	}
	for name, seqs := range seen {
		for i := 1; i < len(seqs); i++ {
			assert.Greater(t, seqs[i], seqs[i-1], "%s: %v", name, seqs)
		}
	}
	assert.Equal(t, []int{1, 3, 5}, seen[content.FormatOutline])
	assert.Equal(t, []int{0, 4, 6, 8}, seen[content.FormatFAQs], "queued and claimed while no one listened: one event in its latest state")
	assert.Equal(t, []int{0, 1, 3, 5}, seen[content.FormatPackage])
	final, err := c.Get(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, statuses(final.Steps), statuses(end.Job.Steps))
}

func TestWatchReconnectsWhenTheServerEndsTheStream(t *testing.T) {
	t.Parallel()
	// Streams last 100ms: the job takes several of them.
	f := streamFixture(t, api.Options{StreamFor: 100 * time.Millisecond})
	d := newDriver(f)
	id := f.post("alice", `{"topic": "Tides", "formats": ["outline"]}`).json(t)["id"].(string)
	var mu sync.Mutex
	var events []client.Event
	done := make(chan *client.Job, 1)
	opened := make(chan struct{})
	conns := &countingTransport{base: f.http.Transport}
	c := client.New(f.srv.URL, f.keys["alice"], &http.Client{Transport: conns})
	go func() {
		j, err := c.Watch(t.Context(), id, "", func(e client.Event) {
			mu.Lock()
			defer mu.Unlock()
			if events = append(events, e); len(events) == 1 {
				close(opened)
			}
		})
		assert.NoError(t, err)
		done <- j
	}()
	<-opened
	msgs := map[content.Format]pipeline.StepMessage{}
	d.start(content.FormatOutline, msgs)
	before := conns.n.Load()
	require.Eventually(t, func() bool { return conns.n.Load() >= before+3 }, time.Minute, 10*time.Millisecond,
		"streams end and Watch connects again")
	// Each transition is let happen once the stream has shown the last.
	shown := func(step content.Format, seq int) {
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return slices.ContainsFunc(events, func(e client.Event) bool {
				return e.Type == client.EventStep && e.Change.Step.Name == step && e.Change.Seq == seq
			})
		}, time.Minute, 10*time.Millisecond, "%s %d", step, seq)
	}
	d.end(nil)
	shown(content.FormatPackage, 1)
	d.start(content.FormatPackage, msgs)
	shown(content.FormatPackage, 3)
	d.end(nil)
	var j *client.Job
	select {
	case j = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Watch did not return")
	}
	require.NotNil(t, j)
	assert.Equal(t, client.JobSucceeded, j.Status)
	mu.Lock()
	defer mu.Unlock()
	var types []client.EventType
	seqs := map[content.Format][]int{}
	for _, e := range events {
		types = append(types, e.Type)
		if e.Type == client.EventStep {
			seqs[e.Change.Step.Name] = append(seqs[e.Change.Step.Name], e.Change.Seq)
		}
	}
	assert.Equal(t, client.EventSnapshot, types[0])
	assert.Equal(t, 1, countOf(types, client.EventSnapshot), "one snapshot: reconnections resume")
	assert.Equal(t, client.EventEnd, types[len(types)-1])
	assert.Equal(t, []int{3, 5}, seqs[content.FormatOutline])
	assert.Equal(t, []int{1, 3, 5}, seqs[content.FormatPackage])
}

func TestEventStreamRefusals(t *testing.T) {
	t.Parallel()
	f := streamFixture(t, api.Options{MaxStreams: 1, StreamHeartbeat: 20 * time.Millisecond})
	id := f.post("alice", `{"topic": "Tides", "formats": ["outline"]}`).json(t)["id"].(string)
	events := "/v1/jobs/" + id + "/events"

	assertProblem(t, f.do(http.MethodGet, "/v1/jobs/no-such-job/events", f.keys["alice"], "", nil), 404, "job_not_found")
	assertProblem(t, f.do(http.MethodGet, events, f.keys["bob"], "", nil), 404, "job_not_found")
	assertProblem(t, f.do(http.MethodGet, events, "", "", nil), 401, "unauthenticated")
	for _, bad := range []string{"nonsense", "run:1,job:queued", "run:1,job:queued,outline:1.1,package:1.0,faqs:1.1",
		"run:1,job:queued,outline:1.1,outline:1.0", "run:1,job:dozing,outline:1.1,package:1.0", "run:0,job:queued,outline:1.1,package:1.0",
		"run:1,job:queued,outline:1.-1,package:1.0", "run:1,job:queued,outline:0.1,package:1.0", "run:1,job:queued,outline:1,package:1.0"} {
		_, err := f.clientOf("alice").Events(t.Context(), id, bad)
		assert.Equal(t, "invalid_last_event_id", client.ErrorCode(err), bad)
	}

	// One stream is open: the instance's cap refuses another.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+events, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.keys["alice"])
	resp, err := f.http.Do(req)
	require.NoError(t, err)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	r := bufio.NewReader(resp.Body)
	var lines []string
	for !contains(lines, "retry: 1000") || !contains(lines, "event: snapshot") || !contains(lines, ": keep-alive") {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "read so far: %q", lines)
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
	busy := f.do(http.MethodGet, events, f.keys["alice"], "", nil)
	assertProblem(t, busy, 503, "too_many_streams")
	assert.Equal(t, "5", busy.header.Get("Retry-After"))
	resp.Body.Close()
	// The stream's end frees its place.
	require.Eventually(t, func() bool {
		s, err := f.clientOf("alice").Events(t.Context(), id, "")
		if err != nil {
			return false
		}
		s.Close()
		return true
	}, 10*time.Second, 20*time.Millisecond)
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestAJobChangedAfterItsEndStreamsAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.serve(api.Options{MaxBodyBytes: maxBody, URLTTL: 10 * time.Minute, StreamPoll: 10 * time.Millisecond, Steer: f.jobs, Documents: f.bucket})
	d := newDriver(f)
	id := f.post("alice", `{"topic": "Tides", "formats": ["outline"]}`).json(t)["id"].(string)
	c := f.clientOf("alice")
	msgs := map[content.Format]pipeline.StepMessage{}
	s, err := c.Events(t.Context(), id, "")
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Next() // the snapshot
	require.NoError(t, err)
	for _, step := range []content.Format{content.FormatOutline, content.FormatPackage} {
		d.start(step, msgs)
		d.end(nil)
	}
	var end client.Event
	for end.Type != client.EventEnd {
		end, err = s.Next()
		require.NoError(t, err)
	}
	assert.True(t, strings.HasPrefix(end.ID, "run:1,job:succeeded,"), end.ID)

	// The outline is made again: the job runs a second time, and the end's
	// id now resumes into that run.
	_, err = c.Regenerate(t.Context(), id, content.FormatOutline, "shorter, please", "again-1")
	require.NoError(t, err)
	s2, err := c.Events(t.Context(), id, end.ID)
	require.NoError(t, err)
	defer s2.Close()
	require.False(t, s2.Ended())
	versions := map[content.Format]int{}
	var status []client.JobStatus
	for len(versions) < 2 || len(status) == 0 {
		e, err := s2.Next()
		require.NoError(t, err)
		require.NotEqual(t, client.EventSnapshot, e.Type)
		switch e.Type {
		case client.EventStep:
			versions[e.Change.Step.Name] = e.Change.Step.Version
		case client.EventJob:
			status = append(status, e.Change.Status)
		}
	}
	assert.Equal(t, map[content.Format]int{content.FormatOutline: 2, content.FormatPackage: 2}, versions, "both steps are made again")
	assert.Equal(t, []client.JobStatus{client.JobRunning}, status)
	for _, step := range []content.Format{content.FormatOutline, content.FormatPackage} {
		d.start(step, msgs)
		d.end(nil)
	}
	for {
		e, err := s2.Next()
		require.NoError(t, err)
		if e.Type == client.EventEnd {
			assert.Equal(t, 2, e.Job.Run)
			assert.True(t, strings.HasPrefix(e.ID, "run:2,job:succeeded,outline:2.5,package:2.5"), e.ID)
			break
		}
	}
}

func TestAStreamOfAnErasedJobEnds(t *testing.T) {
	t.Parallel()
	f := streamFixture(t, api.Options{})
	id := f.post("alice", `{"topic": "Tides", "formats": ["outline"]}`).json(t)["id"].(string)
	c := f.clientOf("alice")
	s, err := c.Events(t.Context(), id, "")
	require.NoError(t, err)
	defer s.Close()
	snap, err := s.Next()
	require.NoError(t, err)
	require.NoError(t, c.Delete(t.Context(), id))
	_, err = s.Next()
	assert.Equal(t, io.EOF, err, "the stream closes")
	_, err = c.Events(t.Context(), id, snap.ID)
	assert.Equal(t, "job_not_found", client.ErrorCode(err), "and a reconnection is told why")
}

func statuses(steps []client.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, string(s.Name)+"="+string(s.Status))
	}
	return out
}

func countOf[T comparable](xs []T, x T) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
