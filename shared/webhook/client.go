package webhook

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"time"
)

// Limits of one delivery.
const (
	// MaxTimeout bounds a whole delivery: connect, TLS, request, response.
	MaxTimeout = 10 * time.Second
	// ConnectTimeout bounds establishing the TCP connection.
	ConnectTimeout = 3 * time.Second
	// TLSTimeout bounds the TLS handshake.
	TLSTimeout = 3 * time.Second
	// DefaultMaxResponseBytes bounds how much of a response body is read.
	DefaultMaxResponseBytes = 64 << 10
	maxHeaderBytes          = 16 << 10
)

// UserAgent identifies deliveries.
const UserAgent = "ContentFactory-Webhook/1"

// Options tune a Client. The zero value is the production setting.
type Options struct {
	// Timeout bounds a whole delivery; 0 or more than MaxTimeout means
	// MaxTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds how much of the receiver's response body is
	// read (and discarded); 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Now is the clock signatures are stamped with; nil means time.Now.
	Now func() time.Time
	// TestRoute is a test seam, off (nil) by default.
	TestRoute *TestRoute
}

// TestRoute is the explicit test seam that lets a Dialer (so a Client or a
// source fetcher) reach an httptest TLS server on loopback: a connection the guard allowed to the
// public address Public is made to Loopback instead, and the server's
// certificates are trusted through RootCAs. Every check still runs on the
// addresses the resolver answers; at the socket, Loopback (exactly that
// address and port) is the only non-public address allowed. Production
// code never sets it.
type TestRoute struct {
	Public   netip.Addr
	Loopback netip.AddrPort
	RootCAs  *x509.CertPool
}

// Client delivers signed events to callback URLs.
type Client struct {
	*Dialer
	keys    [][]byte
	timeout time.Duration
	maxBody int64
	now     func() time.Time
	http    *http.Client
}

// NewClient returns a client that checks every URL and every connection
// with guard and signs every delivery with each key (ParseSecrets; each
// MinSecretLen to MaxSecretLen bytes).
func NewClient(guard *Guard, keys [][]byte, o Options) (*Client, error) {
	if guard == nil {
		return nil, errors.New("webhook client: a guard is required")
	}
	if len(keys) == 0 {
		return nil, errors.New("webhook client: a signing key is required")
	}
	own := make([][]byte, len(keys))
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("webhook client: %w", err)
		}
		own[i] = bytes.Clone(k)
	}
	d, err := NewDialer(guard, o.TestRoute)
	if err != nil {
		return nil, fmt.Errorf("webhook client: %w", err)
	}
	c := &Client{Dialer: d, keys: own, timeout: o.Timeout, maxBody: o.MaxResponseBytes, now: o.Now}
	if c.timeout <= 0 || c.timeout > MaxTimeout {
		c.timeout = MaxTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	t := d.Transport()
	t.ResponseHeaderTimeout = c.timeout
	t.MaxResponseHeaderBytes = maxHeaderBytes
	t.DisableCompression = true
	c.http = &http.Client{
		Timeout:   c.timeout,
		Transport: t,
		// Redirects are not followed: the receiver answers at the URL it
		// registered, and a 3xx is an answer like any other.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// StatusError is a delivery the receiver answered with a status other
// than 2xx.
type StatusError struct {
	Status int
}

func (e *StatusError) Error() string {
	if e.Status >= 300 && e.Status < 400 {
		return fmt.Sprintf("the receiver answered %d (redirects are not followed)", e.Status)
	}
	return fmt.Sprintf("the receiver answered %d", e.Status)
}

// Retryable reports a status that asks to try again later: 5xx, 408 and
// 429.
func (e *StatusError) Retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

// Deliver POSTs body (a JSON document) to rawURL, signed as Standard
// Webhooks signs (webhook-id, webhook-timestamp, webhook-signature), with
// id as its webhook-id. It returns nil on a 2xx answer, an *Error (errors.Is
// ErrRefused) when the URL or the address connected to is refused, a
// *StatusError for another answer, and any other error for a delivery that
// did not complete (a timeout, a refused connection, a TLS failure).
func (c *Client) Deliver(ctx context.Context, rawURL, id string, body []byte) error {
	u, err := c.guard.parse(rawURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return refuse(CodeInvalidURL, "must be a URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range Headers(c.keys, id, c.now(), body) {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var refused *Error
		if errors.As(err, &refused) {
			return refused
		}
		return fmt.Errorf("deliver to %s: %w", u.Hostname(), err)
	}
	defer resp.Body.Close()
	// Read a bounded amount so the connection can be reused; the content
	// does not matter.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, c.maxBody))
	if resp.StatusCode/100 != 2 {
		return &StatusError{Status: resp.StatusCode}
	}
	return nil
}
