package ingest_test

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/webhook"
)

// publicIP stands for example.com: the guard allows it, and the test
// route sends connections to it to the local server.
var publicIP = netip.MustParseAddr("93.184.215.14")

// dns answers each name with its answers in turn (the last one again and
// again), so a name can change what it resolves to between two lookups.
type dns struct {
	mu      sync.Mutex
	answers map[string][]string
	calls   map[string]int
}

func newDNS() *dns {
	return &dns{answers: map[string][]string{
		"example.com":          {publicIP.String()},
		"internal.example.com": {"10.1.2.3"},
		"metadata.example.com": {"169.254.169.254"},
	}, calls: map[string]int{}}
}

func (d *dns) set(host string, answers ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.answers[host] = answers
}

func (d *dns) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	n := d.calls[host]
	d.calls[host]++
	return []net.IPAddr{{IP: net.ParseIP(a[min(n, len(a)-1)])}}, nil
}

// site is a local TLS server that answers as example.com, and counts what
// reached it.
type site struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits int
}

func newSite(t *testing.T, h http.HandlerFunc) *site {
	t.Helper()
	s := &site{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits++
		s.mu.Unlock()
		h(w, r)
	}))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func (s *site) fetcher(t *testing.T, res webhook.Resolver, timeout time.Duration) *ingest.Fetcher {
	t.Helper()
	f, err := ingest.NewFetcher(webhook.NewGuard(res), ingest.FetchOptions{Timeout: timeout, TestRoute: &webhook.TestRoute{
		Public:   publicIP,
		Loopback: netip.MustParseAddrPort(s.srv.Listener.Addr().String()),
		RootCAs:  s.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
	}})
	require.NoError(t, err)
	return f
}

func fetchCode(t *testing.T, err error) (string, bool) {
	t.Helper()
	e, ok := ingest.AsError(err)
	require.True(t, ok, "want an *ingest.Error, got %v", err)
	assert.NotEmpty(t, e.Message)
	return e.Code, e.Transient
}

const article = "<html><body><article><h1>Tides</h1><p>The Moon pulls the sea.</p></article></body></html>"

func TestFetchFollowsRedirectsToThePage(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/tides?lang=en", http.StatusMovedPermanently)
		case "/tides":
			assert.Equal(t, ingest.UserAgent, r.Header.Get("User-Agent"))
			assert.Contains(t, r.Header.Get("Accept"), "application/pdf")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, article)
		default:
			http.NotFound(w, r)
		}
	})
	page, err := s.fetcher(t, newDNS(), 0).Fetch(t.Context(), "https://example.com/old#section-2", 1<<20)
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/tides?lang=en", page.URL)
	assert.Equal(t, "text/html; charset=utf-8", page.MediaType)
	assert.Equal(t, article, string(page.Data))
}

func TestFetchRefusals(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-private":
			http.Redirect(w, r, "https://internal.example.com/admin", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "https://metadata.example.com/computeMetadata/v1/", http.StatusFound)
		case "/to-loopback":
			http.Redirect(w, r, "https://127.0.0.1/", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://example.com/tides", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/big":
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, strings.Repeat("tides ", 1000))
		case "/big-chunked":
			w.Header().Set("Content-Type", "text/plain")
			for range 100 {
				_, _ = io.WriteString(w, strings.Repeat("tides ", 20))
				w.(http.Flusher).Flush()
			}
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "/image":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n"))
		case "/untyped":
			_, _ = w.Write([]byte("\x00\x01\x02"))
		case "/gone":
			http.Error(w, "gone", http.StatusNotFound)
		case "/busy":
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, article)
		}
	})
	res := newDNS()
	f := s.fetcher(t, res, 500*time.Millisecond)
	cases := map[string]struct {
		url       string
		code      string
		transient bool
	}{
		"a private address":               {"https://internal.example.com/", ingest.CodeLinkRefused, false},
		"a literal loopback address":      {"https://127.0.0.1/", ingest.CodeLinkRefused, false},
		"the metadata server":             {"https://169.254.169.254/computeMetadata/v1/", ingest.CodeLinkRefused, false},
		"another port":                    {"https://example.com:8443/", ingest.CodeLinkRefused, false},
		"plain http":                      {"http://example.com/", ingest.CodeLinkRefused, false},
		"credentials in the URL":          {"https://user:pw@example.com/", ingest.CodeLinkRefused, false},
		"a redirect to a private address": {"https://example.com/to-private", ingest.CodeLinkRefused, false},
		"a redirect to the metadata host": {"https://example.com/to-metadata", ingest.CodeLinkRefused, false},
		"a redirect to loopback":          {"https://example.com/to-loopback", ingest.CodeLinkRefused, false},
		"a redirect to http":              {"https://example.com/to-http", ingest.CodeLinkRefused, false},
		"endless redirects":               {"https://example.com/loop", ingest.CodeLinkRedirects, false},
		"over the size limit":             {"https://example.com/big", ingest.CodeTooLarge, false},
		"over the limit, unannounced":     {"https://example.com/big-chunked", ingest.CodeTooLarge, false},
		"too slow":                        {"https://example.com/slow", ingest.CodeLinkTimeout, true},
		"an image":                        {"https://example.com/image", ingest.CodeUnsupportedType, false},
		"no content type":                 {"https://example.com/untyped", ingest.CodeUnsupportedType, false},
		"not found":                       {"https://example.com/gone", ingest.CodeLinkStatus, false},
		"unavailable":                     {"https://example.com/busy", ingest.CodeLinkStatus, true},
		"a name that does not resolve":    {"https://nowhere.example.com/", ingest.CodeLinkRefused, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := f.Fetch(t.Context(), c.url, 4096)
			code, transient := fetchCode(t, err)
			assert.Equal(t, c.code, code)
			assert.Equal(t, c.transient, transient)
		})
	}
}

// A name that resolved to a public address when the request was checked
// and to a private one when the link is fetched (DNS rebinding) reaches
// nothing: the fetch resolves again and the socket check refuses it.
func TestFetchRefusesDNSRebinding(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, article)
	})
	res := newDNS()
	res.set("rebind.example.com", publicIP.String(), "127.0.0.1")
	g := webhook.NewGuard(res)
	require.NoError(t, g.CheckLink(t.Context(), "https://rebind.example.com/tides"), "public when checked")
	_, err := s.fetcher(t, res, 0).Fetch(t.Context(), "https://rebind.example.com/tides", 4096)
	code, _ := fetchCode(t, err)
	assert.Equal(t, ingest.CodeLinkRefused, code)
	assert.Zero(t, s.count(), "nothing reached the server")
}

// Without the test route, nothing on this machine is reachable: the
// production fetcher cannot be pointed at loopback.
func TestProductionFetcherReachesNoLoopback(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, article)
	})
	res := newDNS()
	res.set("local.example.com", "127.0.0.1")
	f, err := ingest.NewFetcher(webhook.NewGuard(res), ingest.FetchOptions{})
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	for _, u := range []string{"https://local.example.com/", "https://127.0.0.1:" + port + "/", "https://localhost/"} {
		_, err := f.Fetch(t.Context(), u, 4096)
		code, _ := fetchCode(t, err)
		assert.Equal(t, ingest.CodeLinkRefused, code, u)
	}
	assert.Zero(t, s.count())
}
