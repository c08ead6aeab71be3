package deadletter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/store"
)

// Name is the function's entry point.
const Name = "DeadLetter"

// deliveryCount is the attribute Pub/Sub adds to a dead-lettered message.
const deliveryCount = "CloudPubSubDeadLetterSourceDeliveryCount"

// Jobs settles steps whose messages were dead-lettered.
type Jobs interface {
	DeadLetter(ctx context.Context, env queue.Envelope, deliveries int) (bool, error)
}

// Recorder keeps the messages that could not be processed.
type Recorder interface {
	RecordRejection(ctx context.Context, r store.Rejection) error
}

// Handler settles what lands on the dead-letter topics: a step message
// fails its step "dead_lettered" so the job still ends; a content request
// is recorded as rejected. Handling the same dead letter twice changes
// nothing.
type Handler struct {
	jobs      Jobs
	rejects   Recorder
	retention time.Duration
	now       func() time.Time
}

// New returns the dead-letter handler.
func New(jobs Jobs, rejects Recorder, retention time.Duration) *Handler {
	return &Handler{jobs: jobs, rejects: rejects, retention: retention, now: time.Now}
}

// HandleEvent settles one dead letter.
func (h *Handler) HandleEvent(ctx context.Context, e cloudevents.Event) error {
	msg, err := queue.FromEvent(e)
	if err != nil {
		return h.record(ctx, queue.Message{ID: e.ID()}, "malformed_message", err.Error())
	}
	ctx = queue.Context(ctx, msg.Attributes)
	ctx = logging.With(ctx, slog.String("message_id", msg.ID), slog.String("topic", msg.Topic))
	deliveries, _ := strconv.Atoi(msg.Attributes[deliveryCount])
	if strings.Contains(msg.Topic, "/topics/"+queue.TopicRequests) {
		return h.record(ctx, msg, "dead_lettered", fmt.Sprintf("the request was not accepted after %d deliveries", deliveries))
	}
	env, err := queue.DecodeEnvelope(msg.Data)
	if errors.Is(err, queue.ErrPoison) {
		return h.record(ctx, msg, "poison_message", err.Error())
	}
	ctx = logging.With(ctx, slog.String("job_id", env.JobID), slog.String("step", env.Step))
	failed, err := h.jobs.DeadLetter(ctx, env, deliveries)
	if err != nil {
		return fmt.Errorf("settle dead-lettered step %s of job %s: %w", env.Step, env.JobID, err)
	}
	if failed {
		logging.From(ctx).ErrorContext(ctx, "step failed: its message was dead-lettered", "deliveries", deliveries)
	} else {
		logging.From(ctx).InfoContext(ctx, "dead letter for a step that ended or is running: nothing to do", "deliveries", deliveries)
	}
	return nil
}

// maxRecorded bounds how much of a message body is kept.
const maxRecorded = 4096

func (h *Handler) record(ctx context.Context, msg queue.Message, code, reason string) error {
	logging.From(ctx).WarnContext(ctx, "dead letter recorded", "code", code, "reason", reason)
	data := msg.Data
	if len(data) > maxRecorded {
		data = data[:maxRecorded]
	}
	now := h.now().UTC()
	err := h.rejects.RecordRejection(ctx, store.Rejection{
		MessageID: msg.ID, Topic: msg.Topic, Code: code, Reason: reason, Attributes: msg.Attributes,
		Data:       strings.ToValidUTF8(string(data), string(utf8.RuneError)),
		ReceivedAt: now, ExpireAt: now.Add(h.retention),
	})
	if err != nil {
		return fmt.Errorf("record dead letter: %w", err)
	}
	return nil
}
