package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names. They already end as Prometheus names do (_total for
// counters, the unit for histograms), so Cloud Monitoring, which stores
// OTLP metrics as Managed Service for Prometheus metrics, keeps them as
// they are, and dashboards and alerts (terraform/monitoring.tf) query them
// by these names.
const (
	// MetricJobsEnded counts jobs that ended, by outcome (succeeded,
	// partial, failed, cancelled, expired) and format: one count for every
	// format the job made, so every job counts once under
	// format="package".
	MetricJobsEnded = "factory_jobs_ended_total"
	// MetricJobDuration is how long a job took from creation to its end,
	// by outcome.
	MetricJobDuration = "factory_job_duration_seconds"
	// MetricStepsEnded counts steps that ended, by step, outcome
	// (succeeded, failed) and error code ("" for a success).
	MetricStepsEnded = "factory_steps_ended_total"
	// MetricStepDuration is how long a step's run took, by step and
	// outcome.
	MetricStepDuration = "factory_step_duration_seconds"
	// MetricModelCalls counts model calls, by backend and model.
	MetricModelCalls = "factory_model_calls_total"
	// MetricModelTokens counts model tokens, by model and kind (prompt,
	// output, thinking, cached).
	MetricModelTokens = "factory_model_tokens_total"
	// MetricModelCost sums what model calls cost in US dollars, by model,
	// from the price table.
	MetricModelCost = "factory_model_cost_usd_total"
	// MetricQueueAge is how long a step message waited between its
	// publication and its delivery to a worker, by step.
	MetricQueueAge = "factory_queue_age_seconds"
	// MetricWebhookDeliveries counts webhook deliveries by outcome
	// (delivered, retried, rejected, refused).
	MetricWebhookDeliveries = "factory_webhook_deliveries_total"
	// MetricLimitRefusals counts job admissions an owner's limits refused,
	// by code (rate_limited, too_many_running, budget_exceeded) and the
	// limiter that refused (ledger, instance).
	MetricLimitRefusals = "factory_limit_refusals_total"
)

// Seconds buckets a duration histogram: steps and jobs take from well
// under a second (a cached step) to tens of minutes (a long narration).
var secondsBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200}

// instruments are made once from the global meter provider: until
// otlp.Setup installs the SDK they record nothing, afterwards the global
// provider hands them to it.
type instruments struct {
	jobsEnded, stepsEnded, modelCalls, modelTokens, webhooks, refusals metric.Int64Counter
	modelCost                                                          metric.Float64Counter
	jobDuration, stepDuration, queueAge                                metric.Float64Histogram
}

var meters = newInstruments(otel.Meter(Name))

func newInstruments(m metric.Meter) instruments {
	var in instruments
	counter := func(name, desc, unit string) metric.Int64Counter {
		c, _ := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		return c
	}
	seconds := func(name, desc string) metric.Float64Histogram {
		h, _ := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(secondsBuckets...))
		return h
	}
	in.jobsEnded = counter(MetricJobsEnded, "Jobs that ended, by outcome, once for every format they made.", "{job}")
	in.stepsEnded = counter(MetricStepsEnded, "Steps that ended, by step, outcome and error code.", "{step}")
	in.modelCalls = counter(MetricModelCalls, "Model calls, by backend and model.", "{call}")
	in.modelTokens = counter(MetricModelTokens, "Model tokens, by model and kind.", "{token}")
	in.webhooks = counter(MetricWebhookDeliveries, "Webhook deliveries, by outcome.", "{delivery}")
	in.refusals = counter(MetricLimitRefusals, "Admissions the owners' limits refused, by code and limiter.", "{refusal}")
	in.modelCost, _ = m.Float64Counter(MetricModelCost, metric.WithDescription("What model calls cost, by model, from the price table."), metric.WithUnit("{USD}"))
	in.jobDuration = seconds(MetricJobDuration, "How long jobs took from creation to their end, by outcome.")
	in.stepDuration = seconds(MetricStepDuration, "How long step runs took, by step and outcome.")
	in.queueAge = seconds(MetricQueueAge, "How long step messages waited between publication and delivery, by step.")
	return in
}

// StepEnded records a step that ended: its outcome ("succeeded" or
// "failed"), its error code when it failed, and how long its run took
// (d of 0: unknown, as for a step failed without a run). It is called
// where the step's outcome is logged.
func StepEnded(ctx context.Context, step, outcome, code string, d time.Duration) {
	meters.stepsEnded.Add(ctx, 1, metric.WithAttributes(
		attribute.String("step", step), attribute.String("outcome", outcome), attribute.String("code", code)))
	if d > 0 {
		meters.stepDuration.Record(ctx, d.Seconds(), metric.WithAttributes(attribute.String("step", step), attribute.String("outcome", outcome)))
	}
}

// JobEnded records a job that ended with an outcome after d, once for
// every format it made. It is called where the job's end is logged.
func JobEnded(ctx context.Context, outcome string, formats []string, d time.Duration) {
	out := attribute.String("outcome", outcome)
	for _, f := range formats {
		meters.jobsEnded.Add(ctx, 1, metric.WithAttributes(out, attribute.String("format", f)))
	}
	if d > 0 {
		meters.jobDuration.Record(ctx, d.Seconds(), metric.WithAttributes(out))
	}
}

// QueueAge records how long a step message waited before its delivery.
func QueueAge(ctx context.Context, step string, age time.Duration) {
	meters.queueAge.Record(ctx, max(0, age.Seconds()), metric.WithAttributes(attribute.String("step", step)))
}

// Webhook delivery outcomes.
const (
	WebhookDelivered = "delivered" // the receiver answered 2xx
	WebhookRetried   = "retried"   // Pub/Sub will deliver it again
	WebhookRejected  = "rejected"  // the receiver answered a final 4xx or 3xx
	WebhookRefused   = "refused"   // the URL or its address is not allowed
)

// WebhookDelivery records one delivery attempt of a job event.
func WebhookDelivery(ctx context.Context, outcome string) {
	meters.webhooks.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
}

// LimitRefused records an admission refused by an owner's limits: code is
// the refusal's (ratelimit.Exceeded.Code), limiter says which refused it
// ("ledger", the shared one; "instance", an instance's first bucket).
func LimitRefused(ctx context.Context, code, limiter string) {
	meters.refusals.Add(ctx, 1, metric.WithAttributes(attribute.String("code", code), attribute.String("limiter", limiter)))
}
