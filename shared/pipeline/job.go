package pipeline

import (
	"slices"
	"strconv"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/ratelimit"
)

// JobStatus is where a job is in its life.
type JobStatus string

// Job states: queued → running → succeeded | partial | failed | cancelled,
// with two more: awaiting_review (paused after its outline until it is
// approved) and expired (its review was never approved). A job that ended
// succeeded, partial or failed runs again (running) when one of its steps
// is regenerated or edited, and ends again.
const (
	JobQueued         JobStatus = "queued"
	JobRunning        JobStatus = "running"
	JobAwaitingReview JobStatus = "awaiting_review"
	JobSucceeded      JobStatus = "succeeded"
	JobPartial        JobStatus = "partial"
	JobFailed         JobStatus = "failed"
	JobCancelled      JobStatus = "cancelled"
	JobExpired        JobStatus = "expired"
)

// Terminal reports whether the job has ended.
func (s JobStatus) Terminal() bool {
	return s == JobSucceeded || s == JobPartial || s == JobFailed || s == JobCancelled || s == JobExpired
}

// Revisable reports whether a job in this state may have a step
// regenerated or edited: one that ended with what it made (not cancelled
// or expired), or one awaiting the review of its outline.
func (s JobStatus) Revisable() bool {
	return s == JobSucceeded || s == JobPartial || s == JobFailed || s == JobAwaitingReview
}

// StepStatus is where a step is in its life.
type StepStatus string

// Step states: pending (waiting for the steps it is made from) → queued
// (its message is published) → running (claimed under a lease) →
// succeeded | failed | skipped | not_applicable. A step ends
// not_applicable when what it makes does not apply to the job (a
// timeline of sources without dates): it made nothing, its error says
// why (code "not_applicable"), and the job's outcome does not count it
// as a failure.
const (
	StepPending       StepStatus = "pending"
	StepQueued        StepStatus = "queued"
	StepRunning       StepStatus = "running"
	StepSucceeded     StepStatus = "succeeded"
	StepFailed        StepStatus = "failed"
	StepSkipped       StepStatus = "skipped"
	StepNotApplicable StepStatus = "not_applicable"
)

// Terminal reports whether the step has ended.
func (s StepStatus) Terminal() bool {
	return s == StepSucceeded || s == StepFailed || s == StepSkipped || s == StepNotApplicable
}

// Fine reports whether the step ended as it should: it succeeded, or
// what it makes does not apply to its job.
func (s StepStatus) Fine() bool { return s == StepSucceeded || s == StepNotApplicable }

// Job is the record of one job. The full request, with its source text,
// is kept apart (Store.Request) so that the documents every transaction
// reads stay small.
type Job struct {
	ID    string `firestore:"-" json:"id"`
	Owner string `firestore:"owner" json:"-"`
	Topic string `firestore:"topic" json:"topic"`
	// Language is the request's BCP 47 tag ("" in jobs older than it).
	Language string           `firestore:"language,omitempty" json:"language,omitempty"`
	Formats  []content.Format `firestore:"formats" json:"formats"`
	Status   JobStatus        `firestore:"status" json:"status"`
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
	// Review names the step after which the job waits for approval
	// ("outline"), or is empty; Approved is set when it was approved, and
	// ReviewUntil is when a job still awaiting review expires.
	Review      string    `firestore:"review,omitempty" json:"review,omitempty"`
	Approved    bool      `firestore:"approved" json:"-"`
	ReviewUntil time.Time `firestore:"review_until,omitempty" json:"-"`
	// Run counts the job's runs: 1, then one more each time a step is
	// regenerated or edited. RunCostUSD is what the job had cost when its
	// current run began, so a run is settled with what it spent.
	Run        int     `firestore:"run" json:"run"`
	RunCostUSD float64 `firestore:"run_cost_usd" json:"-"`
	// Pauses counts the times the job paused for review.
	Pauses int `firestore:"pauses" json:"-"`
	// CacheKey names what the job was made from (request, models, prompt
	// versions) for the result cache; it is cleared once a step is edited
	// or regenerated. CachedFrom is the earlier job a cached job was
	// filled from.
	CacheKey   string `firestore:"cache_key,omitempty" json:"-"`
	CachedFrom string `firestore:"cached_from,omitempty" json:"cached_from,omitempty"`
	// InjectionScore and InjectionSignals are what the input screen
	// (JobsConfig.Screen, guard.Screen) found in the request's untrusted
	// text at submission: a score in [0, 1] and the names of the signals.
	// They are recorded and shown, never acted on.
	InjectionScore   float64  `firestore:"injection_score" json:"-"`
	InjectionSignals []string `firestore:"injection_signals" json:"-"`
	// Standing is the owner's standing against the limits as the
	// admission of this job (or of its latest run) left it, when this
	// value is the one that admission returned; never stored.
	Standing *ratelimit.State `firestore:"-" json:"-"`
}

