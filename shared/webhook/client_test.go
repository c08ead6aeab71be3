package webhook_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/webhook"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test")

var keys = [][]byte{secret}

// receiver is an httptest TLS server that records the deliveries it gets.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []*http.Request
	// bodies holds the body of each delivery.
	bodies [][]byte
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req)
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
		if h != nil {
			h(w, req)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// route is the explicit test seam: what the guard allowed to publicIP goes
// to the receiver on loopback.
func (r *receiver) route() *webhook.TestRoute {
	return &webhook.TestRoute{
		Public:   publicIP,
		Loopback: netip.MustParseAddrPort(r.srv.Listener.Addr().String()),
		RootCAs:  r.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
	}
}

func newClient(t *testing.T, res *resolver, rcv *receiver, o webhook.Options) *webhook.Client {
	t.Helper()
	o.TestRoute = rcv.route()
	c, err := webhook.NewClient(webhook.NewGuard(res), keys, o)
	require.NoError(t, err)
	return c
}

func TestDeliverSignsAndDelivers(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	now := time.Unix(1_800_000_000, 0)
	c := newClient(t, newResolver(), rcv, webhook.Options{Now: func() time.Time { return now }})
	body := []byte(`{"id":"job1:succeeded","type":"job.completed"}`)

	require.NoError(t, c.Deliver(context.Background(), "https://example.com/hooks/factory?x=1", "job1:succeeded", body))

	require.Equal(t, 1, rcv.count())
	req := rcv.got[0]
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/hooks/factory?x=1", req.URL.RequestURI())
	assert.Equal(t, "example.com", req.Host)
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Equal(t, "job1:succeeded", req.Header.Get(webhook.HeaderID))
	assert.Equal(t, "1800000000", req.Header.Get(webhook.HeaderTimestamp))
	assert.Equal(t, body, rcv.bodies[0])
	sig := req.Header.Get(webhook.HeaderSignature)
	assert.True(t, strings.HasPrefix(sig, "v1,"), sig)
	require.NoError(t, webhook.Verify(secret, req.Header, rcv.bodies[0], now.Add(time.Minute), 5*time.Minute))
	assert.ErrorIs(t, webhook.Verify([]byte("another secret, just as long as the first"), req.Header, rcv.bodies[0], now, 5*time.Minute), webhook.ErrSignature)
	assert.ErrorIs(t, webhook.Verify(secret, req.Header, append(rcv.bodies[0], ' '), now, 5*time.Minute), webhook.ErrSignature)
}

func TestDeliverRefusesWhatIsNotPublic(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	c := newClient(t, newResolver(), rcv, webhook.Options{})
	for raw, code := range refusedURLs {
		err := c.Deliver(context.Background(), raw, "e1", []byte(`{}`))
		var e *webhook.Error
		require.ErrorAs(t, err, &e, raw)
		assert.Equal(t, code, e.Code, "%s: %s", raw, e.Message)
	}
	assert.Zero(t, rcv.count(), "nothing reached the receiver")
}

func TestDNSRebindingIsRefusedAtDial(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	res := newResolver()
	c := newClient(t, res, rcv, webhook.Options{})
	g := webhook.NewGuard(res)
	for _, private := range []string{"127.0.0.1", "10.0.0.1", "::ffff:127.0.0.1", "169.254.169.254"} {
		host := "rebind-" + strings.NewReplacer(".", "-", ":", "-").Replace(private) + ".example.com"
		// Public when the request is submitted, private when it is delivered.
		res.set(host, []string{publicIP.String()}, []string{private})
		require.NoError(t, g.Check(context.Background(), "https://"+host+"/hook"), "public at submission")

		err := c.Deliver(context.Background(), "https://"+host+"/hook", "e1", []byte(`{}`))
		var e *webhook.Error
		require.ErrorAs(t, err, &e, private)
		assert.Equal(t, webhook.CodeForbiddenAddress, e.Code)
		assert.Equal(t, 2, res.called(host), "resolved again at delivery")
	}
	assert.Zero(t, rcv.count())
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	res := newResolver()
	var rcv *receiver
	rcv = newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-private-name":
			http.Redirect(w, r, "https://internal.example.com/hook", http.StatusTemporaryRedirect)
		case "/to-loopback":
			http.Redirect(w, r, rcv.srv.URL+"/hook", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "https://169.254.169.254/computeMetadata/v1/", http.StatusPermanentRedirect)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	c := newClient(t, res, rcv, webhook.Options{})
	for path, status := range map[string]int{"/to-private-name": 307, "/to-loopback": 302, "/to-metadata": 308} {
		err := c.Deliver(context.Background(), "https://example.com"+path, "e1", []byte(`{}`))
		var se *webhook.StatusError
		require.ErrorAs(t, err, &se, path)
		assert.Equal(t, status, se.Status)
		assert.False(t, se.Retryable())
		assert.Contains(t, err.Error(), "redirects are not followed")
	}
	assert.Zero(t, res.called("internal.example.com"), "the redirect target was never looked up")
	assert.Equal(t, 3, rcv.count(), "only the registered URL was called")
}

func TestReceiverAnswers(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/503":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/429":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/404":
			w.WriteHeader(http.StatusNotFound)
		case "/400":
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	c := newClient(t, newResolver(), rcv, webhook.Options{})
	for path, retryable := range map[string]bool{"/503": true, "/429": true, "/404": false, "/400": false} {
		err := c.Deliver(context.Background(), "https://example.com"+path, "e1", []byte(`{}`))
		var se *webhook.StatusError
		require.ErrorAs(t, err, &se, path)
		assert.Equal(t, retryable, se.Retryable(), path)
		assert.NotErrorIs(t, err, webhook.ErrRefused)
	}
}

func TestDeliverTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		<-release // answers only when the test is over, long after the timeout
	})
	defer close(release)
	c := newClient(t, newResolver(), rcv, webhook.Options{Timeout: 300 * time.Millisecond})
	// The receiver never answers while the test runs, so a return at all
	// is the timeout at work.
	err := c.Deliver(context.Background(), "https://example.com/slow", "e1", []byte(`{}`))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, webhook.ErrRefused)
	var se *webhook.StatusError
	assert.False(t, errors.As(err, &se))
}

