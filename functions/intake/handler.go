package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/telemetry"
)

// Message attributes a publisher may set.
const (
	// AttrOwner names the owner of the job (default DefaultOwner).
	AttrOwner = "owner"
	// AttrRequestID deduplicates: the same owner and request id make one
	// job however often they are published (default: the message id).
	AttrRequestID = "request_id"
)

// DefaultOwner owns jobs whose message names no owner.
const DefaultOwner = "intake"

// Submitter creates a job of a chosen id unless it exists.
type Submitter interface {
	SubmitOnce(ctx context.Context, id, owner string, req content.Request, origin string) (*pipeline.Job, bool, error)
}

// Recorder keeps the messages that were rejected.
type Recorder interface {
	Reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error
}

// CallbackChecker refuses callback URLs that lead into private networks.
type CallbackChecker interface {
	CheckRequest(ctx context.Context, req *content.Request) error
}

// SourceChecker checks a request's sources at submission
// (*sources.Checker).
type SourceChecker interface {
	CheckRequest(ctx context.Context, owner string, req *content.Request) error
}

// Handler turns content requests published by other systems into jobs,
// with the same validation as the API.
type Handler struct {
	jobs      Submitter
	rejects   Recorder
	callbacks CallbackChecker
	sources   SourceChecker
	voices    content.Voices
}

// WithVoices makes the handler refuse a request for podcast audio in a
// language the voices do not speak, as the API does.
func (h *Handler) WithVoices(v content.Voices) *Handler {
	h.voices = v
	return h
}

// New returns the intake handler; callbacks and sources may be nil (no
// check).
func New(jobs Submitter, rejects Recorder, callbacks CallbackChecker, sources SourceChecker) *Handler {
	return &Handler{jobs: jobs, rejects: rejects, callbacks: callbacks, sources: sources}
}

// JobID is the id of the job a request from another system makes: a hash
// of its owner and request id, so a redelivered or republished message
// finds its job instead of making another.
func JobID(owner, requestID string) string {
	return pipeline.KeyedID(queue.TopicRequests, owner, requestID)
}

// HandleEvent handles one content request. Invalid requests are recorded
// and acknowledged; only failures worth retrying return an error.
func (h *Handler) HandleEvent(ctx context.Context, e cloudevents.Event) error {
	msg, err := queue.FromEvent(e)
	if err != nil {
		return h.reject(ctx, queue.Message{ID: e.ID()}, "malformed_message", err.Error(), nil)
	}
	ctx = queue.Context(ctx, msg.Attributes)
	ctx = logging.With(ctx, slog.String("message_id", msg.ID))
	owner := msg.Attributes[AttrOwner]
	if owner == "" {
		owner = DefaultOwner
	}
	if !auth.ValidOwner(owner) {
		return h.reject(ctx, msg, "invalid_owner", fmt.Sprintf("attribute %q is not a valid owner name", AttrOwner), nil)
	}
	requestID := msg.Attributes[AttrRequestID]
	if requestID == "" {
		requestID = msg.ID
	}
	req, err := content.ParseRequest(msg.Data)
	if err == nil {
		if err = h.check(ctx, owner, &req); err != nil && !errors.As(err, new(*content.InvalidError)) {
			return err // cannot be checked for now: retry
		}
	}
	var de *content.DecodeError
	var ie *content.InvalidError
	switch {
	case errors.As(err, &de):
		return h.reject(ctx, msg, de.Code, de.Detail, nil)
	case errors.As(err, &ie):
		return h.reject(ctx, msg, "invalid_request", ie.Error(), ie.Errors)
	case err != nil:
		return h.reject(ctx, msg, "invalid_request", err.Error(), nil)
	}
	id := JobID(owner, requestID)
	job, created, err := h.jobs.SubmitOnce(ctx, id, owner, req, "pubsub")
	if errors.Is(err, pipeline.ErrMismatch) {
		return h.reject(ctx, msg, "request_id_reused", fmt.Sprintf("request_id %q was used before with a different request (job %s)", requestID, id), nil)
	}
	if err == nil && !created {
		logging.From(ctx).InfoContext(ctx, "request already has its job", "job_id", id)
		return nil
	}
	if ex := (*ratelimit.Exceeded)(nil); errors.As(err, &ex) {
		// Pub/Sub delivers it again, with backoff, until the owner's limits
		// admit it or it is dead-lettered.
		logging.From(ctx).WarnContext(ctx, "admission refused", "code", ex.Code, "limiter", "ledger")
		telemetry.LimitRefused(ctx, ex.Code, "ledger")
	}
	if err != nil {
		return fmt.Errorf("submit request %s: %w", requestID, err)
	}
	logging.From(ctx).InfoContext(ctx, "request accepted", "job_id", job.ID, "owner", owner)
	return nil
}

// check checks what a request names outside itself, as the API does: the
// callback URL, the sources and the voices of its language. Refused fields are one
// *content.InvalidError; any other error means "not now".
func (h *Handler) check(ctx context.Context, owner string, req *content.Request) error {
	var fields []content.FieldError
	if h.callbacks != nil {
		if err := h.callbacks.CheckRequest(ctx, req); err != nil {
			var ie *content.InvalidError
			if !errors.As(err, &ie) {
				return fmt.Errorf("check the callback URL: %w", err)
			}
			fields = append(fields, ie.Errors...)
		}
	}
	if h.sources != nil {
		if err := h.sources.CheckRequest(ctx, owner, req); err != nil {
			var ie *content.InvalidError
			if !errors.As(err, &ie) {
				return fmt.Errorf("check the sources: %w", err)
			}
			fields = append(fields, ie.Errors...)
		}
	}
	if h.voices != nil {
		var ie *content.InvalidError
		if errors.As(content.CheckVoices(h.voices, req), &ie) {
			fields = append(fields, ie.Errors...)
		}
	}
	if len(fields) > 0 {
		return &content.InvalidError{Errors: fields}
	}
	return nil
}

func (h *Handler) reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error {
	logging.From(ctx).WarnContext(ctx, "content request rejected", "code", code, "reason", reason)
	if err := h.rejects.Reject(ctx, msg, code, reason, fields); err != nil {
		return fmt.Errorf("record rejected message: %w", err)
	}
	return nil
}
