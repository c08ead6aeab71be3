package client_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/client"
)

func TestEventsAreReadAsTheHTMLStandardWritesThem(t *testing.T) {
	t.Parallel()
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "retry: 250\n\n"+
			": keep-alive\n\n"+
			"id: c1\nevent: snapshot\ndata: {\"id\":\"job-1\",\"status\":\"queued\",\n"+
			"data: \"steps\":[],\"artifacts\":[]}\n\n"+
			"event: step\r\n"+ // no id: the last one stands
			"data: {\"job_id\":\"job-1\",\"status\":\"running\",\"progress\":0.5,\"step\":{\"name\":\"outline\",\"status\":\"running\",\"attempt\":1},\"seq\":3}\n\n"+
			"id: c3\nevent: surprise\ndata: {}\n\n"+
			"id: c4\nevent: end\ndata: {\"id\":\"job-1\",\"status\":\"succeeded\",\"steps\":[],\"artifacts\":[]}\n\n"+
			"id: c5\nevent: step\ndata: {}\n\n")
	})
	s, err := c.Events(t.Context(), "job-1", "")
	require.NoError(t, err)
	defer s.Close()
	var got []string
	for {
		e, err := s.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		line := e.ID + " " + string(e.Type)
		switch {
		case e.Job != nil:
			line += " job " + string(e.Job.Status)
		case e.Change != nil:
			line += fmt.Sprintf(" %s %s seq %d", e.Change.Step.Name, e.Change.Step.Status, e.Change.Seq)
		}
		got = append(got, line)
	}
	assert.Equal(t, []string{"c1 snapshot job queued", "c1 step outline running seq 3", "c3 surprise", "c4 end job succeeded"}, got,
		"data lines join, comments are skipped, an unknown event comes without data, nothing after the end")
	assert.Equal(t, "c4", s.LastEventID())
}

func TestWatchResumesAfterADroppedConnection(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var lastIDs []string
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		if n == 2 {
			answer(w, http.StatusServiceUnavailable, "application/problem+json", `{"status":503,"code":"too_many_streams","detail":"busy"}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		switch n {
		case 1: // a snapshot and a step, then the connection breaks mid-event
			_, _ = io.WriteString(w, "retry: 1\n\nid: a\nevent: snapshot\ndata: {\"id\":\"job-1\",\"status\":\"running\"}\n\n"+
				"id: b\nevent: step\ndata: {\"job_id\":\"job-1\",\"status\":\"running\",\"seq\":3,\"step\":{\"name\":\"outline\"}}\n\nid: c\nevent: st")
		case 3: // the server ends the stream in order (its timeout)
			_, _ = io.WriteString(w, "retry: 1\n\nid: c\nevent: step\ndata: {\"job_id\":\"job-1\",\"status\":\"running\",\"seq\":5,\"step\":{\"name\":\"outline\"}}\n\n")
		default:
			_, _ = io.WriteString(w, "id: d\nevent: end\ndata: {\"id\":\"job-1\",\"status\":\"succeeded\"}\n\n")
		}
	})
	var ids []string
	j, err := c.Watch(t.Context(), "job-1", "", func(e client.Event) { ids = append(ids, e.ID) })
	require.NoError(t, err)
	assert.Equal(t, client.JobSucceeded, j.Status)
	assert.Equal(t, []string{"a", "b", "c", "d"}, ids, "every event once")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"", "b", "b", "c"}, lastIDs, "each reconnection resumes after the last event read")
}

func TestWatchStopsAtAProblem(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		answer(w, http.StatusNotFound, "application/problem+json", `{"status":404,"code":"job_not_found","detail":"no job"}`)
	})
	_, err := c.Watch(t.Context(), "nope", "", nil)
	assert.Equal(t, "job_not_found", client.ErrorCode(err))
	assert.EqualValues(t, 1, calls.Load())
}

func TestKeyedSubmissionsAreRetriedAndOthersAreNot(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var keys []string
	fail := map[int]func(w http.ResponseWriter){
		0: func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			answer(w, http.StatusTooManyRequests, "application/problem+json", `{"status":429,"code":"rate_limited"}`)
		},
		1: func(w http.ResponseWriter) { // the connection breaks before the answer
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		},
		2: func(w http.ResponseWriter) {
			answer(w, http.StatusServiceUnavailable, "text/html", "<html>overloaded</html>")
		},
	}
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := len(keys)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if f := fail[n%4]; f != nil {
			f(w)
			return
		}
		answer(w, http.StatusAccepted, "application/json", `{"id":"job-1","status":"queued"}`)
	}).WithRetry(client.Retry{Attempts: 4, MaxWait: time.Minute})

	key := client.NewIdempotencyKey()
	assert.Len(t, key, 32)
	assert.NotEqual(t, key, client.NewIdempotencyKey())
	j, err := c.Submit(t.Context(), json.RawMessage(`{"topic":"Tides"}`), key)
	require.NoError(t, err)
	assert.Equal(t, "job-1", j.ID)
	mu.Lock()
	assert.Equal(t, []string{key, key, key, key}, keys, "the same key on every try")
	keys = nil
	mu.Unlock()

	_, err = c.Submit(t.Context(), json.RawMessage(`{"topic":"Tides"}`), "")
	assert.Equal(t, "rate_limited", client.ErrorCode(err), "without a key a failure is final")
	mu.Lock()
	assert.Len(t, keys, 1)
	mu.Unlock()

	var budgetCalls atomic.Int32
	bad := serve(t, func(w http.ResponseWriter, r *http.Request) {
		budgetCalls.Add(1)
		w.Header().Set("Retry-After", "3600")
		answer(w, http.StatusTooManyRequests, "application/problem+json", `{"status":429,"code":"budget_exceeded"}`)
	})
	_, err = bad.Submit(t.Context(), json.RawMessage(`{"topic":"Tides"}`), "k")
	assert.Equal(t, "budget_exceeded", client.ErrorCode(err))
	assert.EqualValues(t, 1, budgetCalls.Load(), "a wait over MaxWait is the caller's: no retry")
	for _, code := range []string{"invalid_request", "idempotency_key_reused"} {
		var n atomic.Int32
		c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			answer(w, http.StatusConflict, "application/problem+json", `{"status":409,"code":"`+code+`"}`)
		})
		_, err := c.Submit(t.Context(), json.RawMessage(`{}`), "k")
		assert.Equal(t, code, client.ErrorCode(err))
		assert.EqualValues(t, 1, n.Load(), "%s is not retried", code)
	}
}
