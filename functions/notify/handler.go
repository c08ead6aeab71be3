package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/telemetry"
	"contentfactory.dev/factory/shared/webhook"
)

// Name is the function's entry point.
const Name = "NotifyJob"

// Codes recorded in rejected_messages for an event that is not delivered.
const (
	// CodeRefused: the callback URL, or the address it resolved to at
	// delivery, is not allowed (a private network, for example).
	CodeRefused = "callback_refused"
	// CodeRejected: the receiver answered 4xx (or 3xx: redirects are not
	// followed); sending the same delivery again would not change that.
	CodeRejected = "callback_rejected"
)

// Requests reads the request a job was created from.
type Requests interface {
	Request(ctx context.Context, jobID string) (*content.Request, error)
}

// Recorder keeps the messages that were acknowledged without their work
// being done.
type Recorder interface {
	Reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error
}

// Deliverer delivers a signed event; *webhook.Client is one.
type Deliverer interface {
	Deliver(ctx context.Context, rawURL, id string, body []byte) error
}

// Handler delivers job events to callback URLs. A delivery the receiver
// may accept later (5xx, 408, 429, a timeout, a failed connection, a DNS
// failure) returns an error, so Pub/Sub retries it with backoff and then
// dead-letters it; one that can never succeed (a refused address, a 4xx)
// is acknowledged and recorded.
type Handler struct {
	requests Requests
	rejects  Recorder
	client   Deliverer
}

// New returns the handler. A nil client disables webhooks: events are
// acknowledged and a warning says so.
func New(requests Requests, rejects Recorder, client Deliverer) *Handler {
	return &Handler{requests: requests, rejects: rejects, client: client}
}

// HandleEvent delivers one job event.
func (h *Handler) HandleEvent(ctx context.Context, e cloudevents.Event) error {
	msg, err := queue.FromEvent(e)
	if err != nil {
		return h.record(ctx, queue.Message{ID: e.ID()}, "malformed_message", err.Error())
	}
	ctx = queue.Context(ctx, msg.Attributes)
	ctx = logging.With(ctx, slog.String("message_id", msg.ID))
	var ev pipeline.JobEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.ID == "" || ev.JobID == "" || ev.Type == "" {
		return h.record(ctx, msg, "poison_message", "the message is not a job event")
	}
	ctx = logging.With(ctx, slog.String("job_id", ev.JobID), slog.String("event_id", ev.ID), slog.String("event", ev.Type))
	log := logging.From(ctx)

	req, err := h.requests.Request(ctx, ev.JobID)
	if errors.Is(err, pipeline.ErrNotFound) {
		log.InfoContext(ctx, "the job is gone: no callback to call")
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the request of job %s: %w", ev.JobID, err)
	}
	if req.CallbackURL == "" {
		return nil
	}
	// The URL may carry a receiver's token in its path or query: only its
	// host is logged or recorded.
	host := hostOf(req.CallbackURL)
	ctx = logging.With(ctx, slog.String("callback_host", host))
	log = logging.From(ctx)
	if h.client == nil {
		log.WarnContext(ctx, "webhooks are disabled (FACTORY_WEBHOOK_SECRET is unset): the job's callback is not called")
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return h.record(ctx, msg, "poison_message", "the job event cannot be encoded")
	}

	err = h.client.Deliver(ctx, req.CallbackURL, ev.ID, body)
	var refused *webhook.Error
	var status *webhook.StatusError
	switch {
	case err == nil:
		log.InfoContext(ctx, "job event delivered to the callback")
		telemetry.WebhookDelivery(ctx, telemetry.WebhookDelivered)
		return nil
	case errors.As(err, &refused) && !refused.Temporary:
		telemetry.WebhookDelivery(ctx, telemetry.WebhookRefused)
		return h.record(ctx, msg, CodeRefused, refused.Error())
	case errors.As(err, &status) && !status.Retryable():
		telemetry.WebhookDelivery(ctx, telemetry.WebhookRejected)
		return h.record(ctx, msg, CodeRejected, fmt.Sprintf("the receiver at %s answered %d", host, status.Status))
	}
	log.WarnContext(ctx, "callback delivery failed; Pub/Sub will retry", "error", err.Error())
	telemetry.WebhookDelivery(ctx, telemetry.WebhookRetried)
	return fmt.Errorf("deliver event %s to %s: %w", ev.ID, host, err)
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "(invalid)"
	}
	return u.Hostname()
}

func (h *Handler) record(ctx context.Context, msg queue.Message, code, reason string) error {
	logging.From(ctx).WarnContext(ctx, "job event not delivered", "code", code, "reason", reason)
	if err := h.rejects.Reject(ctx, msg, code, reason, nil); err != nil {
		return fmt.Errorf("record undelivered job event: %w", err)
	}
	return nil
}
