package api

import (
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

// JobLinks are the URLs of a job.
type JobLinks struct {
	Self string `json:"self"`
}

// JobSummary is a job as a list shows it and as a submission answers.
type JobSummary struct {
	ID         string             `json:"id"`
	Status     pipeline.JobStatus `json:"status"`
	Topic      string             `json:"topic"`
	Formats    []content.Format   `json:"formats"`
	CreatedAt  time.Time          `json:"created_at"`
	FinishedAt time.Time          `json:"finished_at,omitzero"`
	Links      JobLinks           `json:"links"`
}

// JobDetail is everything about one job.
type JobDetail struct {
	JobSummary
	Progress  float64        `json:"progress"`
	UpdatedAt time.Time      `json:"updated_at"`
	StartedAt time.Time      `json:"started_at,omitzero"`
	Steps     []StepView     `json:"steps"`
	Artifacts []ArtifactView `json:"artifacts"`
	Usage     ai.Usage       `json:"usage"`
	InputRisk InputRisk      `json:"input_risk"`
}

// InputRisk is what the injection screen found in the request's text when
// the job was submitted: a score in [0, 1] and the signals behind it, such
// as "override:source_text". It is information, not a verdict: no job is
// refused or changed because of it.
type InputRisk struct {
	Score   float64  `json:"score"`
	Signals []string `json:"signals"`
}

// StepView is one step of a job.
type StepView struct {
	Name       content.Format      `json:"name"`
	Kind       content.Kind        `json:"kind"`
	Status     pipeline.StepStatus `json:"status"`
	Attempt    int                 `json:"attempt"`
	Error      *pipeline.StepError `json:"error,omitempty"`
	StartedAt  time.Time           `json:"started_at,omitzero"`
	FinishedAt time.Time           `json:"finished_at,omitzero"`
	Usage      ai.Usage            `json:"usage"`
	Prompt     string              `json:"prompt_version,omitempty"`
}

// ArtifactView is one artifact with its download link.
type ArtifactView struct {
	Name        string         `json:"name"`
	Step        content.Format `json:"step"`
	ContentType string         `json:"content_type"`
	Size        int64          `json:"size"`
	URL         string         `json:"url"`
}

// JobList is a page of jobs.
type JobList struct {
	Jobs          []JobSummary `json:"jobs"`
	NextPageToken string       `json:"next_page_token,omitempty"`
	Links         struct {
		Next string `json:"next,omitempty"`
	} `json:"links"`
}

func (h *Handler) summary(base string, j *pipeline.Job) JobSummary {
	return JobSummary{
		ID: j.ID, Status: j.Status, Topic: j.Topic, Formats: j.Formats,
		CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt,
		Links: JobLinks{Self: base + jobPath(j.ID)},
	}
}

// accepted is the answer to a submission: the job as it was created, so
// a replayed submission answers exactly what the first one did.
func (h *Handler) accepted(base string, j *pipeline.Job) JobSummary {
	v := h.summary(base, j)
	v.Status = pipeline.JobQueued
	v.FinishedAt = time.Time{}
	return v
}

func (h *Handler) detail(base string, j *pipeline.Job, steps []*pipeline.Step) JobDetail {
	d := JobDetail{
		JobSummary: h.summary(base, j),
		Progress:   pipeline.Progress(steps),
		UpdatedAt:  j.UpdatedAt,
		StartedAt:  j.StartedAt,
		Steps:      make([]StepView, 0, len(steps)),
		Artifacts:  []ArtifactView{},
		Usage:      pipeline.TotalUsage(steps),
		InputRisk:  InputRisk{Score: j.InjectionScore, Signals: j.InjectionSignals},
	}
	if d.InputRisk.Signals == nil {
		d.InputRisk.Signals = []string{}
	}
	for _, s := range steps {
		d.Steps = append(d.Steps, StepView{
			Name: s.Name, Kind: s.Kind, Status: s.Status, Attempt: s.Attempt, Error: s.Error,
			StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, Usage: s.Usage, Prompt: s.PromptVersion,
		})
		for _, a := range s.Artifacts {
			d.Artifacts = append(d.Artifacts, ArtifactView{
				Name: a.Name, Step: s.Name, ContentType: a.ContentType, Size: a.Size,
				URL: base + jobPath(j.ID) + "/artifacts/" + a.Name,
			})
		}
	}
	return d
}
