// Package client is the Go client of the Content Factory HTTP API and the
// documents it exchanges. The documents (a job, its steps and artifacts, a
// page of jobs, the usage of the day, a problem) are defined here once: the
// API function answers with these types, the command-line client and the
// tests read them. The package stays light on purpose: it links the
// request contract (shared/content) and the standard library, nothing of
// the pipeline, the store, the AI backends or a cloud SDK, so that any
// program can call the API with it.
package client

import (
	"time"

	"contentfactory.dev/factory/shared/content"
)

// JobStatus is where a job is in its life.
type JobStatus string

// Job states: queued → running → succeeded | partial | failed |
// cancelled; awaiting_review while its outline waits for approval, and
// expired when it never came. A job that ended runs again when one of its
// steps is regenerated or edited.
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

// Terminal reports whether the job has ended (for now: a job that ended
// succeeded, partial or failed may run again when it is changed).
func (s JobStatus) Terminal() bool {
	return s == JobSucceeded || s == JobPartial || s == JobFailed || s == JobCancelled || s == JobExpired
}

// StepStatus is where a step is in its life.
type StepStatus string

// Step states: pending (waiting for the steps it is made from) → queued →
// running → succeeded | failed | skipped | not_applicable. A step ends
// not_applicable when what it makes does not apply to the job (a timeline
// of sources that hold no dates): it made nothing, its error (code
// "not_applicable") says why, and the job still succeeds.
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

// Links are the URLs of a job.
type Links struct {
	Self string `json:"self"`
}

// JobSummary is a job as a list shows it and as a submission, a
// cancellation answers.
type JobSummary struct {
	ID     string    `json:"id"`
	Status JobStatus `json:"status"`
	Topic  string    `json:"topic"`
	// Language is the request's BCP 47 tag, the language of the job's
	// documents (absent in jobs older than it).
	Language   string           `json:"language,omitempty"`
	Formats    []content.Format `json:"formats"`
	CreatedAt  time.Time        `json:"created_at"`
	FinishedAt time.Time        `json:"finished_at,omitzero"`
	Links      Links            `json:"links"`
}

// Job is everything about one job (GET /v1/jobs/{id}).
type Job struct {
	JobSummary
	// Progress is the share of the job's steps that have ended, in [0, 1].
	Progress  float64    `json:"progress"`
	UpdatedAt time.Time  `json:"updated_at"`
	StartedAt time.Time  `json:"started_at,omitzero"`
	Steps     []Step     `json:"steps"`
	Artifacts []Artifact `json:"artifacts"`
	// Usage is the sum of the steps' usage, over every version.
	Usage     Usage     `json:"usage"`
	InputRisk InputRisk `json:"input_risk"`
	// Run counts the job's runs: 1, then one more for each regeneration
	// or edit.
	Run int `json:"run"`
	// Review names what the job pauses after for approval ("outline");
	// ReviewUntil is when a job awaiting it expires.
	Review      string    `json:"review,omitempty"`
	ReviewUntil time.Time `json:"review_until,omitzero"`
	// CachedFrom is the earlier job whose results filled this one.
	CachedFrom string `json:"cached_from,omitempty"`
}

