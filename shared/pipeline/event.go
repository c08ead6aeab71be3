package pipeline

import (
	"context"
	"errors"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/telemetry"
)

// HandleEvent runs the step a Pub/Sub CloudEvent asks for. A message that
// can never be processed (not a step envelope) is logged and acknowledged;
// an error asks Pub/Sub to deliver the message again.
func (r *Runner) HandleEvent(ctx context.Context, e cloudevents.Event) error {
	msg, err := queue.FromEvent(e)
	if err == nil {
		ctx = queue.Context(ctx, msg.Attributes)
		ctx = logging.With(ctx, slog.String("message_id", msg.ID))
	}
	var env queue.Envelope
	if err == nil {
		env, err = queue.DecodeEnvelope(msg.Data)
	}
	if errors.Is(err, queue.ErrPoison) {
		logging.From(ctx).ErrorContext(ctx, "poison message acknowledged", "error", err.Error(), "event_id", e.ID())
		if r.rejects == nil {
			return nil
		}
		if msg.ID == "" {
			msg.ID = e.ID()
		}
		return r.rejects.Reject(ctx, msg, "poison_message", err.Error(), nil)
	}
	if err != nil {
		return err
	}
	ctx, span := telemetry.Tracer().Start(ctx, "step "+env.Step, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("job_id", env.JobID), attribute.String("step", env.Step), attribute.String("messaging.message.id", msg.ID)))
	defer span.End()
	err = r.Run(ctx, env)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}
