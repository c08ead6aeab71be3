package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// IdempotencyKeyHeader makes a submission safe to retry: the same key and
// body give the same job and answer; the same key with another body is
// refused (idempotency_key_reused).
const IdempotencyKeyHeader = "Idempotency-Key"

// DefaultPollInterval is how often Wait reads a job when not told.
const DefaultPollInterval = 500 * time.Millisecond

// Client calls the API. Its methods are safe for concurrent use. Every
// call is bounded by its context and by what the *http.Client it was
// given bounds; the client adds no timeout of its own.
type Client struct {
	base       string
	credential string
	// api carries the calls to the API; it never follows a redirect, so
	// the credential goes nowhere else.
	api *http.Client
	// download fetches signed URLs, without the credential.
	download *http.Client
	retry    Retry
}

// New returns a client of the API at baseURL (such as
// "https://api.example.com") that authenticates with credential, an API
// key or a Google-signed ID token, sent as a bearer token. hc carries the
// requests (nil: http.DefaultClient); the API's own redirects are read,
// not followed.
func New(baseURL, credential string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	api := *hc
	api.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: strings.TrimSuffix(baseURL, "/"), credential: credential, api: &api, download: hc, retry: DefaultRetry}
}

// Submit asks for a job and returns it as created. request is the request
// document (content.Request's JSON; README "The request"), sent as it is
// so that the API judges every field, an unknown one included.
// idempotencyKey, when not empty, makes the call safe to repeat: the same
// key and document answer the same job.
//
// With a key, a submission that fails for a reason that may pass (429, a
// 5xx, a broken connection) is sent again, up to the client's Retry
// policy, waiting with backoff and at least what Retry-After asked: the
// key makes every try the same submission. Without a key nothing is
// retried, since a lost answer may hide a job that was made.
func (c *Client) Submit(ctx context.Context, request json.RawMessage, idempotencyKey string) (*JobSummary, error) {
	var j JobSummary
	if err := c.keyed(ctx, http.MethodPost, "/v1/jobs", idempotencyKey, request, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// keyed makes a call that changes something, with its idempotency key
// (none when empty). With a key, a call that fails for a reason that may
// pass is sent again by the client's Retry policy, waiting with backoff
// and at least what Retry-After asked; without one it is sent once.
func (c *Client) keyed(ctx context.Context, method, path, idempotencyKey string, body []byte, out any) error {
	var h http.Header
	if idempotencyKey != "" {
		h = http.Header{IdempotencyKeyHeader: {idempotencyKey}}
	}
	for try := 1; ; try++ {
		_, err := c.call(ctx, method, path, h, body, out)
		if err == nil {
			return nil
		}
		if idempotencyKey == "" || try >= c.retry.Attempts || ctx.Err() != nil || !retryable(err) {
			return err
		}
		d := wait(try, err)
		if d > c.retry.MaxWait {
			return err // a wait this long (a budget until midnight) is the caller's to decide
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Retry is how a client retries a submission that carries an idempotency
// key: at most Attempts tries in all, never waiting longer than MaxWait
// before one.
type Retry struct {
	Attempts int
	MaxWait  time.Duration
}

// DefaultRetry is the retry policy of a new client.
var DefaultRetry = Retry{Attempts: 5, MaxWait: time.Minute}

// WithRetry returns a copy of the client that retries keyed submissions
// by r (Attempts 1: never).
func (c *Client) WithRetry(r Retry) *Client {
	cp := *c
	cp.retry = r
	return &cp
}

// NewIdempotencyKey returns a random key for one submission: send it with
// every try of that submission, and only with it.
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// retryable reports whether a failed call may succeed if sent again: a
// 429, a 5xx or a failure of the connection, but not a problem with the
// request itself, nor a context that ended.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status == http.StatusTooManyRequests || e.Status >= 500
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// wait is how long to wait before try+1: exponential backoff with full
// jitter from 500ms up to 30s, and at least what Retry-After asked.
func wait(try int, err error) time.Duration {
	d := backoff(try, 500*time.Millisecond, 30*time.Second)
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > d {
		d = e.RetryAfter
	}
	return d
}

// backoff is a random wait in [0, min(max, base·2^(try-1))].
func backoff(try int, base, max time.Duration) time.Duration {
	ceiling := base << min(try-1, 20)
	if ceiling > max || ceiling <= 0 {
		ceiling = max
	}
	return mrand.N(ceiling + 1)
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Get reads a job.
func (c *Client) Get(ctx context.Context, id string) (*Job, error) {
	var j Job
	if _, err := c.call(ctx, http.MethodGet, jobPath(id), nil, nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// List reads a page of the caller's jobs, newest first: pageSize of them
// (0: the API's default) from pageToken (empty: the first page). The
// page's NextPageToken reads the next one.
func (c *Client) List(ctx context.Context, pageSize int, pageToken string) (*JobList, error) {
	q := url.Values{}
	if pageSize > 0 {
		q.Set("page_size", strconv.Itoa(pageSize))
	}
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	path := "/v1/jobs"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l JobList
	if _, err := c.call(ctx, http.MethodGet, path, nil, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Cancel skips the steps of a job that have not started and returns the
// job; one that has already ended is refused (job_already_ended).
func (c *Client) Cancel(ctx context.Context, id string) (*JobSummary, error) {
	var j JobSummary
	if _, err := c.call(ctx, http.MethodPost, jobPath(id)+":cancel", nil, nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Delete erases a job, its steps, its request and every artifact.
func (c *Client) Delete(ctx context.Context, id string) error {
	_, err := c.call(ctx, http.MethodDelete, jobPath(id), nil, nil, nil)
	return err
}

// Usage reads the caller's standing against its limits today.
func (c *Client) Usage(ctx context.Context) (*UsageToday, error) {
	var u UsageToday
	if _, err := c.call(ctx, http.MethodGet, "/v1/usage", nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Artifact downloads an artifact of a job: it reads the API's redirect to
// a short-lived signed URL and fetches that without the credential. The
// caller reads and closes the body.
func (c *Client) Artifact(ctx context.Context, jobID, name string) (io.ReadCloser, error) {
	resp, err := c.call(ctx, http.MethodGet, jobPath(jobID)+"/artifacts/"+url.PathEscape(name), nil, nil, nil)
	if err != nil {
		return nil, err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("no download link (status %s)", resp.Status)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, err
	}
	r, err := c.download.Do(req)
	if err != nil {
		return nil, err
	}
	if r.StatusCode != http.StatusOK {
		r.Body.Close()
		return nil, fmt.Errorf("download: %s", r.Status)
	}
	return r.Body, nil
}

// Wait reads a job every interval (0: DefaultPollInterval) until it has
// ended, and returns it as it ended. each, when not nil, is given every
// reading as it arrives, the last one included. Wait stops early only
// when ctx ends (it returns the context's error) or a reading fails; it
// then returns the last job it read, nil if none, with the error.
func (c *Client) Wait(ctx context.Context, id string, interval time.Duration, each func(*Job)) (*Job, error) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	var last *Job
	for {
		j, err := c.Get(ctx, id)
		if err != nil {
			return last, err
		}
		last = j
		if each != nil {
			each(j)
		}
		if j.Status.Terminal() {
			return j, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
	}
}

// CreateUpload makes room for a file (POST /v1/uploads) and returns where
// and how to send it.
func (c *Client) CreateUpload(ctx context.Context, n NewUpload) (*Upload, error) {
	body, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	var u Upload
	if _, err := c.call(ctx, http.MethodPost, "/v1/uploads", nil, body, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// GetUpload reads an upload; another owner's is not found
// (upload_not_found).
func (c *Client) GetUpload(ctx context.Context, id string) (*Upload, error) {
	var u Upload
	if _, err := c.call(ctx, http.MethodGet, uploadPath(id), nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// DeleteUpload deletes an upload and its file before its time.
func (c *Client) DeleteUpload(ctx context.Context, id string) error {
	_, err := c.call(ctx, http.MethodDelete, uploadPath(id), nil, nil, nil)
	return err
}

// PutUpload sends a file's bytes to the URL an upload was given, with its
// signed headers, without the API's credential.
func (c *Client) PutUpload(ctx context.Context, u *Upload, data []byte) error {
	req, err := http.NewRequestWithContext(ctx, u.Method, u.UploadURL, bytes.NewReader(data))
	if err != nil {
		return err
	}
	for k, v := range u.Headers {
		if http.CanonicalHeaderKey(k) != "Content-Length" { // the transport sends the body's
			req.Header.Set(k, v)
		}
	}
	resp, err := c.download.Do(req)
	if err != nil {
		return fmt.Errorf("upload %s: %w", u.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload %s: %s", u.ID, resp.Status)
	}
	return nil
}

// Upload makes room for a file, sends it and returns the upload, ready to
// be named as a source's upload_id.
func (c *Client) Upload(ctx context.Context, filename, contentType string, data []byte) (*Upload, error) {
	u, err := c.CreateUpload(ctx, NewUpload{Filename: filename, ContentType: contentType, Size: int64(len(data))})
	if err != nil {
		return nil, err
	}
	if err := c.PutUpload(ctx, u, data); err != nil {
		return nil, err
	}
	return u, nil
}

func jobPath(id string) string { return "/v1/jobs/" + url.PathEscape(id) }

func uploadPath(id string) string { return "/v1/uploads/" + url.PathEscape(id) }

// call sends one request to the API. An answer under 400 is a success,
// decoded into out when out is not nil; any other is an *Error.
func (c *Client) call(ctx context.Context, method, path string, h http.Header, body []byte, out any) (*http.Response, error) {
	resp, err := c.send(ctx, method, path, h, body)
	if err != nil {
		return resp, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// send sends one request to the API and returns the answer unread when
// it is a success (under 400); any other is read into an *Error.
func (c *Client) send(ctx context.Context, method, path string, h http.Header, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.credential)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.api.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
		}
		return resp, newError(resp, data)
	}
	return resp, nil
}
