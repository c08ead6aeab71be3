package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// The event stream of a job (GET /v1/jobs/{id}/events) reads what the
// pipeline's transactions already write: the job and its step documents,
// every StreamPoll. Nothing new is published for it. Each step's state is
// its version and one number that every transition within a version raises
// (stepSeq); the job's is its run and status. The id of an event is the
// state the client has then seen, so a reconnection with Last-Event-ID
// gets exactly the steps that moved since, on any instance.

// Stream defaults; Options override them.
const (
	defaultStreamPoll      = time.Second
	defaultStreamHeartbeat = 15 * time.Second
	defaultStreamFor       = 50 * time.Second
	defaultMaxStreams      = 50
	// streamRetry is the reconnection delay a stream asks clients for.
	streamRetry = time.Second
)

// streams counts the event streams open in this instance.
type streams struct {
	open atomic.Int64
	max  int64
}

func (s *streams) acquire() bool {
	if s.open.Add(1) > s.max {
		s.open.Add(-1)
		return false
	}
	return true
}

func (s *streams) release() { s.open.Add(-1) }

// stepSeq makes a step's status and attempt one number that every
// transition of the pipeline raises: pending 0; for attempt a, queued
// 3a+1, running 3a (a claim raises the attempt), ended 3a+2. A claim goes
// from 3a+1 to 3a+3, a release or a sweep from 3a to 3a+1, an ending to
// 3a+2.
func stepSeq(status pipeline.StepStatus, attempt int) int {
	switch {
	case status.Terminal():
		return 3*attempt + 2
	case status == pipeline.StepRunning:
		return 3 * attempt
	case status == pipeline.StepQueued:
		return 3*attempt + 1
	default:
		return 0
	}
}

// cursor is what a client has seen of a job: its run, its status and each
// step's version and number, in the job's step order. Its text is the
// event id: "run:1,job:running,outline:1.5,faqs:1.3,package:1.0".
type cursor struct {
	run   int
	job   pipeline.JobStatus
	steps []cursorStep
}

type cursorStep struct {
	name         content.Format
	version, seq int
}

func (c *cursor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run:%d,job:%s", c.run, c.job)
	for _, s := range c.steps {
		fmt.Fprintf(&b, ",%s:%d.%d", s.name, s.version, s.seq)
	}
	return b.String()
}

// step returns a step's state in the cursor.
func (c *cursor) step(name content.Format) (cursorStep, bool) {
	for _, s := range c.steps {
		if s.name == name {
			return s, true
		}
	}
	return cursorStep{}, false
}

func (c *cursor) set(st cursorStep) {
	for i := range c.steps {
		if c.steps[i].name == st.name {
			c.steps[i] = st
			return
		}
	}
	c.steps = append(c.steps, st)
}

// progress is the share of the cursor's steps that have ended.
func (c *cursor) progress() float64 {
	if len(c.steps) == 0 {
		return 0
	}
	ended := 0
	for _, s := range c.steps {
		if s.seq%3 == 2 {
			ended++
		}
	}
	return float64(ended) / float64(len(c.steps))
}

// ended reports whether the client has seen this run of the job end.
func (c *cursor) ended(j *pipeline.Job) bool {
	return c.job.Terminal() && c.run == max(j.Run, 1)
}

// stateOf is a step's state as a cursor holds it.
func stateOf(s *pipeline.Step) cursorStep {
	return cursorStep{s.Name, s.CurrentVersion(), stepSeq(s.Status, s.Attempt)}
}

// errBadCursor is a Last-Event-ID this API did not give out for the job.
var errBadCursor = errors.New("bad cursor")

// jobStatuses are the statuses a cursor may name.
var jobStatuses = []pipeline.JobStatus{pipeline.JobQueued, pipeline.JobRunning, pipeline.JobAwaitingReview,
	pipeline.JobSucceeded, pipeline.JobPartial, pipeline.JobFailed, pipeline.JobCancelled, pipeline.JobExpired}

// parseCursor reads a Last-Event-ID for a job of these steps; every step
// must be named once.
func parseCursor(s string, steps []*pipeline.Step) (*cursor, error) {
	parts := strings.Split(s, ",")
	if len(parts) != len(steps)+2 {
		return nil, errBadCursor
	}
	c := &cursor{}
	run, ok := strings.CutPrefix(parts[0], "run:")
	n, err := strconv.Atoi(run)
	if !ok || err != nil || n < 1 {
		return nil, errBadCursor
	}
	c.run = n
	status, ok := strings.CutPrefix(parts[1], "job:")
	if c.job = pipeline.JobStatus(status); !ok || !slices.Contains(jobStatuses, c.job) {
		return nil, errBadCursor
	}
	for _, p := range parts[2:] {
		name, state, ok := strings.Cut(p, ":")
		version, seq, ok2 := strings.Cut(state, ".")
		v, err := strconv.Atoi(version)
		q, err2 := strconv.Atoi(seq)
		f := content.Format(name)
		_, dup := c.step(f)
		if !ok || !ok2 || err != nil || err2 != nil || v < 1 || q < 0 || dup ||
			!slices.ContainsFunc(steps, func(s *pipeline.Step) bool { return s.Name == f }) {
			return nil, errBadCursor
		}
		c.set(cursorStep{f, v, q})
	}
	return c, nil
}

