package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/notify"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/queue/queuetest"
	"contentfactory.dev/factory/shared/webhook"
)

var secret = []byte("notify-test-secret-of-at-least-32-bytes")

var public = netip.MustParseAddr("93.184.215.14")

// resolver sends every name under example.com to a public address, except
// internal.example.com, which is private.
type resolver struct{}

func (resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	switch host {
	case "internal.example.com":
		return []net.IPAddr{{IP: net.ParseIP("10.0.0.1")}}, nil
	case "example.com", "hooks.example.com":
		return []net.IPAddr{{IP: public.AsSlice()}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// receiver answers deliveries with the status its path names and records
// what it got.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got, r.bodies = append(r.got, req), append(r.bodies, b)
		r.mu.Unlock()
		switch req.URL.Path {
		case "/404":
			w.WriteHeader(http.StatusNotFound)
		case "/503":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/301":
			http.Redirect(w, req, "https://internal.example.com/", http.StatusMovedPermanently)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	r.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) client(t *testing.T) *webhook.Client {
	t.Helper()
	c, err := webhook.NewClient(webhook.NewGuard(resolver{}), [][]byte{secret}, webhook.Options{TestRoute: &webhook.TestRoute{
		Public:   public,
		Loopback: netip.MustParseAddrPort(r.srv.Listener.Addr().String()),
		RootCAs:  r.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
	}})
	require.NoError(t, err)
	return c
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// jobWith stores a job whose request names callback (none when empty).
func jobWith(t *testing.T, st *pipelinetest.Store, id, callback string) pipeline.JobEvent {
	t.Helper()
	req := content.Request{Topic: "Tides", CallbackURL: callback}
	req.ApplyDefaults()
	now := time.Now().UTC().Truncate(time.Second)
	job := &pipeline.Job{ID: id, Owner: "alice", Status: pipeline.JobSucceeded, Topic: req.Topic, Formats: req.Formats, CreatedAt: now}
	st.Seed(job, &req, nil)
	job.FinishedAt = now
	return pipeline.NewJobEvent(job, nil)
}

func event(t *testing.T, id string, data []byte) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	e.SetSource("//pubsub.googleapis.com/projects/p/topics/job-events")
	require.NoError(t, e.SetData(cloudevents.ApplicationJSON, map[string]any{
		"message": map[string]any{"data": data, "attributes": map[string]string{"event_type": "job.completed"}, "messageId": id, "publishTime": time.Now()},
	}))
	return e
}

func jobEvent(t *testing.T, msgID string, ev pipeline.JobEvent) cloudevents.Event {
	t.Helper()
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return event(t, msgID, b)
}

func TestDeliversTheSignedEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rejects, rcv := pipelinetest.NewStore(), &queuetest.Rejects{}, newReceiver(t)
	h := notify.New(st, rejects, rcv.client(t))
	ev := jobWith(t, st, "job00000001", "https://hooks.example.com/factory?token=s3cr3t")

	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m1", ev)))

	require.Equal(t, 1, rcv.count())
	req, body := rcv.got[0], rcv.bodies[0]
	assert.Equal(t, "/factory?token=s3cr3t", req.URL.RequestURI())
	assert.Equal(t, ev.ID, req.Header.Get(webhook.HeaderID))
	require.NoError(t, webhook.Verify(secret, req.Header, body, time.Now(), 5*time.Minute))
	var got pipeline.JobEvent
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, ev.ID, got.ID)
	assert.Equal(t, "job00000001", got.JobID)
	assert.Equal(t, pipeline.JobSucceeded, got.Status)
	assert.Empty(t, rejects.List())
}

func TestNoCallbackNothingToDo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rejects := pipelinetest.NewStore(), &queuetest.Rejects{}
	d := &fakeDeliverer{}
	h := notify.New(st, rejects, d)
	ev := jobWith(t, st, "job00000002", "")
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m2", ev)))

	gone := ev
	gone.JobID, gone.ID = "job00000999", "job00000999:succeeded"
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m3", gone)), "an erased job: nothing to do")
	assert.Zero(t, d.calls)
	assert.Empty(t, rejects.List())
}

func TestRefusedAndRejectedAreAckedAndRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rejects, rcv := pipelinetest.NewStore(), &queuetest.Rejects{}, newReceiver(t)
	h := notify.New(st, rejects, rcv.client(t))

	// Stored before the guard existed, or rebound since: refused at delivery.
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m-private", jobWith(t, st, "job00000010", "https://internal.example.com/hook"))))
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m-meta", jobWith(t, st, "job00000011", "https://169.254.169.254/computeMetadata/v1/"))))
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m-404", jobWith(t, st, "job00000012", "https://example.com/404"))))
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m-301", jobWith(t, st, "job00000013", "https://example.com/301"))))

	got := rejects.List()
	require.Len(t, got, 4)
	byID := map[string]queuetest.Rejection{}
	for _, r := range got {
		byID[r.Msg.ID] = r
	}
	assert.Equal(t, notify.CodeRefused, byID["m-private"].Code)
	assert.Contains(t, byID["m-private"].Reason, webhook.CodeForbiddenAddress)
	assert.Equal(t, notify.CodeRefused, byID["m-meta"].Code)
	assert.Equal(t, notify.CodeRejected, byID["m-404"].Code)
	assert.Contains(t, byID["m-404"].Reason, "404")
	assert.Equal(t, notify.CodeRejected, byID["m-301"].Code)
	assert.Equal(t, 2, rcv.count(), "the 404 and the 301, not the private addresses nor the redirect target")
	for _, r := range got {
		assert.NotContains(t, r.Reason, "token", "no URL query is recorded")
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rejects, rcv := pipelinetest.NewStore(), &queuetest.Rejects{}, newReceiver(t)
	h := notify.New(st, rejects, rcv.client(t))
	err := h.HandleEvent(ctx, jobEvent(t, "m-503", jobWith(t, st, "job00000020", "https://example.com/503")))
	require.Error(t, err, "returned, so Pub/Sub redelivers")
	assert.Contains(t, err.Error(), "503")
	assert.Empty(t, rejects.List())
}

type fakeDeliverer struct {
	calls int
	err   error
}

func (f *fakeDeliverer) Deliver(context.Context, string, string, []byte) error {
	f.calls++
	return f.err
}

func TestTransientFailuresAreRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, err := range map[string]error{
		"timeout":     context.DeadlineExceeded,
		"connection":  errors.New("dial tcp 93.184.215.14:443: connect: connection refused"),
		"dns":         &webhook.Error{Code: webhook.CodeUnresolvable, Message: "try again later", Temporary: true},
		"429":         &webhook.StatusError{Status: http.StatusTooManyRequests},
		"500 wrapped": errors.Join(errors.New("x"), &webhook.StatusError{Status: 500}),
	} {
		st, rejects := pipelinetest.NewStore(), &queuetest.Rejects{}
		d := &fakeDeliverer{err: err}
		h := notify.New(st, rejects, d)
		require.Error(t, h.HandleEvent(ctx, jobEvent(t, "m", jobWith(t, st, "job00000030", "https://example.com/hook"))), name)
		assert.Equal(t, 1, d.calls, name)
		assert.Empty(t, rejects.List(), name)
	}
}

func TestDisabledWithoutASecret(t *testing.T) {
	t.Parallel()
	st, rejects := pipelinetest.NewStore(), &queuetest.Rejects{}
	h := notify.New(st, rejects, nil)
	var logs strings.Builder
	ctx := logging.Into(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)))
	require.NoError(t, h.HandleEvent(ctx, jobEvent(t, "m", jobWith(t, st, "job00000040", "https://example.com/hook?token=s3cr3t"))))
	assert.Empty(t, rejects.List())
	assert.Contains(t, logs.String(), "webhooks are disabled")
	assert.Contains(t, logs.String(), "FACTORY_WEBHOOK_SECRET")
	assert.NotContains(t, logs.String(), "s3cr3t", "the callback's query is not logged")
}

func TestJunkIsRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rejects := &queuetest.Rejects{}
	d := &fakeDeliverer{}
	h := notify.New(pipelinetest.NewStore(), rejects, d)
	require.NoError(t, h.HandleEvent(ctx, event(t, "j1", []byte(`not json`))))
	require.NoError(t, h.HandleEvent(ctx, event(t, "j2", []byte(`{"v":1,"job_id":"abcdefgh","step":"faqs"}`))))
	bad := cloudevents.NewEvent()
	bad.SetID("j3")
	bad.SetSource("//pubsub.googleapis.com/projects/p/topics/job-events")
	bad.SetType("x")
	require.NoError(t, bad.SetData(cloudevents.ApplicationJSON, []byte(`[1,2]`)))
	require.NoError(t, h.HandleEvent(ctx, bad))
	got := rejects.List()
	require.Len(t, got, 3)
	assert.Equal(t, "poison_message", got[0].Code)
	assert.Equal(t, "poison_message", got[1].Code)
	assert.Equal(t, "malformed_message", got[2].Code)
	assert.Zero(t, d.calls)
}

// A store that fails is retried, not recorded.
type failingRequests struct{}

func (failingRequests) Request(context.Context, string) (*content.Request, error) {
	return nil, errors.New("firestore unavailable")
}

func TestStoreFailureIsRetried(t *testing.T) {
	t.Parallel()
	rejects := &queuetest.Rejects{}
	ev := pipeline.JobEvent{ID: "job00000050:failed", Type: pipeline.EventFailed, JobID: "job00000050"}
	err := notify.New(failingRequests{}, rejects, &fakeDeliverer{}).HandleEvent(context.Background(), jobEvent(t, "m", ev))
	require.Error(t, err)
	assert.Empty(t, rejects.List())
}
