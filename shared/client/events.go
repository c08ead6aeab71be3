package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// EventType names an event of a job's event stream
// (GET /v1/jobs/{id}/events, text/event-stream).
type EventType string

// The events of a job's stream. A stream opens with a snapshot (unless it
// resumes after Last-Event-ID), then sends a step event per step
// transition and a job event when the job starts, and closes after the
// end event.
const (
	// EventSnapshot carries the whole job (Event.Job) as it is when the
	// stream opens.
	EventSnapshot EventType = "snapshot"
	// EventStep carries a step that changed (Event.Change).
	EventStep EventType = "step"
	// EventJob carries a change of the job's own status short of its end
	// (it starts, awaits review, runs again after a change): Event.Change
	// without a step.
	EventJob EventType = "job"
	// EventEnd carries the whole job as it ended (Event.Job); the stream
	// closes after it.
	EventEnd EventType = "end"
)

// LastEventIDHeader resumes an event stream after the event of that id:
// the events the client missed are sent, and none it had.
const LastEventIDHeader = "Last-Event-ID"

// Change is the data of a step or job event: what changed, and the job's
// status and progress once the change is counted.
type Change struct {
	JobID  string    `json:"job_id"`
	Status JobStatus `json:"status"`
	// Progress is the share of the job's steps that have ended, counting
	// the events sent so far, in [0, 1].
	Progress float64 `json:"progress"`
	// Step is the step as it is now; absent from a job event.
	Step *Step `json:"step,omitempty"`
	// Seq numbers the step's states within its version (Step.Version) in
	// the order the pipeline moves through them (its status and attempt
	// made into one increasing number: pending 0, then for attempt a
	// queued 3a+1, running 3a, ended 3a+2). A step's events carry a higher
	// Seq than its last, or a higher version; a gap means the step passed
	// states no one read in between.
	Seq int `json:"seq"`
}

// Event is one event of a job's stream.
type Event struct {
	// ID resumes the stream after this event (LastEventIDHeader).
	ID   string
	Type EventType
	// Job is set for snapshot and end events.
	Job *Job
	// Change is set for step and job events.
	Change *Change
}

// sseReader reads Server-Sent Events (the text/event-stream format of the
// HTML standard): fields up to a blank line make one event; comment lines
// (heartbeats) are skipped.
type sseReader struct {
	sc *bufio.Scanner
	// retry is the reconnection delay the server asked for (0: none).
	retry time.Duration
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 8*1024*1024)
	return &sseReader{sc: sc}
}

// rawEvent is an event as sent: its id (nil when the event set none), type
// and data.
type rawEvent struct {
	id    *string
	event string
	data  string
}

