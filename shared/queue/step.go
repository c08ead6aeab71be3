package queue

import (
	"context"
	"errors"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/telemetry"
)

// Runner runs the step a message asks for (pipeline.Runner).
type Runner interface {
	Run(ctx context.Context, msg pipeline.StepMessage) error
}

// Rejecter records a message acknowledged without being processed.
type Rejecter interface {
	Reject(ctx context.Context, msg Message, code, reason string, fields []content.FieldError) error
}

// StepHandler is a step worker's CloudEvent handler: it decodes the
// Pub/Sub push delivery of a step message and runs the step. A message
// that can never be processed (not a step envelope) is acknowledged and,
// when Rejects is set, recorded; an error asks Pub/Sub to deliver the
// message again.
type StepHandler struct {
	Runner  Runner
	Rejects Rejecter
}

// HandleEvent implements the CloudEvent function.
func (h StepHandler) HandleEvent(ctx context.Context, e cloudevents.Event) error {
	msg, err := FromEvent(e)
	if err == nil {
		ctx = Context(ctx, msg.Attributes)
		ctx = logging.With(ctx, slog.String("message_id", msg.ID))
	}
	var env Envelope
	if err == nil {
		env, err = DecodeEnvelope(msg.Data)
	}
	if errors.Is(err, ErrPoison) {
		logging.From(ctx).ErrorContext(ctx, "poison message acknowledged", "error", err.Error(), "event_id", e.ID())
		if h.Rejects == nil {
			return nil
		}
		if msg.ID == "" {
			msg.ID = e.ID()
		}
		return h.Rejects.Reject(ctx, msg, "poison_message", err.Error(), nil)
	}
	if err != nil {
		return err
	}
	ctx, span := telemetry.Tracer().Start(ctx, "step "+env.Step, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("job_id", env.JobID), attribute.String("step", env.Step), attribute.String("messaging.message.id", msg.ID)))
	defer span.End()
	if !msg.PublishTime.IsZero() {
		telemetry.QueueAge(ctx, env.Step, time.Since(msg.PublishTime))
	}
	err = h.Runner.Run(ctx, env.Message())
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}
