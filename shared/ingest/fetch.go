package ingest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/webhook"
)

// Limits of one link fetch.
const (
	// DefaultFetchTimeout bounds a whole fetch: every redirect, connection,
	// TLS handshake, the response and its body.
	DefaultFetchTimeout = 30 * time.Second
	// MaxRedirects is how many redirects a fetch follows.
	MaxRedirects = 5
)

// Codes of a link that cannot be fetched (besides the source codes: a
// served type no source may be is CodeUnsupportedType, a page over the
// limit CodeTooLarge).
const (
	// CodeLinkRefused: the URL, or a redirect, is not https on port 443,
	// names a local host, or leads to an address that is not public.
	CodeLinkRefused = "link_refused"
	// CodeLinkRedirects: more than MaxRedirects redirects.
	CodeLinkRedirects = "link_redirects"
	// CodeLinkTimeout: the fetch did not complete in time (retried).
	CodeLinkTimeout = "link_timeout"
	// CodeLinkStatus: the server answered with a status other than 2xx
	// (retried for 5xx, 408 and 429).
	CodeLinkStatus = "link_status"
	// CodeLinkUnreachable: no connection could be made (retried), or the
	// server's certificate is not valid for it.
	CodeLinkUnreachable = "link_unreachable"
)

// UserAgent identifies the fetches.
const UserAgent = "ContentFactory-Sources/1"

// FetchOptions tune a Fetcher; the zero value is the production setting.
type FetchOptions struct {
	// Timeout bounds a whole fetch (default DefaultFetchTimeout).
	Timeout time.Duration
	// TestRoute is the test seam of webhook.Dialer (nil in production).
	TestRoute *webhook.TestRoute
}

// Fetcher fetches the links sources name, through a webhook.Dialer: only
// https on port 443, only public addresses, checked again at every
// redirect and at every connection; bounded in redirects, time and size;
// only the types a source may be.
type Fetcher struct {
	dialer  *webhook.Dialer
	timeout time.Duration
	http    *http.Client
}

// NewFetcher returns a fetcher checked by guard.
func NewFetcher(guard *webhook.Guard, o FetchOptions) (*Fetcher, error) {
	d, err := webhook.NewDialer(guard, o.TestRoute)
	if err != nil {
		return nil, fmt.Errorf("link fetcher: %w", err)
	}
	f := &Fetcher{dialer: d, timeout: o.Timeout}
	if f.timeout <= 0 {
		f.timeout = DefaultFetchTimeout
	}
	t := d.Transport()
	t.ResponseHeaderTimeout = f.timeout
	t.MaxResponseHeaderBytes = 64 << 10
	f.http = &http.Client{
		Timeout:   f.timeout,
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fail(CodeLinkRedirects, "more than %d redirects", MaxRedirects)
			}
			if _, err := guard.ParseLink(req.URL.String()); err != nil {
				return err
			}
			return nil
		},
	}
	return f, nil
}

// Page is a fetched link.
type Page struct {
	// URL is where the content came from, after redirects.
	URL string
	// MediaType is the Content-Type the server declared, parameters
	// (charset) included.
	MediaType string
	Data      []byte
}

// accepted is the Accept header of a fetch: the types a source may be.
var accepted = strings.Join(append([]string{"application/xhtml+xml"}, MediaTypes...), ", ") + ";q=0.9"

// Fetch GETs a link and returns its body, at most maxBytes of it. Every
// failure is an *Error: CodeLinkRefused for an address or URL the guard
// refuses (at submission the API refuses those already; a redirect or a
// changed DNS answer may lead there later), CodeLinkRedirects,
// CodeLinkTimeout, CodeLinkStatus, CodeLinkUnreachable, CodeUnsupportedType
// for a Content-Type no source may be, CodeTooLarge for a body over
// maxBytes. Transient is set where trying again later may succeed.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, maxBytes int64) (Page, error) {
	u, err := f.dialer.Guard().ParseLink(rawURL)
	if err != nil {
		return Page{}, linkError(err)
	}
	u.Fragment = ""
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, fail(CodeLinkRefused, "not a URL: %v", err)
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", accepted)
	resp, err := f.http.Do(req)
	if err != nil {
		return Page{}, linkError(err)
	}
	defer resp.Body.Close()
	page := Page{URL: resp.Request.URL.String(), MediaType: resp.Header.Get("Content-Type")}
	if resp.StatusCode/100 != 2 {
		e := fail(CodeLinkStatus, "the server answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		e.Transient = resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
		return Page{}, e
	}
	if !servable(page.MediaType) {
		mt, _ := splitType(page.MediaType)
		if mt == "" {
			mt = "no Content-Type"
		}
		return Page{}, fail(CodeUnsupportedType, "the link serves %s; a source may be %s", mt, strings.Join(MediaTypes, ", "))
	}
	if resp.ContentLength > maxBytes {
		return Page{}, tooLarge(maxBytes)
	}
	page.Data, err = io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return Page{}, linkError(err)
	}
	if int64(len(page.Data)) > maxBytes {
		return Page{}, tooLarge(maxBytes)
	}
	return page, nil
}

func tooLarge(maxBytes int64) *Error {
	return fail(CodeTooLarge, "the link serves more than %s, the limit of the job's sources", size(maxBytes))
}

// size formats a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// servable reports a Content-Type a source may be.
func servable(mediaType string) bool {
	mt, _ := splitType(mediaType)
	if mt == "application/xhtml+xml" || mt == "text/x-markdown" {
		return true
	}
	for _, t := range MediaTypes {
		if mt == t {
			return true
		}
	}
	return false
}

// linkError turns what a fetch failed with into an *Error.
func linkError(err error) error {
	if e, ok := AsError(err); ok {
		return e
	}
	var refused *webhook.Error
	if errors.As(err, &refused) {
		if refused.Temporary {
			return &Error{Code: CodeLinkUnreachable, Message: refused.Message, Transient: true}
		}
		return fail(CodeLinkRefused, "%s (%s)", refused.Message, refused.Code)
	}
	var cert *x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var tlsCert *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{Code: CodeLinkTimeout, Message: "the link did not answer in time", Transient: true}
	case errors.As(err, &cert), errors.As(err, &host), errors.As(err, &invalid), errors.As(err, &tlsCert):
		return fail(CodeLinkUnreachable, "the server's certificate is not valid: %v", err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &Error{Code: CodeLinkUnreachable, Message: fmt.Sprintf("no connection could be made: %v", err), Transient: true}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