// next returns the next event; io.EOF when the stream ended between
// events, io.ErrUnexpectedEOF when it ended within one.
func (s *sseReader) next() (rawEvent, error) {
	var ev rawEvent
	var data bytes.Buffer
	started := false
	for s.sc.Scan() {
		line := s.sc.Text()
		if line == "" {
			if !started {
				continue
			}
			ev.data = strings.TrimSuffix(data.String(), "\n")
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: heartbeat
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			if !strings.ContainsRune(value, 0) {
				v := value
				ev.id = &v
			}
			started = true
		case "event":
			ev.event = value
			started = true
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			started = true
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms >= 0 {
				s.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := s.sc.Err(); err != nil {
		return ev, err
	}
	if started {
		return ev, io.ErrUnexpectedEOF
	}
	return ev, io.EOF
}

// decode turns a raw event into an Event; an event of a type this client
// does not know is returned with neither Job nor Change.
func (r rawEvent) decode(lastID string) (Event, error) {
	e := Event{ID: lastID, Type: EventType(r.event)}
	if r.id != nil {
		e.ID = *r.id
	}
	switch e.Type {
	case EventSnapshot, EventEnd:
		e.Job = new(Job)
		if err := json.Unmarshal([]byte(r.data), e.Job); err != nil {
			return e, fmt.Errorf("decode %s event: %w", e.Type, err)
		}
	case EventStep, EventJob:
		e.Change = new(Change)
		if err := json.Unmarshal([]byte(r.data), e.Change); err != nil {
			return e, fmt.Errorf("decode %s event: %w", e.Type, err)
		}
	}
	return e, nil
}

// EventStream is one connection to a job's event stream. Next returns
// its events in order; the stream ends with io.EOF after the end event,
// or when the server closed it early (reconnect with Last-Event-ID; Watch
// does).
type EventStream struct {
	body   io.ReadCloser
	r      *sseReader
	lastID string
	ended  bool
}

// Events opens a job's event stream, after lastEventID when not empty
// (only the events after it come). It returns an *Error for an answer
// other than a stream (a 404 for an unknown job, a 503 with RetryAfter
// when the instance serves too many streams); a stream of a job whose
// end the client has seen (204) is returned already ended.
func (c *Client) Events(ctx context.Context, id, lastEventID string) (*EventStream, error) {
	h := http.Header{"Accept": {"text/event-stream"}}
	if lastEventID != "" {
		h.Set(LastEventIDHeader, lastEventID)
	}
	resp, err := c.send(ctx, http.MethodGet, jobPath(id)+"/events", h, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNoContent {
		resp.Body.Close()
		return &EventStream{lastID: lastEventID, ended: true, r: newSSEReader(strings.NewReader(""))}, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s/events: answered %s, not an event stream", jobPath(id), ct)
	}
	return &EventStream{body: resp.Body, r: newSSEReader(resp.Body), lastID: lastEventID}, nil
}

// Next returns the next event. After the end event, or when the stream
// closed, it returns io.EOF; a connection that broke within an event
// returns io.ErrUnexpectedEOF or the network's error.
func (s *EventStream) Next() (Event, error) {
	if s.ended {
		return Event{}, io.EOF
	}
	raw, err := s.r.next()
	if err != nil {
		return Event{}, err
	}
	e, err := raw.decode(s.lastID)
	if err != nil {
		return e, err
	}
	s.lastID = e.ID
	if e.Type == EventEnd {
		s.ended = true
	}
	return e, nil
}

// LastEventID is the id of the last event read: where to resume.
func (s *EventStream) LastEventID() string { return s.lastID }

// Ended reports whether the end event was read (or the server said the
// stream is over).
func (s *EventStream) Ended() bool { return s.ended }

// Close closes the connection.
func (s *EventStream) Close() error {
	if s.body == nil {
		return nil
	}
	return s.body.Close()
}

// retryDelay is how long to wait before reconnecting: what the server
// asked for, else a second.
func (s *EventStream) retryDelay() time.Duration {
	if s.r.retry > 0 {
		return s.r.retry
	}
	return time.Second
}

// WatchReconnects bounds how many times in a row Watch reconnects after a
// connection that failed without bringing a single event.
const WatchReconnects = 5

// Watch follows a job's event stream until the job ends and returns the
// job as it ended. each, when not nil, is given every event in order.
// When the connection drops or the server ends the stream early (it does
// before its function's timeout), Watch reconnects with the last event's
// id and so loses and repeats nothing; it gives up after WatchReconnects
// failed connections in a row, waiting Retry-After when the API is busy.
// A problem other than a busy API (404 job_not_found, 401) returns at
// once as an *Error. lastEventID resumes an earlier Watch (empty: from a
// snapshot).
func (c *Client) Watch(ctx context.Context, id, lastEventID string, each func(Event)) (*Job, error) {
	failures := 0
	last := lastEventID
	for {
		s, err := c.Events(ctx, id, last)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !retryable(err) {
				return nil, err
			}
			if failures++; failures > WatchReconnects {
				return nil, fmt.Errorf("watch job %s: %d connections failed: %w", id, failures, err)
			}
			if err := sleep(ctx, wait(failures, err)); err != nil {
				return nil, err
			}
			continue
		}
		job, err := c.follow(s, each)
		s.Close()
		switch {
		case job != nil:
			return job, nil
		case s.Ended():
			// The end was seen before (204): read the job as it ended.
			return c.Get(ctx, id)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err == nil || s.LastEventID() != last:
			failures = 0 // the server ended the stream in order, or it brought events
		default:
			if failures++; failures > WatchReconnects {
				return nil, fmt.Errorf("watch job %s: %w", id, err)
			}
		}
		last = s.LastEventID()
		if err := sleep(ctx, s.retryDelay()); err != nil {
			return nil, err
		}
	}
}

// follow reads a stream until it closes; it returns the job of the end
// event, or nil and why the stream stopped (nil: closed by the server).
func (c *Client) follow(s *EventStream, each func(Event)) (*Job, error) {
	for {
		e, err := s.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if each != nil {
			each(e)
		}
		if e.Type == EventEnd {
			return e.Job, nil
		}
	}
}
