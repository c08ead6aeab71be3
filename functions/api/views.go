package api

import (
	"math"
	"strconv"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

// The API answers with shared/client's documents; this file makes them
// from the pipeline's records and the limits' state.

func (h *Handler) summary(base string, j *pipeline.Job) client.JobSummary {
	return client.JobSummary{
		ID: j.ID, Status: client.JobStatus(j.Status), Topic: j.Topic, Language: j.Language, Formats: j.Formats,
		CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt,
		Links: client.Links{Self: base + jobPath(j.ID)},
	}
}

// accepted is the answer to a submission: the job as it was created, so
// a replayed submission answers exactly what the first one did.
func (h *Handler) accepted(base string, j *pipeline.Job) client.JobSummary {
	v := h.summary(base, j)
	v.Status = client.JobQueued
	v.FinishedAt = time.Time{}
	return v
}

func (h *Handler) detail(base string, j *pipeline.Job, steps []*pipeline.Step) client.Job {
	d := client.Job{
		JobSummary: h.summary(base, j),
		Progress:   pipeline.Progress(steps),
		UpdatedAt:  j.UpdatedAt,
		StartedAt:  j.StartedAt,
		Steps:      make([]client.Step, 0, len(steps)),
		Artifacts:  []client.Artifact{},
		// The usage documents have the fields of ai.Usage: a field added
		// there does not compile here until it is added to the client.
		Usage:       client.Usage(pipeline.TotalUsage(steps)),
		InputRisk:   client.InputRisk{Score: j.InjectionScore, Signals: j.InjectionSignals},
		Run:         max(j.Run, 1),
		Review:      j.Review,
		ReviewUntil: j.ReviewUntil,
		CachedFrom:  j.CachedFrom,
	}
	if d.InputRisk.Signals == nil {
		d.InputRisk.Signals = []string{}
	}
	for _, s := range steps {
		v := h.stepView(base, j.ID, s)
		if r := s.Sources; r != nil {
			v.Read = &client.SourcesRead{Sources: r.Sources, Passages: r.Passages, Chars: r.Chars}
			for _, it := range r.Items {
				signals := it.InputRisk.Signals
				if signals == nil {
					signals = []string{}
				}
				d.InputRisk.Sources = append(d.InputRisk.Sources, client.SourceRisk{
					Source: it.ID, Field: it.Field, Score: it.InputRisk.Score, Signals: signals})
			}
		}
		d.Steps = append(d.Steps, v)
		for _, a := range s.Artifacts {
			d.Artifacts = append(d.Artifacts, client.Artifact{
				Name: a.Name, Step: s.Name, ContentType: a.ContentType, Size: a.Size,
				URL: base + jobPath(j.ID) + "/artifacts/" + a.Name,
			})
		}
	}
	return d
}

// stepView is a step as the job detail and the event stream show it.
func (h *Handler) stepView(base, jobID string, s *pipeline.Step) client.Step {
	v := client.Step{
		Name: s.Name, Kind: s.Kind, Status: client.StepStatus(s.Status), Attempt: s.Attempt,
		StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, Usage: client.Usage(s.Usage), PromptVersion: s.PromptVersion,
		Model: modelView(s.Model),
	}
	if s.Error != nil {
		e := client.StepError(*s.Error)
		v.Error = &e
	}
	if s.Quality != nil {
		q := *s.Quality
		if q.Findings == nil {
			q.Findings = []content.Finding{} // written as [], as the API document says
		}
		v.Quality = &q
	}
	for _, w := range s.Warnings {
		v.Warnings = append(v.Warnings, client.StepWarning(w))
	}
	v.Version, v.Versions = s.CurrentVersion(), h.versions(base, jobID, s)
	return v
}

// modelView is the model that wrote a document, as the API shows it.
func modelView(m *ai.Made) *client.StepModel {
	if m == nil {
		return nil
	}
	v := &client.StepModel{Backend: m.Backend, Model: m.Model}
	for _, f := range m.Fallbacks {
		v.Fallbacks = append(v.Fallbacks, client.StepFallback(f))
	}
	return v
}

// versions lists a step's versions, with a link to each document of a
// text step.
func (h *Handler) versions(base, jobID string, s *pipeline.Step) []client.StepVersion {
	out := make([]client.StepVersion, 0, len(s.Versions))
	text := s.Kind == content.KindText
	for _, sv := range s.Versions {
		v := client.StepVersion{
			Version: sv.Version, Made: sv.Made, Instructions: sv.Instructions, Status: client.StepStatus(sv.Status),
			PromptVersion: sv.PromptVersion, Model: modelView(sv.Model), Usage: client.Usage(sv.Usage), CreatedAt: sv.CreatedAt, FinishedAt: sv.FinishedAt,
		}
		if sv.Version == s.CurrentVersion() {
			v.Status = client.StepStatus(s.Status) // the step's own state is the freshest
		}
		if sv.Error != nil {
			e := client.StepError(*sv.Error)
			v.Error = &e
		}
		if text && v.Status == client.StepSucceeded {
			v.URL = base + jobPath(jobID) + "/documents/" + string(s.Name) + "?version=" + strconv.Itoa(sv.Version)
		}
		out = append(out, v)
	}
	return out
}

// usageToday is an owner's standing at now: the stored state as it is, and
// what the policy leaves of it.
func usageToday(owner string, st ratelimit.State, pol ratelimit.Policy, now time.Time) client.UsageToday {
	rem := pol.Remaining(st, now)
	v := client.UsageToday{
		Owner: owner, RunningJobs: st.Running, Day: st.Day, ReservedUSD: st.Reserved, SpentUSD: st.Spent, JobsToday: st.Jobs,
		DailyBudgetUSD: pol.DailyBudgetUSD, RemainingUSD: rem.BudgetUSD, MaxRunning: pol.MaxRunning,
		Rate: client.Rate{Limit: pol.Burst, Remaining: rem.Tokens, ResetSeconds: int(math.Ceil(rem.Reset.Seconds()))},
	}
	if v.Day == "" {
		v.Day = now.UTC().Format(time.DateOnly)
	}
	return v
}
