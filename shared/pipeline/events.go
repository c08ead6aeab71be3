package pipeline

import (
	"context"
	"slices"
	"strconv"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/telemetry"
)

// Event types published on job-events when a job ends, or pauses for
// review.
const (
	EventCompleted      = "job.completed" // succeeded or partial
	EventFailed         = "job.failed"
	EventCancelled      = "job.cancelled"
	EventExpired        = "job.expired"         // its review was never approved
	EventAwaitingReview = "job.awaiting_review" // its outline waits for approval
)

// JobEvent tells other systems that a job ended (or paused for review).
// It is a public document: the body of webhooks (docs/webhooks.md) and
// the rows of the analytics in BigQuery (terraform/analytics.tf); fields
// are only ever added.
type JobEvent struct {
	// ID is the same for every publication of one terminal transition, so
	// subscribers can drop a duplicate.
	ID      string           `json:"id"`
	Type    string           `json:"type"`
	JobID   string           `json:"job_id"`
	Owner   string           `json:"owner"`
	Status  JobStatus        `json:"status"`
	Topic   string           `json:"topic"`
	Formats []content.Format `json:"formats"`
	// Region is the job's home region; Run counts its runs (1, then one
	// more for each regeneration or edit); Origin says how it came in
	// ("api", "pubsub").
	Region string `json:"region"`
	Run    int    `json:"run"`
	Origin string `json:"origin"`
	// CreatedAt and FinishedAt are to the microsecond.
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at"`
	Usage      ai.Usage  `json:"usage"`
	// Steps maps each step to how it ended.
	Steps map[content.Format]StepStatus `json:"steps"`
	// StepDetails describes each step as the job ended, in the job's
	// order of formats.
	StepDetails []StepDetail `json:"step_details"`
	// Artifacts lists the names of the stored artifacts.
	Artifacts []string `json:"artifacts"`
}

// StepDetail is how one step of a job ended: its outcome, the version it
// reached, the prompt template and models that made it, how long that
// version took, what all its runs cost, and why it failed.
type StepDetail struct {
	Step          content.Format `json:"step"`
	Status        StepStatus     `json:"status"`
	Version       int            `json:"version"`
	PromptVersion string         `json:"prompt_version,omitempty"`
	Models        []string       `json:"models,omitempty"`
	Attempts      int            `json:"attempts"`
	// DurationSeconds is from the first claim of its current version to
	// its end, retries included (0 for a step that never ran).
	DurationSeconds float64 `json:"duration_seconds"`
	CostUSD         float64 `json:"cost_usd"`
	ErrorCode       string  `json:"error_code,omitempty"`
}

// EventType is the event a job's terminal status publishes.
func EventType(s JobStatus) string {
	switch s {
	case JobFailed:
		return EventFailed
	case JobCancelled:
		return EventCancelled
	case JobExpired:
		return EventExpired
	case JobAwaitingReview:
		return EventAwaitingReview
	}
	return EventCompleted
}

// EventID names one transition of a job, the same for every publication
// of it: "{job}:{status}" for the end of a job's first run,
// "{job}:{status}:{run}" for the end of a later run, and
// "{job}:awaiting_review:{n}" for its n-th pause for review.
func EventID(j *Job) string {
	id := j.ID + ":" + string(j.Status)
	switch {
	case j.Status == JobAwaitingReview:
		id += ":" + strconv.Itoa(max(j.Pauses, 1))
	case j.Run > 1:
		id += ":" + strconv.Itoa(j.Run)
	}
	return id
}

// NewJobEvent describes an ended job.
func NewJobEvent(j *Job, steps []*Step) JobEvent {
	ev := JobEvent{
		ID: EventID(j), Type: EventType(j.Status), JobID: j.ID, Owner: j.Owner,
		Status: j.Status, Topic: j.Topic, Formats: j.Formats, Region: j.Region, Run: max(j.Run, 1), Origin: j.Origin,
		CreatedAt: j.CreatedAt.Truncate(time.Microsecond), FinishedAt: j.FinishedAt.Truncate(time.Microsecond),
		Usage: j.Usage, Steps: map[content.Format]StepStatus{}, StepDetails: []StepDetail{}, Artifacts: []string{},
	}
	for _, s := range steps {
		ev.Steps[s.Name] = s.Status
		ev.StepDetails = append(ev.StepDetails, detail(s))
		for _, a := range s.Artifacts {
			ev.Artifacts = append(ev.Artifacts, a.Name)
		}
	}
	return ev
}

func detail(s *Step) StepDetail {
	d := StepDetail{
		Step: s.Name, Status: s.Status, Version: s.CurrentVersion(), PromptVersion: s.PromptVersion,
		Attempts: s.Attempt, CostUSD: s.Usage.CostUSD,
	}
	if !s.StartedAt.IsZero() && s.FinishedAt.After(s.StartedAt) {
		d.DurationSeconds = s.FinishedAt.Sub(s.StartedAt).Seconds()
	}
	for _, c := range s.Calls {
		if c.Model != "" && !slices.Contains(d.Models, c.Model) {
			d.Models = append(d.Models, c.Model)
		}
	}
	if s.Error != nil {
		d.ErrorCode = s.Error.Code
	}
	return d
}

// measureEnd records a job's end in the metrics (telemetry.JobEnded), where
// the end is logged: its outcome for every format it made and, for the end
// of its first run, how long it took since it was created.
func measureEnd(ctx context.Context, j *Job) {
	formats := make([]string, len(j.Formats))
	for i, f := range j.Formats {
		formats[i] = string(f)
	}
	var took time.Duration
	if j.Run <= 1 {
		took = j.FinishedAt.Sub(j.CreatedAt)
	}
	telemetry.JobEnded(ctx, string(j.Status), formats, took)
}

// Events publishes job events.
type Events interface {
	PublishJobEvent(ctx context.Context, ev JobEvent) error
}

// announcePending publishes the event of an ended job whose event is still
// pending (a crash or a failed publish left it), reading the job first.
func announcePending(ctx context.Context, store Store, events Events, jobID string) {
	if events == nil {
		return
	}
	job, err := store.Job(ctx, jobID)
	if err != nil || !job.EventPending || !(job.Status.Terminal() || job.Status == JobAwaitingReview) {
		return
	}
	steps, err := store.Steps(ctx, jobID)
	if err != nil {
		logging.From(ctx).ErrorContext(ctx, "read the ended job's steps; the sweep will publish its event", "error", err.Error())
		return
	}
	announce(ctx, store, events, job, steps)
}

// announce publishes the event of a job that just ended, with the steps
// it ended with, and clears its pending mark. A failure leaves the mark for
// the sweep to publish again.
func announce(ctx context.Context, store Store, events Events, job *Job, steps []*Step) {
	if events == nil {
		return
	}
	log := logging.From(ctx)
	if err := events.PublishJobEvent(ctx, NewJobEvent(job, steps)); err != nil {
		log.ErrorContext(ctx, "publish the job event failed; the sweep will publish it", "error", err.Error())
		return
	}
	err := store.Transact(ctx, job.ID, func(ctx context.Context, tx Tx) error {
		j, err := tx.Job()
		if err != nil {
			return err
		}
		if j.EventPending {
			j.EventPending = false
			tx.SaveJob(j)
		}
		return nil
	})
	if err != nil {
		log.WarnContext(ctx, "clear the job's event mark failed; the event may be published twice", "error", err.Error())
		return
	}
	log.InfoContext(ctx, "job event published", "event", EventType(job.Status), "status", job.Status)
}