// Step is the record of one step of a job.
type Step struct {
	JobID  string         `firestore:"-" json:"-"`
	Name   content.Format `firestore:"name" json:"name"`
	Kind   content.Kind   `firestore:"kind" json:"kind"`
	Status StepStatus     `firestore:"status" json:"status"`
	// Requires lists the steps of this job this one is made from.
	Requires []content.Format `firestore:"requires" json:"requires,omitempty"`
	// Version is the step's current version: 1 when first made, one more
	// each time it is regenerated or edited, or re-made because a step it
	// is made from was. Claims, leases and finishes are for a version.
	Version int `firestore:"version" json:"version"`
	// Versions records every version with what made it; the current one
	// is last.
	Versions   []StepVersion `firestore:"versions" json:"versions,omitempty"`
	Attempt    int           `firestore:"attempt" json:"attempt"`
	LeaseOwner string        `firestore:"lease_owner,omitempty" json:"-"`
	LeaseUntil time.Time     `firestore:"lease_until,omitempty" json:"-"`
	Artifacts  []Artifact    `firestore:"artifacts" json:"artifacts"`
	Usage      ai.Usage      `firestore:"usage" json:"usage"`
	Calls      []ai.Call     `firestore:"calls" json:"-"`
	// PromptVersion names the prompt template a text step used.
	PromptVersion string `firestore:"prompt_version,omitempty" json:"prompt_version,omitempty"`
	// Model is the model that wrote a text step's document and, when a
	// fallback did, why the models before it did not.
	Model *ai.Made `firestore:"model,omitempty" json:"model,omitempty"`
	// Sources is what the sources step read: counts, hashes and each
	// source's input risk (never the text, which is in sources.json).
	Sources *content.SourcesSummary `firestore:"sources,omitempty" json:"sources,omitempty"`
	// Quality is what the quality scorer and the grounding check found in
	// a text step's document; Warnings what the step delivered despite
	// (a document below its threshold, claims its sources do not support).
	Quality  *content.Quality `firestore:"quality,omitempty" json:"quality,omitempty"`
	Warnings []StepWarning    `firestore:"warnings" json:"warnings,omitempty"`
	Error    *StepError       `firestore:"error" json:"error,omitempty"`
	QueuedAt time.Time        `firestore:"queued_at,omitempty" json:"queued_at,omitzero"`
	// Republished counts the sweeps that published the step again since a
	// worker last claimed it: a step its home region did not pick up after
	// one is moved to another region (Jobs.Republish).
	Republished int       `firestore:"republished,omitempty" json:"-"`
	StartedAt   time.Time `firestore:"started_at,omitempty" json:"started_at,omitzero"`
	FinishedAt  time.Time `firestore:"finished_at,omitempty" json:"finished_at,omitzero"`
	UpdatedAt   time.Time `firestore:"updated_at" json:"updated_at"`
	// Revision is the store's mark of the stored state the step was read
	// at (Firestore's update time), for conditional writes; empty for a
	// step not read from a store.
	Revision string `firestore:"-" json:"-"`
}

// Ways a version of a step is made.
const (
	MadeGenerated   = "generated"   // by the job's first run
	MadeRegenerated = "regenerated" // asked for, with optional instructions
	MadeEdited      = "edited"      // a document put by the caller
	MadeRerun       = "rerun"       // made again because a step it is made from changed
	MadeCached      = "cached"      // copied from an earlier job's result
)

