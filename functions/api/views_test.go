package api

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares a document, encoded as the API answers it, to
// testdata/<name>.json.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	if *update {
		require.NoError(t, os.WriteFile(path, body, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./functions/api -short -run TestDocuments -update to write the golden files")
	assert.Equal(t, string(want), string(body), "the API's %s document changed", name)
}

// encode is the body httpx.JSON writes.
func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// richJob is a job whose documents show every field: one step succeeded
// with artifacts, usage, a prompt version and the model that wrote it
// after a fallback, one failed with an error,
// one still pending.
func richJob() (*pipeline.Job, []*pipeline.Step) {
	at := func(sec int) time.Time { return time.Date(2025, 3, 1, 9, 30, sec, 123000000, time.UTC) }
	job := &pipeline.Job{
		ID: "job-1", Owner: "alice", Topic: "Plate <tectonics> & \"drift\"",
		Formats: []content.Format{content.FormatOutline, content.FormatFAQs, content.FormatImage, content.FormatPackage},
		Status:  pipeline.JobPartial, CreatedAt: at(0), UpdatedAt: at(40), StartedAt: at(1), FinishedAt: at(41),
		InjectionScore: 0.35, InjectionSignals: []string{"override:source_text", "delimiter:topic"},
		Usage: ai.Usage{Calls: 99}, // the detail sums the steps instead
		Run:   2, Review: "outline", CachedFrom: "job-0",
	}
	steps := []*pipeline.Step{
		{
			Name: content.FormatOutline, Kind: content.KindText, Status: pipeline.StepSucceeded, Attempt: 1,
			StartedAt: at(2), FinishedAt: at(9), PromptVersion: "outline@3",
			Model: &ai.Made{Backend: "claude", Model: "claude-sonnet-4-5@20250929", Fallbacks: []ai.Fallback{
				{Backend: "gemini", Model: "gemini-3.8-flash", Code: "model_retired", Message: "model gemini-3.8-flash was not found (retired?)"}}},
			Usage:     ai.Usage{Calls: 2, PromptTokens: 1200, OutputTokens: 800, ThinkingTokens: 40, CachedTokens: 600, DurationMS: 4100, CostUSD: 0.0012345},
			Artifacts: []pipeline.Artifact{{Name: "outline.json", Path: "jobs/job-1/outline/v2/outline.json", ContentType: "application/json", Size: 2048, MD5: "x"}},
			Version:   2,
			Versions: []pipeline.StepVersion{
				{Version: 1, Made: pipeline.MadeGenerated, Status: pipeline.StepSucceeded, PromptVersion: "outline@3",
					Model: &ai.Made{Backend: "gemini", Model: "gemini-3.8-flash"},
					Usage: ai.Usage{Calls: 1, CostUSD: 0.001}, CreatedAt: at(0), FinishedAt: at(5)},
				{Version: 2, Made: pipeline.MadeRegenerated, Instructions: "Shorter, please.", Status: pipeline.StepRunning,
					Usage: ai.Usage{Calls: 1, CostUSD: 0.0002345}, CreatedAt: at(6), FinishedAt: at(9), Key: "never shown", Fingerprint: "never shown"},
			},
		},
		{
			Name: content.FormatImage, Kind: content.KindImage, Status: pipeline.StepFailed, Attempt: 3,
			StartedAt: at(10), FinishedAt: at(30),
			Usage: ai.Usage{Calls: 3, Images: 0, DurationMS: 900, CostUSD: 0.1},
			Error: &pipeline.StepError{Code: "content_filtered", Message: "the model refused", Retryable: false},
		},
		{
			Name: content.FormatFAQs, Kind: content.KindText, Status: pipeline.StepSucceeded, Attempt: 2,
			StartedAt: at(10), FinishedAt: at(20), PromptVersion: "faqs@1",
			Usage: ai.Usage{Calls: 1, PromptTokens: 10, OutputTokens: 20, CostUSD: 0.25},
			Artifacts: []pipeline.Artifact{
				{Name: "faqs.json", Path: "jobs/job-1/faqs/faqs.json", ContentType: "application/json", Size: 512},
				{Name: "faqs.md", Path: "jobs/job-1/faqs/faqs.md", ContentType: "text/markdown; charset=utf-8", Size: 300},
			},
		},
		{Name: content.FormatPackage, Kind: content.KindAssemble, Status: pipeline.StepPending},
	}
	return job, steps
}

// TestDocuments holds the API's documents to the bytes it answered before
// they were built from shared/client's types.
func TestDocuments(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	const base = "https://api.example.com"
	job, steps := richJob()
	golden(t, "detail", encode(t, h.detail(base, job, steps)))
	golden(t, "summary", encode(t, h.summary(base, job)))
	golden(t, "accepted", encode(t, h.accepted(base, job)))

	fresh := &pipeline.Job{ID: "job-2", Topic: "Tides", Status: pipeline.JobQueued, CreatedAt: job.CreatedAt, UpdatedAt: job.CreatedAt}
	golden(t, "detail-empty", encode(t, h.detail(base, fresh, nil)))
}

// TestSourcesInTheDetail: a job's detail shows what its sources step
// read (counts on the step) and what the injection screen found in each
// source (input_risk.sources), from the step's record; a job without
// sources shows neither (the documents above).
func TestSourcesInTheDetail(t *testing.T) {
	t.Parallel()
	job, steps := richJob()
	job.Formats = append([]content.Format{content.FormatSources}, job.Formats...)
	read := &pipeline.Step{
		Name: content.FormatSources, Kind: content.KindSources, Status: pipeline.StepSucceeded, Attempt: 1,
		Artifacts: []pipeline.Artifact{{Name: "sources.json", Path: "jobs/job-1/sources/sources.json", ContentType: "application/json", Size: 4096}},
		Sources: &content.SourcesSummary{Sources: 2, Passages: 9, Chars: 3100, Items: []content.SourceSummary{
			{ID: "s1", Field: "source_text", Kind: "text", MediaType: "text/markdown", Bytes: 100, Chars: 100, Passages: 1, SHA256: "aa"},
			{ID: "s2", Field: "sources[0]", Kind: "url", MediaType: "text/html", Bytes: 9000, Chars: 3000, Passages: 8, SHA256: "bb",
				InputRisk: content.Risk{Score: 0.6, Signals: []string{"override:sources[0]"}}},
		}},
	}
	golden(t, "detail-sources", encode(t, (&Handler{}).detail("https://api.example.com", job, append([]*pipeline.Step{read}, steps...))))
}

// TestUsageDocument: the usage document of a day that is over (so what
// remains does not depend on today) with a full token bucket.
func TestUsageDocument(t *testing.T) {
	t.Parallel()
	pol := ratelimit.Policy{Rate: 0.5, Burst: 10, MaxRunning: 4, DailyBudgetUSD: 25}
	st := ratelimit.State{Running: 2, Day: "2025-03-01", Reserved: 1.5, Spent: 3.25, Jobs: 7}
	golden(t, "usage", encode(t, usageToday("alice", st, pol, time.Now())))

	fresh := usageToday("bob", ratelimit.State{}, ratelimit.Policy{}, time.Date(2025, 3, 2, 23, 59, 0, 0, time.FixedZone("", -3600)))
	assert.Equal(t, "2025-03-03", fresh.Day, "an owner with no state yet stands on today (UTC)")
}

// TestStatusesAreThePipelines: the client's statuses are the pipeline's,
// value for value, and end where they end.
func TestStatusesAreThePipelines(t *testing.T) {
	t.Parallel()
	sameStatuses(t, map[pipeline.JobStatus]client.JobStatus{
		pipeline.JobQueued: client.JobQueued, pipeline.JobRunning: client.JobRunning, pipeline.JobSucceeded: client.JobSucceeded,
		pipeline.JobPartial: client.JobPartial, pipeline.JobFailed: client.JobFailed, pipeline.JobCancelled: client.JobCancelled,
	})
	sameStatuses(t, map[pipeline.StepStatus]client.StepStatus{
		pipeline.StepPending: client.StepPending, pipeline.StepQueued: client.StepQueued, pipeline.StepRunning: client.StepRunning,
		pipeline.StepSucceeded: client.StepSucceeded, pipeline.StepFailed: client.StepFailed, pipeline.StepSkipped: client.StepSkipped,
	})
}

type status interface {
	~string
	Terminal() bool
}

func sameStatuses[P, C status](t *testing.T, pairs map[P]C) {
	t.Helper()
	for p, c := range pairs {
		assert.Equal(t, string(p), string(c))
		assert.Equal(t, p.Terminal(), c.Terminal(), "%s", p)
	}
}

// TestProblemDocument: a request with invalid fields is answered with a
// problem document listing each field.
func TestProblemDocument(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	requestProblem(rec, httptest.NewRequest(http.MethodPost, "/v1/jobs", nil), &content.InvalidError{Errors: []content.FieldError{
		{Field: "topic", Code: "too_short", Message: "topic must be at least 3 characters"},
		{Field: "formats[1]", Code: "unknown_format", Message: "\"essay\" is not a format"},
	}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	golden(t, "problem", rec.Body.Bytes())
}
