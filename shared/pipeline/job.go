package pipeline

import (
	"slices"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// JobStatus is where a job is in its life.
type JobStatus string

// Job states: queued → running → succeeded | partial | failed | cancelled.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobPartial   JobStatus = "partial"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// Terminal reports whether the job has ended.
func (s JobStatus) Terminal() bool {
	return s == JobSucceeded || s == JobPartial || s == JobFailed || s == JobCancelled
}

// StepStatus is where a step is in its life.
type StepStatus string

// Step states: pending (waiting for the steps it is made from) → queued
// (its message is published) → running (claimed under a lease) →
// succeeded | failed | skipped.
const (
	StepPending   StepStatus = "pending"
	StepQueued    StepStatus = "queued"
	StepRunning   StepStatus = "running"
	StepSucceeded StepStatus = "succeeded"
	StepFailed    StepStatus = "failed"
	StepSkipped   StepStatus = "skipped"
)

// Terminal reports whether the step has ended.
func (s StepStatus) Terminal() bool {
	return s == StepSucceeded || s == StepFailed || s == StepSkipped
}

// Job is the record of one job. The full request, with its source text,
// is kept apart (Store.Request) so that the documents every transaction
// reads stay small.
type Job struct {
	ID      string           `firestore:"-" json:"id"`
	Owner   string           `firestore:"owner" json:"-"`
	Topic   string           `firestore:"topic" json:"topic"`
	Formats []content.Format `firestore:"formats" json:"formats"`
	Status  JobStatus        `firestore:"status" json:"status"`
	// Origin says how the job came in: "api" or "pubsub".
	Origin      string  `firestore:"origin" json:"origin"`
	Region      string  `firestore:"region" json:"region"`
	Fingerprint string  `firestore:"fingerprint" json:"-"`
	Progress    float64 `firestore:"progress" json:"progress"`
	// EstimateUSD is what the job was expected to cost when admitted.
	EstimateUSD float64   `firestore:"estimate_usd" json:"-"`
	Usage       ai.Usage  `firestore:"usage" json:"usage"`
	CreatedAt   time.Time `firestore:"created_at" json:"created_at"`
	UpdatedAt   time.Time `firestore:"updated_at" json:"updated_at"`
	StartedAt   time.Time `firestore:"started_at,omitempty" json:"started_at,omitzero"`
	FinishedAt  time.Time `firestore:"finished_at,omitempty" json:"finished_at,omitzero"`
	// Deadline is when the sweep gives up on a job that has not ended.
	Deadline time.Time `firestore:"deadline" json:"-"`
	// ExpireAt is when the job and its artifacts may be deleted.
	ExpireAt time.Time `firestore:"expire_at" json:"expire_at"`
	// EventPending is set by the transaction that ends the job and cleared
	// once its event is published; the sweep publishes what a crash left.
	EventPending bool `firestore:"event_pending" json:"-"`
	// InjectionScore and InjectionSignals are what the input screen
	// (JobsConfig.Screen, guard.Screen) found in the request's untrusted
	// text at submission: a score in [0, 1] and the names of the signals.
	// They are recorded and shown, never acted on.
	InjectionScore   float64  `firestore:"injection_score" json:"-"`
	InjectionSignals []string `firestore:"injection_signals" json:"-"`
}

// Step is the record of one step of a job.
type Step struct {
	JobID  string         `firestore:"-" json:"-"`
	Name   content.Format `firestore:"name" json:"name"`
	Kind   content.Kind   `firestore:"kind" json:"kind"`
	Status StepStatus     `firestore:"status" json:"status"`
	// Requires lists the steps of this job this one is made from.
	Requires []content.Format `firestore:"requires" json:"requires,omitempty"`
	// Waiting counts the required steps that have not ended yet; the step
	// is queued when it reaches zero.
	Waiting    int        `firestore:"waiting" json:"-"`
	Attempt    int        `firestore:"attempt" json:"attempt"`
	LeaseOwner string     `firestore:"lease_owner,omitempty" json:"-"`
	LeaseUntil time.Time  `firestore:"lease_until,omitempty" json:"-"`
	Artifacts  []Artifact `firestore:"artifacts" json:"artifacts"`
	Usage      ai.Usage   `firestore:"usage" json:"usage"`
	Calls      []ai.Call  `firestore:"calls" json:"-"`
	// PromptVersion names the prompt template a text step used.
	PromptVersion string `firestore:"prompt_version,omitempty" json:"prompt_version,omitempty"`
	// Sources is what the sources step read: counts, hashes and each
	// source's input risk (never the text, which is in sources.json).
	Sources    *content.SourcesSummary `firestore:"sources,omitempty" json:"sources,omitempty"`
	Error      *StepError              `firestore:"error" json:"error,omitempty"`
	QueuedAt   time.Time               `firestore:"queued_at,omitempty" json:"queued_at,omitzero"`
	StartedAt  time.Time               `firestore:"started_at,omitempty" json:"started_at,omitzero"`
	FinishedAt time.Time               `firestore:"finished_at,omitempty" json:"finished_at,omitzero"`
	UpdatedAt  time.Time               `firestore:"updated_at" json:"updated_at"`
}

// Artifact is one stored output of a step.
type Artifact struct {
	// Name is unique within the job, such as "outline.json" or "cover.png".
	Name        string `firestore:"name" json:"name"`
	Path        string `firestore:"path" json:"-"`
	ContentType string `firestore:"content_type" json:"content_type"`
	Size        int64  `firestore:"size" json:"size"`
	Generation  int64  `firestore:"generation" json:"-"`
	MD5         string `firestore:"md5,omitempty" json:"md5,omitempty"`
}

// StepError says why a step failed or was retried.
type StepError struct {
	Code      string `firestore:"code" json:"code"`
	Message   string `firestore:"message" json:"message"`
	Retryable bool   `firestore:"retryable" json:"retryable"`
}

// ArtifactPath is where a step's file is stored: jobs/{id}/{step}/{file}.
func ArtifactPath(jobID string, step content.Format, file string) string {
	return "jobs/" + jobID + "/" + string(step) + "/" + file
}

// DocName is the artifact name of a text format's JSON document.
func DocName(f content.Format) string { return string(f) + ".json" }

// Progress is the share of a job's steps that have ended.
func Progress(steps []*Step) float64 {
	if len(steps) == 0 {
		return 0
	}
	done := 0
	for _, s := range steps {
		if s.Status.Terminal() {
			done++
		}
	}
	return float64(done) / float64(len(steps))
}

// Outcome is the status a job ends with, given its ended steps: succeeded
// when every step succeeded, failed when no content step succeeded,
// partial otherwise.
func Outcome(steps []*Step) JobStatus {
	delivered, all := 0, true
	for _, s := range steps {
		if s.Status != StepSucceeded {
			all = false
		} else if s.Name != content.FormatPackage {
			delivered++
		}
	}
	switch {
	case all:
		return JobSucceeded
	case delivered == 0:
		return JobFailed
	}
	return JobPartial
}

// TotalUsage sums the usage of steps.
func TotalUsage(steps []*Step) ai.Usage {
	var u ai.Usage
	for _, s := range steps {
		u.Merge(s.Usage)
	}
	return u
}

// Find returns the artifact of that name among the steps.
func Find(steps []*Step, name string) (*Artifact, bool) {
	for _, s := range steps {
		if i := slices.IndexFunc(s.Artifacts, func(a Artifact) bool { return a.Name == name }); i >= 0 {
			return &s.Artifacts[i], true
		}
	}
	return nil, false
}

// end records that the job ended with a status, given all its steps, and
// marks its event to be published.
func (j *Job) end(status JobStatus, steps []*Step, now time.Time) {
	j.Status = status
	j.Progress = Progress(steps)
	j.Usage = TotalUsage(steps)
	j.FinishedAt, j.UpdatedAt = now, now
	j.EventPending = true
}

// Made reports whether the job was made by that owner from that request:
// a repeated submission finds its job; another request under the same id
// must not.
func (j *Job) Made(owner string, req *content.Request) bool {
	return j.Owner == owner && j.Fingerprint == req.Fingerprint()
}
