package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/client"
)

// These tests run the client against small servers that answer as the API
// does; functions/api tests it against the real handler.

// serve starts a server with one handler and returns a client of it.
func serve(t *testing.T, h http.HandlerFunc) *client.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return client.New(srv.URL+"/", "cfk_secret", srv.Client())
}

func answer(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func TestAProblemBecomesAnError(t *testing.T) {
	t.Parallel()
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusUnprocessableEntity, "application/problem+json", `{"type":"urn:contentfactory:problem:invalid_request","title":"Unprocessable Entity","status":422,"code":"invalid_request","detail":"The request has invalid fields; see errors.","instance":"/v1/jobs","request_id":"req-12345678","errors":[{"field":"topic","code":"too_short","message":"topic must be at least 3 characters"},{"field":"formats[1]","code":"unknown_format","message":"\"essay\" is not a format"}]}`)
	})
	_, err := c.Submit(t.Context(), json.RawMessage(`{"topic":"x"}`), "")
	var e *client.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, client.Problem{
		Type: "urn:contentfactory:problem:invalid_request", Title: "Unprocessable Entity", Status: 422, Code: "invalid_request",
		Detail: "The request has invalid fields; see errors.", Instance: "/v1/jobs", RequestID: "req-12345678",
		Errors: []client.FieldError{
			{Field: "topic", Code: "too_short", Message: "topic must be at least 3 characters"},
			{Field: "formats[1]", Code: "unknown_format", Message: `"essay" is not a format`},
		},
	}, e.Problem)
	assert.Zero(t, e.RetryAfter)
	assert.Equal(t, "422 invalid_request: The request has invalid fields; see errors.\n  topic: topic must be at least 3 characters\n  formats[1]: \"essay\" is not a format", err.Error())
	assert.Equal(t, "invalid_request", client.ErrorCode(err))
	assert.Empty(t, client.ErrorCode(errors.New("not from the API")))
}

func TestRetryAfterIsRead(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header string
		want   string
	}{
		{"7", "7s"},
		{"", "0s"},
		{"soon", "0s"},
		{"Thu, 01 Jan 1970 00:00:00 GMT", "0s"}, // a date gone by
	} {
		api := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if c.header != "" {
				w.Header().Set("Retry-After", c.header)
			}
			answer(w, http.StatusTooManyRequests, "application/problem+json", `{"status":429,"code":"rate_limited","detail":"slow down"}`)
		})
		_, err := api.Usage(t.Context())
		var e *client.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, c.want, e.RetryAfter.String(), "Retry-After: %q", c.header)
		assert.Equal(t, "rate_limited", e.Code)
	}
}

func TestAnAnswerThatIsNoProblemStillBecomesAnError(t *testing.T) {
	t.Parallel()
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusBadGateway, "text/html", "<html>upstream went away</html>\n")
	})
	_, err := c.Get(t.Context(), "job-1")
	var e *client.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadGateway, e.Status)
	assert.Equal(t, "Bad Gateway", e.Code)
	assert.Equal(t, "<html>upstream went away</html>", e.Detail)
	assert.Equal(t, "502 Bad Gateway: <html>upstream went away</html>", err.Error())
}

func TestRequestsCarryTheCredentialTheKeyAndTheDocumentAsIs(t *testing.T) {
	t.Parallel()
	type seen struct{ method, uri, auth, contentType, key, body string }
	var mu sync.Mutex
	var got []seen
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"), string(b)})
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/jobs":
			answer(w, http.StatusAccepted, "application/json", `{"id":"job-1","status":"queued","topic":"Tides","formats":["outline"],"created_at":"2025-03-01T09:30:00Z","links":{"self":"http://x/v1/jobs/job-1"}}`)
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			answer(w, http.StatusOK, "application/json", `{"jobs":[],"links":{}}`)
		}
	})
	doc := `{"topic": "Tides", "unknown": 1}`
	j, err := c.Submit(t.Context(), json.RawMessage(doc), "key-1")
	require.NoError(t, err)
	assert.Equal(t, "job-1", j.ID)
	assert.Equal(t, client.JobQueued, j.Status)
	_, err = c.List(t.Context(), 0, "")
	require.NoError(t, err)
	_, err = c.List(t.Context(), 2, "a/b+c")
	require.NoError(t, err)
	require.NoError(t, c.Delete(t.Context(), "job 1"))

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []seen{
		{http.MethodPost, "/v1/jobs", "Bearer cfk_secret", "application/json", "key-1", doc},
		{http.MethodGet, "/v1/jobs", "Bearer cfk_secret", "", "", ""},
		{http.MethodGet, "/v1/jobs?page_size=2&page_token=a%2Fb%2Bc", "Bearer cfk_secret", "", "", ""},
		{http.MethodDelete, "/v1/jobs/job%201", "Bearer cfk_secret", "", "", ""},
	}, got)
}