// Step returns the job's step of that name.
func (j *Job) Step(name content.Format) (Step, bool) {
	for _, s := range j.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// Step is one step of a job: the making of one format.
type Step struct {
	Name    content.Format `json:"name"`
	Kind    content.Kind   `json:"kind"`
	Status  StepStatus     `json:"status"`
	Attempt int            `json:"attempt"`
	// Error says why the step failed, was last retried or, for a step
	// that ended not_applicable, why it did not apply.
	Error      *StepError `json:"error,omitempty"`
	StartedAt  time.Time  `json:"started_at,omitzero"`
	FinishedAt time.Time  `json:"finished_at,omitzero"`
	Usage      Usage      `json:"usage"`
	// PromptVersion names the prompt template a text step used.
	PromptVersion string `json:"prompt_version,omitempty"`
	// Model is the model that wrote a text step's document and, when a
	// fallback did, why the models before it did not.
	Model *StepModel `json:"model,omitempty"`
	// Version is the step's current version; Versions lists every one,
	// the current last.
	Version  int           `json:"version"`
	Versions []StepVersion `json:"versions"`
	// Read counts what the sources step read (sources.json holds it).
	Read *SourcesRead `json:"read,omitempty"`
	// Quality is a text step's document as the quality scorer and the
	// grounding check found it; Warnings what the step delivered despite.
	Quality  *content.Quality `json:"quality,omitempty"`
	Warnings []StepWarning    `json:"warnings,omitempty"`
}

// StepModel is the model that wrote a document: its backend (gemini, claude
// or openai) and model ID, and every model of the format's fallback chain
// tried before it, with the code of its failure (model_retired,
// unavailable or content_filtered).
type StepModel struct {
	Backend   string         `json:"backend"`
	Model     string         `json:"model"`
	Fallbacks []StepFallback `json:"fallbacks,omitempty"`
}

// StepFallback is a model that failed before the one that wrote a
// document.
type StepFallback struct {
	Backend string `json:"backend"`
	Model   string `json:"model"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StepWarning is something a step that succeeded wants known; Code is
// stable: quality_below_threshold, unsupported_claims, ungrounded,
// grounding_unchecked.
type StepWarning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StepVersion is one version of a step: what made it ("generated",
// "regenerated" with its instructions, "edited", "rerun" because a step it
// is made from changed, "cached"), how it ended and what it cost. URL is
// the version's document, for a text step.
type StepVersion struct {
	Version       int        `json:"version"`
	Made          string     `json:"made"`
	Instructions  string     `json:"instructions,omitempty"`
	Status        StepStatus `json:"status"`
	PromptVersion string     `json:"prompt_version,omitempty"`
	Model         *StepModel `json:"model,omitempty"`
	Usage         Usage      `json:"usage"`
	Error         *StepError `json:"error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    time.Time  `json:"finished_at,omitzero"`
	URL           string     `json:"url,omitempty"`
}

// SourcesRead counts what the sources step read: sources, the passages
// they were split into, and their characters of text.
type SourcesRead struct {
	Sources  int `json:"sources"`
	Passages int `json:"passages"`
	Chars    int `json:"chars"`
}

// StepError says why a step failed or was retried. Code is stable (the
// README lists the codes); Message is for people.
type StepError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// Artifact is one stored output of a job. URL answers with a redirect to
// a short-lived signed download URL (Client.Artifact follows it).
type Artifact struct {
	Name        string         `json:"name"`
	Step        content.Format `json:"step"`
	ContentType string         `json:"content_type"`
	Size        int64          `json:"size"`
	URL         string         `json:"url"`
}

// Usage is what the model and speech calls of a step, or of a whole job,
// consumed and cost.
type Usage struct {
	Calls          int64   `json:"calls"`
	PromptTokens   int64   `json:"prompt_tokens"`
	OutputTokens   int64   `json:"output_tokens"`
	ThinkingTokens int64   `json:"thinking_tokens"`
	CachedTokens   int64   `json:"cached_tokens"`
	Characters     int64   `json:"characters"`
	Images         int64   `json:"images"`
	DurationMS     int64   `json:"duration_ms"`
	CostUSD        float64 `json:"cost_usd"`
}

// InputRisk is what the injection screen found in the request's text when
// the job was submitted: a score in [0, 1] and the signals behind it, such
// as "override:source_text"; and, once the sources step has read them,
// what it found in each source (uploads and links included). It is
// information, not a verdict: no job is refused or changed because of it.
type InputRisk struct {
	Score   float64  `json:"score"`
	Signals []string `json:"signals"`
	// Sources has one entry per source the sources step read.
	Sources []SourceRisk `json:"sources,omitempty"`
}

// SourceRisk is what the injection screen found in one source's text.
type SourceRisk struct {
	// Source is the source's id in sources.json ("s1"); Field the request
	// field it came from ("sources[2]").
	Source  string   `json:"source"`
	Field   string   `json:"field"`
	Score   float64  `json:"score"`
	Signals []string `json:"signals"`
}

// NewUpload asks for an upload (POST /v1/uploads): the file's name, its
// type (one a source may be) and its exact size in bytes.
type NewUpload = content.NewUpload

// Upload is an upload the API made room for: PUT the file's bytes to
// UploadURL with exactly Headers before UploadURLExpiresAt, then name ID
// as a source's upload_id in jobs until ExpiresAt.
type Upload struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// UploadURL, Method and Headers say how to send the file; the URL is
	// signed for exactly this type and size.
	UploadURL          string            `json:"upload_url,omitempty"`
	Method             string            `json:"method,omitempty"`
	Headers            map[string]string `json:"headers,omitempty"`
	UploadURLExpiresAt time.Time         `json:"upload_url_expires_at,omitzero"`
	// Uploaded says whether the file has been received (GET only).
	Uploaded  bool      `json:"uploaded"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the upload and its file are deleted.
	ExpiresAt time.Time `json:"expires_at"`
}

// JobList is a page of jobs, newest first (GET /v1/jobs). NextPageToken
// is empty on the last page.
type JobList struct {
	Jobs          []JobSummary `json:"jobs"`
	NextPageToken string       `json:"next_page_token,omitempty"`
	Links         ListLinks    `json:"links"`
}

// ListLinks are the URLs of a page of jobs.
type ListLinks struct {
	// Next is the next page, with the same page size; empty on the last.
	Next string `json:"next,omitempty"`
}

// UsageToday is an owner's standing against its limits (GET /v1/usage):
// what it used on the budget day (UTC), and what is left. A limit that is
// not set is left out.
type UsageToday struct {
	Owner          string  `json:"owner"`
	RunningJobs    int     `json:"running_jobs"`
	Day            string  `json:"day"`
	ReservedUSD    float64 `json:"reserved_usd"`
	SpentUSD       float64 `json:"spent_usd"`
	JobsToday      int     `json:"jobs_today"`
	DailyBudgetUSD float64 `json:"daily_budget_usd,omitempty"`
	RemainingUSD   float64 `json:"remaining_usd,omitempty"`
	MaxRunning     int     `json:"max_running,omitempty"`
	Rate           Rate    `json:"rate"`
}

// Rate is where an owner stands in the job-creation token bucket.
type Rate struct {
	Limit        int `json:"limit"`
	Remaining    int `json:"remaining"`
	ResetSeconds int `json:"reset_seconds"`
}

// Problem is an RFC 9457 problem document, the body of every error the
// API answers (application/problem+json). Code is stable: branch on it,
// never on Title or Detail.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Errors lists the fields of a request that are invalid, when the
	// code is invalid_request.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError is one problem with one field of a request: {field, code,
// message}. It is the request contract's own (content.FieldError).
type FieldError = content.FieldError
