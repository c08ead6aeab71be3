package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is an answer of the API that is not a success: its problem
// document, and how long to wait before trying again when the API said
// (429 and 503 answers). Branch on Code:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == "job_not_found" { ... }
type Error struct {
	Problem
	// RetryAfter is the wait the Retry-After header asked for; zero when
	// there was none.
	RetryAfter time.Duration
}

// Error reads "404 job_not_found: There is no job …", then one line per
// invalid field.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %s", e.Status, e.Code, e.Detail)
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// ErrorCode is the problem code of the *Error in err's chain, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// newError reads a failed answer. A body that is no problem document (a
// proxy's error page) becomes one with the status text as its code and the
// body as its detail.
func newError(resp *http.Response, body []byte) *Error {
	e := &Error{RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	if json.Unmarshal(body, &e.Problem) != nil || e.Code == "" {
		e.Problem = Problem{Title: http.StatusText(resp.StatusCode), Code: http.StatusText(resp.StatusCode), Detail: strings.TrimSpace(string(body))}
	}
	e.Status = resp.StatusCode
	return e
}

// retryAfter reads a Retry-After value: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(0, secs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
