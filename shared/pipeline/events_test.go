package pipeline_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

func TestTheJobEventDescribesEveryStep(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	job := &pipeline.Job{ID: "j1", Owner: "alice", Status: pipeline.JobPartial, Region: "us-east4", Run: 2, Origin: "api",
		Formats: []content.Format{content.FormatOutline, content.FormatFAQs}, CreatedAt: t0, FinishedAt: t0.Add(90 * time.Second)}
	steps := []*pipeline.Step{
		{Name: content.FormatOutline, Status: pipeline.StepSucceeded, Version: 2, Attempt: 1, PromptVersion: "outline@v3",
			StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(13 * time.Second), Usage: ai.Usage{CostUSD: 0.02},
			Calls:     []ai.Call{{Model: "gemini-a"}, {Model: "gemini-b"}, {Model: "gemini-a"}},
			Artifacts: []pipeline.Artifact{{Name: "outline.json"}}},
		{Name: content.FormatFAQs, Status: pipeline.StepFailed, Attempt: 3, Error: &pipeline.StepError{Code: "model_retired"}},
	}
	ev := pipeline.NewJobEvent(job, steps)

	assert.Equal(t, "j1:partial:2", ev.ID)
	assert.Equal(t, "us-east4", ev.Region)
	assert.Equal(t, 2, ev.Run)
	assert.Equal(t, "api", ev.Origin)
	assert.Equal(t, t0.Truncate(time.Microsecond), ev.CreatedAt, "to the microsecond, as BigQuery keeps it")
	assert.Equal(t, []pipeline.StepDetail{
		{Step: "outline", Status: "succeeded", Version: 2, PromptVersion: "outline@v3", Models: []string{"gemini-a", "gemini-b"}, Attempts: 1, DurationSeconds: 12, CostUSD: 0.02},
		{Step: "faqs", Status: "failed", Version: 1, Attempts: 3, ErrorCode: "model_retired"},
	}, ev.StepDetails)
	assert.Equal(t, []string{"outline.json"}, ev.Artifacts)

	b, err := json.Marshal(ev)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, field := range []string{"id", "type", "job_id", "owner", "status", "topic", "formats", "region", "run", "origin",
		"created_at", "finished_at", "usage", "steps", "step_details", "artifacts"} {
		assert.Contains(t, doc, field)
	}
	assert.Equal(t, "2026-12-01T10:00:00.123456Z", doc["created_at"])
}