// StepVersion is one version of a step: what made it, what it made and
// what it cost.
type StepVersion struct {
	Version int    `firestore:"version" json:"version"`
	Made    string `firestore:"made" json:"made"`
	// Instructions are the caller's words for a regeneration (untrusted
	// text, cleaned and fenced like any request text).
	Instructions  string     `firestore:"instructions,omitempty" json:"instructions,omitempty"`
	Status        StepStatus `firestore:"status" json:"status"`
	PromptVersion string     `firestore:"prompt_version,omitempty" json:"prompt_version,omitempty"`
	// Model is the model that wrote the version's document (Step.Model).
	Model      *ai.Made   `firestore:"model,omitempty" json:"model,omitempty"`
	Artifacts  []Artifact `firestore:"artifacts" json:"artifacts"`
	Usage      ai.Usage   `firestore:"usage" json:"usage"`
	Error      *StepError `firestore:"error,omitempty" json:"error,omitempty"`
	CreatedAt  time.Time  `firestore:"created_at" json:"created_at"`
	FinishedAt time.Time  `firestore:"finished_at,omitempty" json:"finished_at,omitzero"`
	// Key and Fingerprint are the Idempotency-Key of the call that asked
	// for this version and a hash of what it asked, so that a repeated
	// call finds this version instead of making another.
	Key         string `firestore:"key,omitempty" json:"-"`
	Fingerprint string `firestore:"fingerprint,omitempty" json:"-"`
}

// CurrentVersion is the step's version (1 for a step stored before
// versions were kept).
func (s *Step) CurrentVersion() int { return max(s.Version, 1) }

// current returns the record of the step's current version, adding it
// when the step has none (a first version).
func (s *Step) current(now time.Time) *StepVersion {
	v := s.CurrentVersion()
	if n := len(s.Versions); n > 0 && s.Versions[n-1].Version == v {
		return &s.Versions[n-1]
	}
	s.Versions = append(s.Versions, StepVersion{Version: v, Made: MadeGenerated, CreatedAt: now})
	return &s.Versions[len(s.Versions)-1]
}

// record copies how the step's current version ended into its record.
func (s *Step) record(now time.Time) {
	v := s.current(now)
	v.Status, v.Artifacts, v.Error, v.PromptVersion, v.Model = s.Status, s.Artifacts, s.Error, s.PromptVersion, s.Model
	v.FinishedAt = now
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

// StepWarning is something a step that succeeded wants known: its code
// is stable (WarnQualityBelowThreshold, WarnUnsupportedClaims,
// WarnUngrounded, WarnUnchecked).
type StepWarning struct {
	Code    string `firestore:"code" json:"code"`
	Message string `firestore:"message" json:"message"`
}

// Warning codes.
const (
	// WarnQualityBelowThreshold: the document's quality score stayed under
	// its format's threshold after its repairs; it is delivered with its
	// findings.
	WarnQualityBelowThreshold = "quality_below_threshold"
	// WarnUnsupportedClaims: claims the grounding check found unsupported
	// by their passages after the repairs; their items are flagged
	// "unsupported" in the document.
	WarnUnsupportedClaims = "unsupported_claims"
	// WarnUngrounded: the job has no sources, so nothing the document
	// says is grounded in one (and it cites nothing).
	WarnUngrounded = "ungrounded"
	// WarnUnchecked: the grounding check answered nothing usable (twice),
	// so the document's citations were not checked and none of its claims
	// is marked supported.
	WarnUnchecked = "grounding_unchecked"
)

// StepError says why a step failed or was retried.
type StepError struct {
	Code      string `firestore:"code" json:"code"`
	Message   string `firestore:"message" json:"message"`
	Retryable bool   `firestore:"retryable" json:"retryable"`
}

// ArtifactPath is where a first version of a step stores a file:
// jobs/{id}/{step}/{file}.
func ArtifactPath(jobID string, step content.Format, file string) string {
	return "jobs/" + jobID + "/" + string(step) + "/" + file
}

// VersionPath is where a version of a step stores a file: the first as
// ArtifactPath, later ones under jobs/{id}/{step}/v{n}/{file}. Every
// version is kept; none is written over.
func VersionPath(jobID string, step content.Format, version int, file string) string {
	if version <= 1 {
		return ArtifactPath(jobID, step, file)
	}
	return "jobs/" + jobID + "/" + string(step) + "/v" + strconv.Itoa(version) + "/" + file
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
// when every step succeeded or did not apply, failed when no content step
// succeeded, partial otherwise.
func Outcome(steps []*Step) JobStatus {
	delivered, all := 0, true
	for _, s := range steps {
		switch {
		case !s.Status.Fine():
			all = false
		case s.Status == StepSucceeded && s.Name != content.FormatPackage:
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