// current is the cursor of a job as read now. A job that has ended is
// counted as running until its end event is sent.
func current(j *pipeline.Job, steps []*pipeline.Step) *cursor {
	c := &cursor{run: max(j.Run, 1), job: j.Status}
	if c.job.Terminal() {
		c.job = pipeline.JobRunning
	}
	for _, s := range steps {
		c.set(stateOf(s))
	}
	return c
}

// events serves GET /v1/jobs/{id}/events.
func (h *Handler) events(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	job, steps, ok := h.ownJobSteps(w, r, p)
	if !ok {
		return
	}
	var seen *cursor
	if last := r.Header.Get(client.LastEventIDHeader); last != "" {
		var err error
		if seen, err = parseCursor(last, steps); err != nil {
			httpx.Error(w, r, http.StatusBadRequest, "invalid_last_event_id", "Last-Event-ID is not an event id of this job's stream.")
			return
		}
		if seen.ended(job) && job.Status.Terminal() {
			// The client saw this run end: tell EventSource to stop
			// reconnecting. (A job changed since runs again, and its
			// stream goes on from the cursor.)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if !h.streams.acquire() {
		w.Header().Set("Retry-After", "5")
		httpx.Error(w, r, http.StatusServiceUnavailable, "too_many_streams",
			fmt.Sprintf("This instance follows %d event streams already; retry, or poll GET /v1/jobs/{id}.", h.streams.max))
		return
	}
	defer h.streams.release()

	// The write deadline httpx.Deadlines set is for ordinary answers.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(h.opts.StreamFor + h.opts.StreamHeartbeat))
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, rc: rc, base: h.base(r), h: h}
	s.raw(fmt.Sprintf("retry: %d\n\n", streamRetry.Milliseconds()))

	ctx := r.Context()
	if seen == nil {
		seen = current(job, steps)
		s.send(seen.String(), client.EventSnapshot, h.detail(s.base, job, steps))
	}
	// The stream ends before the function's timeout; the client
	// reconnects with the last id it got and loses nothing.
	ends := time.NewTimer(h.opts.StreamFor)
	defer ends.Stop()
	poll := time.NewTicker(h.opts.StreamPoll)
	defer poll.Stop()
	beat := time.NewTicker(h.opts.StreamHeartbeat)
	defer beat.Stop()
	for {
		if s.err == nil && s.changes(seen, job, steps) {
			return // the end was sent
		}
		if s.err != nil {
			return // the client went away
		}
		select {
		case <-ctx.Done():
			return
		case <-ends.C:
			return
		case <-beat.C:
			s.raw(": keep-alive\n\n")
			continue
		case <-poll.C:
		}
		id := job.ID
		var err error
		if job, steps, err = h.read(ctx, id); err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, pipeline.ErrNotFound) {
				logging.From(ctx).WarnContext(ctx, "event stream: read the job", "job_id", id, "error", err.Error())
			}
			return // the client reconnects; an erased job then answers 404
		}
	}
}

// read reads a job and then its steps: every step transition that ended
// the job is in the steps read after it.
func (h *Handler) read(ctx context.Context, id string) (*pipeline.Job, []*pipeline.Step, error) {
	job, err := h.reader.Job(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	steps, err := h.reader.Steps(ctx, id)
	return job, steps, err
}

// sse writes events to one client.
type sse struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	base string
	h    *Handler
	err  error
}

// changes sends what moved between seen and the job as read, updating
// seen event by event; it reports whether it sent the end.
func (s *sse) changes(seen *cursor, job *pipeline.Job, steps []*pipeline.Step) bool {
	moved := make([]*pipeline.Step, 0, len(steps))
	for _, st := range steps {
		if was, _ := seen.step(st.Name); was != stateOf(st) {
			moved = append(moved, st)
		}
	}
	// In the order they happened, as far as the documents tell.
	slices.SortStableFunc(moved, func(a, b *pipeline.Step) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	status := client.JobStatus(job.Status)
	for _, st := range moved {
		now := stateOf(st)
		seen.set(now)
		step := s.h.stepView(s.base, job.ID, st)
		s.send(seen.String(), client.EventStep, client.Change{JobID: job.ID, Status: status, Progress: seen.progress(), Step: &step, Seq: now.seq})
	}
	run := max(job.Run, 1)
	if !job.Status.Terminal() {
		if job.Status != seen.job || run != seen.run {
			seen.job, seen.run = job.Status, run
			s.send(seen.String(), client.EventJob, client.Change{JobID: job.ID, Status: status, Progress: seen.progress()})
		}
		return false
	}
	seen.job, seen.run = job.Status, run
	s.send(seen.String(), client.EventEnd, s.h.detail(s.base, job, steps))
	return true
}

// send writes one event and flushes it.
func (s *sse) send(id string, typ client.EventType, data any) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(data)
	if err != nil {
		s.err = err
		return
	}
	if _, s.err = fmt.Fprintf(s.w, "id: %s\nevent: %s\ndata: %s\n\n", id, typ, b); s.err == nil {
		s.err = s.rc.Flush()
	}
}

// raw writes lines that are no event (a reconnection delay, or a comment
// clients skip: a heartbeat) and flushes them.
func (s *sse) raw(lines string) {
	if s.err != nil {
		return
	}
	if _, s.err = fmt.Fprint(s.w, lines); s.err == nil {
		s.err = s.rc.Flush()
	}
}
