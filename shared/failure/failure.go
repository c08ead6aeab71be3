// Package failure is the small set of portable error kinds every port of
// the factory maps its failures to, as go-cloud's gcerrors does: not found,
// already exists, conflict, transient and permanent. Adapters (Firestore,
// Cloud Storage, Pub/Sub, the model backends) translate their SDK's errors
// at the edge; the pipeline and the functions branch on kinds only.
//
// Transient and permanent failures carry a stable, machine-readable code
// (such as "rate_limited", "storage_unavailable" or "content_filtered")
// that a failed step records and callers see.
package failure

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels of the kinds that are about a thing rather than an attempt;
// adapters wrap them (fmt.Errorf("...: %w", failure.ErrNotFound)).
var (
	// ErrNotFound: no such job, step, object or record.
	ErrNotFound = errors.New("not found")
	// ErrExists: what is being created exists already.
	ErrExists = errors.New("already exists")
	// ErrConflict: the write lost to a concurrent one, or the state it
	// assumed has changed; reading again and retrying may succeed.
	ErrConflict = errors.New("conflict")
)

// Kind is the portable kind of an error.
type Kind int

// The kinds.
const (
	KindUnknown Kind = iota
	KindNotFound
	KindExists
	KindConflict
	KindTransient
	KindPermanent
)

func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindExists:
		return "already exists"
	case KindConflict:
		return "conflict"
	case KindTransient:
		return "transient"
	case KindPermanent:
		return "permanent"
	}
	return "unknown"
}

// KindOf returns the kind of err: the sentinel it wraps, or the
// retryability of the *Error in its chain; Unknown otherwise.
func KindOf(err error) Kind {
	switch {
	case err == nil:
		return KindUnknown
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrExists):
		return KindExists
	case errors.Is(err, ErrConflict):
		return KindConflict
	}
	if e, ok := As(err); ok {
		if e.Retryable {
			return KindTransient
		}
		return KindPermanent
	}
	return KindUnknown
}

// Error is a failed attempt at some work, with a stable code: a retryable
// one may succeed later, any other will not.
type Error struct {
	// Code is stable and machine-readable, such as "rate_limited",
	// "content_filtered", "model_retired" or "storage_unavailable".
	Code string
	// Retryable errors are transient: the same call may succeed later.
	Retryable bool
	// RetryAfter is how long the service asked callers to wait, if it did.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code
	}
	return e.Code + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Transient wraps a failure worth retrying.
func Transient(code string, err error) error {
	return &Error{Code: code, Retryable: true, Err: err}
}

// Transientf is Transient with a formatted message.
func Transientf(code, format string, args ...any) error {
	return &Error{Code: code, Retryable: true, Err: fmt.Errorf(format, args...)}
}

// Permanent wraps a failure that will not go away by retrying.
func Permanent(code string, err error) error {
	return &Error{Code: code, Err: err}
}

// Permanentf is Permanent with a formatted message.
func Permanentf(code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// NotApplicableError is work that does not apply to what it was given,
// such as a timeline of sources that hold no dates: not a failure, so the
// step that meets it ends "not_applicable" with the reason, and its job
// does not count it against its outcome.
type NotApplicableError struct {
	// Reason says why, for the people reading the step.
	Reason string
}

func (e *NotApplicableError) Error() string { return "not applicable: " + e.Reason }

// NotApplicable returns the error of work that does not apply, and why.
func NotApplicable(reason string) error { return &NotApplicableError{Reason: reason} }

// AsNotApplicable returns the *NotApplicableError in err's chain, if any.
func AsNotApplicable(err error) (*NotApplicableError, bool) {
	var e *NotApplicableError
	ok := errors.As(err, &e)
	return e, ok
}