func TestArtifactFollowsTheRedirectWithoutTheCredential(t *testing.T) {
	t.Parallel()
	var storageAuth atomic.Value
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		storageAuth.Store(r.Header.Get("Authorization"))
		if r.URL.Path == "/gone" {
			http.Error(w, "expired", http.StatusForbidden)
			return
		}
		answer(w, http.StatusOK, "application/json", `{"title":"Tides"}`)
	}))
	t.Cleanup(storage.Close)
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/jobs/job-1/artifacts/outline.json":
			http.Redirect(w, r, storage.URL+"/signed?X-Goog-Signature=abc", http.StatusFound)
		case "/v1/jobs/job-1/artifacts/old.json":
			http.Redirect(w, r, storage.URL+"/gone", http.StatusFound)
		case "/v1/jobs/job-1/artifacts/odd.json":
			w.WriteHeader(http.StatusNoContent)
		default:
			answer(w, http.StatusNotFound, "application/problem+json", `{"status":404,"code":"artifact_not_found","detail":"no such artifact"}`)
		}
	})

	body, err := c.Artifact(t.Context(), "job-1", "outline.json")
	require.NoError(t, err)
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, `{"title":"Tides"}`, string(b))
	assert.Equal(t, "", storageAuth.Load(), "the signed URL is fetched without the credential")

	_, err = c.Artifact(t.Context(), "job-1", "old.json")
	assert.EqualError(t, err, "download: 403 Forbidden")
	_, err = c.Artifact(t.Context(), "job-1", "odd.json")
	assert.EqualError(t, err, "no download link (status 204 No Content)")
	_, err = c.Artifact(t.Context(), "job-1", "nope.png")
	assert.Equal(t, "artifact_not_found", client.ErrorCode(err))
}

// jobServer answers GET /v1/jobs/job-1 with the statuses in turn, the
// last one ever after, and counts the readings.
func jobServer(t *testing.T, reads *atomic.Int32, statuses ...client.JobStatus) *client.Client {
	t.Helper()
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := int(reads.Add(1)) - 1
		s := statuses[min(n, len(statuses)-1)]
		answer(w, http.StatusOK, "application/json", `{"id":"job-1","status":"`+string(s)+`","steps":[],"artifacts":[]}`)
	})
}

func TestWaitReadsUntilTheJobEnds(t *testing.T) {
	t.Parallel()
	var reads atomic.Int32
	c := jobServer(t, &reads, client.JobQueued, client.JobRunning, client.JobRunning, client.JobPartial)
	var seen []client.JobStatus
	j, err := c.Wait(t.Context(), "job-1", 1, func(j *client.Job) { seen = append(seen, j.Status) })
	require.NoError(t, err)
	assert.Equal(t, client.JobPartial, j.Status)
	assert.Equal(t, []client.JobStatus{client.JobQueued, client.JobRunning, client.JobRunning, client.JobPartial}, seen, "every reading, the last included")
	assert.EqualValues(t, 4, reads.Load(), "no reading after the job ended")
}

func TestWaitStopsWithItsContext(t *testing.T) {
	t.Parallel()
	var reads atomic.Int32
	c := jobServer(t, &reads, client.JobRunning)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// An interval no test waits out: only the context can end the wait.
	j, err := c.Wait(ctx, "job-1", 1<<62, func(*client.Job) { cancel() })
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, j, "the last reading is returned")
	assert.Equal(t, client.JobRunning, j.Status)
	assert.EqualValues(t, 1, reads.Load())
}

func TestWaitReturnsAFailedReading(t *testing.T) {
	t.Parallel()
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusNotFound, "application/problem+json", `{"status":404,"code":"job_not_found","detail":"There is no job \"job-1\"."}`)
	})
	j, err := c.Wait(t.Context(), "job-1", 1, nil)
	assert.Nil(t, j)
	assert.Equal(t, "job_not_found", client.ErrorCode(err))
}

func TestStatusesKnowWhenTheyHaveEnded(t *testing.T) {
	t.Parallel()
	for s, want := range map[client.JobStatus]bool{
		client.JobQueued: false, client.JobRunning: false,
		client.JobSucceeded: true, client.JobPartial: true, client.JobFailed: true, client.JobCancelled: true,
	} {
		assert.Equal(t, want, s.Terminal(), s)
	}
	for s, want := range map[client.StepStatus]bool{
		client.StepPending: false, client.StepQueued: false, client.StepRunning: false,
		client.StepSucceeded: true, client.StepFailed: true, client.StepSkipped: true,
	} {
		assert.Equal(t, want, s.Terminal(), s)
	}
}

func TestJobFindsItsStep(t *testing.T) {
	t.Parallel()
	j := client.Job{Steps: []client.Step{{Name: "outline", Status: client.StepSucceeded}, {Name: "faqs", Status: client.StepFailed}}}
	s, ok := j.Step("faqs")
	assert.True(t, ok)
	assert.Equal(t, client.StepFailed, s.Status)
	_, ok = j.Step("audio")
	assert.False(t, ok)
}

func TestKeyedChangesAreSentAgainWhenTheyMayPass(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(c *client.Client, key string) error{
		"regenerate": func(c *client.Client, key string) error {
			_, err := c.Regenerate(context.Background(), "job-1", "faqs", "More questions.", key)
			return err
		},
		"put document": func(c *client.Client, key string) error {
			_, err := c.PutDocument(context.Background(), "job-1", "faqs", json.RawMessage(`{"faqs":[]}`), key)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			var keys sync.Map
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				keys.Store(r.Header.Get("Idempotency-Key"), true)
				if calls.Add(1)%2 == 1 { // every first try: busy
					w.Header().Set("Retry-After", "0")
					answer(w, http.StatusServiceUnavailable, "application/problem+json", `{"status":503,"code":"unavailable","detail":"busy"}`)
					return
				}
				answer(w, http.StatusAccepted, "application/json", `{"id":"job-1","status":"running"}`)
			}).WithRetry(client.Retry{Attempts: 3, MaxWait: time.Second})

			require.NoError(t, change(c, "key-1"), "with a key, the 503 is retried")
			assert.Equal(t, int32(2), calls.Load())
			_, seen := keys.Load("key-1")
			assert.True(t, seen)

			var e *client.Error
			require.ErrorAs(t, change(c, ""), &e, "without a key, the change is sent once")
			assert.Equal(t, http.StatusServiceUnavailable, e.Status)
			assert.Equal(t, int32(3), calls.Load())
		})
	}
}
