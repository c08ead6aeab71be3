package deadletter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
)

// Name is the function's entry point.
const Name = "DeadLetter"

// deliveryCount is the attribute Pub/Sub adds to a dead-lettered message.
const deliveryCount = "CloudPubSubDeadLetterSourceDeliveryCount"

// Jobs settles steps whose messages were dead-lettered.
type Jobs interface {
	DeadLetter(ctx context.Context, msg pipeline.StepMessage, deliveries int) (bool, error)
}

// Recorder keeps the messages that could not be processed.
type Recorder interface {
	Reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error
}

// Handler settles what lands on the dead-letter topics: a step message
// fails its step "dead_lettered" so the job still ends; a content request
// is recorded as rejected. Handling the same dead letter twice changes
// nothing.
type Handler struct {
	jobs    Jobs
	rejects Recorder
}

// New returns the dead-letter handler.
func New(jobs Jobs, rejects Recorder) *Handler {
	return &Handler{jobs: jobs, rejects: rejects}
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
	switch {
	case strings.Contains(msg.Topic, "/topics/"+queue.TopicRequests):
		return h.record(ctx, msg, "dead_lettered", fmt.Sprintf("the request was not accepted after %d deliveries", deliveries))
	case strings.Contains(msg.Topic, "/topics/"+queue.TopicEvents):
		return h.record(ctx, msg, "callback_failed", fmt.Sprintf("the job event could not be delivered to its callback after %d attempts", deliveries))
	}
	env, err := queue.DecodeEnvelope(msg.Data)
	if errors.Is(err, queue.ErrPoison) {
		return h.record(ctx, msg, "poison_message", err.Error())
	}
	ctx = logging.With(ctx, slog.String("job_id", env.JobID), slog.String("step", env.Step))
	failed, err := h.jobs.DeadLetter(ctx, env.Message(), deliveries)
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

func (h *Handler) record(ctx context.Context, msg queue.Message, code, reason string) error {
	logging.From(ctx).WarnContext(ctx, "dead letter recorded", "code", code, "reason", reason)
	if err := h.rejects.Reject(ctx, msg, code, reason, nil); err != nil {
		return fmt.Errorf("record dead letter: %w", err)
	}
	return nil
}