func TestDeliverReadsABoundedResponse(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// Reading the endless answer to its end would run into the timeout
	// and fail the delivery.
	c := newClient(t, newResolver(), rcv, webhook.Options{Timeout: time.Minute})
	require.NoError(t, c.Deliver(context.Background(), "https://example.com/endless", "e1", []byte(`{}`)), "an endless answer is not read to its end")
}

func TestTLSIsVerified(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	route := rcv.route()
	route.RootCAs = nil // the system roots do not trust httptest's certificate
	c, err := webhook.NewClient(webhook.NewGuard(newResolver()), keys, webhook.Options{TestRoute: route})
	require.NoError(t, err)
	err = c.Deliver(context.Background(), "https://example.com/hook", "e1", []byte(`{}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	assert.Zero(t, rcv.count())
}

func TestNewClientChecksItsSettings(t *testing.T) {
	t.Parallel()
	g := webhook.NewGuard(newResolver())
	_, err := webhook.NewClient(g, [][]byte{[]byte("short")}, webhook.Options{})
	assert.Error(t, err)
	_, err = webhook.NewClient(g, nil, webhook.Options{})
	assert.Error(t, err)
	_, err = webhook.NewClient(nil, keys, webhook.Options{})
	assert.Error(t, err)
	_, err = webhook.NewClient(g, keys, webhook.Options{TestRoute: &webhook.TestRoute{
		Public: publicIP, Loopback: netip.MustParseAddrPort("10.0.0.1:443"),
	}})
	assert.Error(t, err, "a test route cannot open a private address")
	_, err = webhook.NewClient(g, keys, webhook.Options{TestRoute: &webhook.TestRoute{
		Public: netip.MustParseAddr("10.0.0.1"), Loopback: netip.MustParseAddrPort("127.0.0.1:4443"),
	}})
	assert.Error(t, err)
	_, err = webhook.NewClient(g, keys, webhook.Options{})
	assert.NoError(t, err)
}

func TestEveryKeySignsWhileASecretIsRotated(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, nil)
	now := time.Unix(1_800_000_000, 0)
	old := []byte("the old secret, still thirty-two bytes long")
	c, err := webhook.NewClient(webhook.NewGuard(newResolver()), [][]byte{secret, old}, webhook.Options{TestRoute: rcv.route(), Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, c.Deliver(context.Background(), "https://example.com/hook", "e1", []byte(`{"a":1}`)))

	require.Equal(t, 1, rcv.count())
	h := rcv.got[0].Header
	assert.Len(t, strings.Fields(h.Get(webhook.HeaderSignature)), 2)
	assert.NoError(t, webhook.Verify(secret, h, rcv.bodies[0], now, time.Minute), "a receiver with the new secret")
	assert.NoError(t, webhook.Verify(old, h, rcv.bodies[0], now, time.Minute), "a receiver still on the old secret")
	assert.ErrorIs(t, webhook.Verify([]byte("a third secret nobody signed with!!"), h, rcv.bodies[0], now, time.Minute), webhook.ErrSignature)
}
