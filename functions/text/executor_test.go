package text_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/store"
)

// TestMain gives the executor tests the Firestore emulator and a fake
// Cloud Storage; with -short they skip themselves.
func TestMain(m *testing.M) { testenv.Main(m) }

// vertexClient is the Vertex backend against a fake, with short retries.
func vertexClient(t *testing.T, opts vertextest.Options) (*vertex.Client, *vertextest.Server) {
	t.Helper()
	srv := vertextest.NewServer(opts)
	t.Cleanup(srv.Close)
	cfg, err := models.Load(func(k string) string {
		if k == models.EnvVertexBaseURL {
			return srv.URL
		}
		return ""
	}, "test-project")
	require.NoError(t, err)
	c, err := vertex.New(t.Context(), cfg, vertex.Options{Index: &vertex.MemoryIndex{},
		Retry: &retry.Policy{Attempts: 3, Base: time.Millisecond, Cap: 5 * time.Millisecond}})
	require.NoError(t, err)
	return c, srv
}

// runOutline submits a job for the outline of "Tides and the Moon" and
// runs its outline step through exec with the step runner, against the
// Firestore emulator and a fake Cloud Storage; it returns the step as
// stored.
func runOutline(t *testing.T, exec text.Executor) *pipeline.Step {
	t.Helper()
	project := testenv.Project(t)
	fs := testenv.Firestore(t, project)
	_, gcs := testenv.Storage(t, "artifacts")
	st := store.New(fs)
	ports := pipeline.Ports{Store: st, Blobs: blob.New(gcs, "artifacts", blob.Signer{}), Publisher: &pipelinetest.Publisher{}}
	jobs := pipeline.NewJobs(ports, pipeline.JobsConfig{Region: "local", Retention: 24 * time.Hour, Deadline: time.Hour})
	runner := pipeline.NewRunner(ports, exec, pipeline.RunnerConfig{MaxAttempts: 3})

	req, err := content.ParseRequest([]byte(`{"topic":"Tides and the Moon","formats":["outline"]}`))
	require.NoError(t, err)
	job, err := jobs.Submit(t.Context(), "owner", req, "api")
	require.NoError(t, err)
	require.NoError(t, runner.Run(t.Context(), pipeline.StepMessage{JobID: job.ID, Step: content.FormatOutline, Attempt: 1}))
	steps, err := st.Steps(t.Context(), job.ID)
	require.NoError(t, err)
	for _, s := range steps {
		if s.Name == content.FormatOutline {
			return s
		}
	}
	require.FailNow(t, "the job has no outline step")
	return nil
}

// TestRepairLoopThroughTheTextExecutor runs the outline step of a real job
// through the Executor with the Vertex backend against a fake
// that answers malformed JSON once: the executor sends the answer back
// with the validator's findings and the step succeeds on the second call.
func TestRepairLoopThroughTheTextExecutor(t *testing.T) {
	c, srv := vertexClient(t, vertextest.Options{Seed: 11, Faults: []vertextest.Fault{{Kind: vertextest.Malformed, Times: 1}}})

	outline := runOutline(t, text.Executor{Gen: c, MaxRepairs: 2})
	require.Equal(t, pipeline.StepSucceeded, outline.Status, "error: %+v", outline.Error)
	require.Len(t, outline.Calls, 2, "the malformed answer and its repair are both recorded")
	assert.Equal(t, "outline.v2/system.v5/repair.v1", outline.PromptVersion)
	assert.Equal(t, int64(2), outline.Usage.Calls)
	require.NotNil(t, outline.Quality, "the step keeps its document's quality")
	assert.Positive(t, outline.Quality.Score)
	assert.Positive(t, outline.Quality.Structure.Items)
	assert.Nil(t, outline.Quality.Grounding, "a job without sources has nothing to ground")

	bodies := srv.Bodies("")
	require.Len(t, bodies, 2)
	assert.NotContains(t, bodies[0].Text(), "failed validation")
	repair := bodies[1].Text()
	assert.Contains(t, repair, "Your previous answer to this request failed validation.")
	assert.Contains(t, repair, "previous-answer\nSure! Here is the document you asked for:")
	assert.Contains(t, repair, "not valid JSON")
}

// TestAStoredResultIsNotPaidForAgain runs the outline step through the
// Vertex backend, then puts its step document back as a worker that died
// after storing the result (and before ending the step) leaves it: running
// under a lease that has run out. The next delivery ends the step from
// the stored result: the fake sees no second request.
func TestAStoredResultIsNotPaidForAgain(t *testing.T) {
	c, srv := vertexClient(t, vertextest.Options{Seed: 5})

	project := testenv.Project(t)
	fs := testenv.Firestore(t, project)
	_, gcs := testenv.Storage(t, "artifacts")
	st := store.New(fs)
	ports := pipeline.Ports{Store: st, Blobs: blob.New(gcs, "artifacts", blob.Signer{}), Publisher: &pipelinetest.Publisher{}}
	jobs := pipeline.NewJobs(ports, pipeline.JobsConfig{Region: "local", Retention: 24 * time.Hour, Deadline: time.Hour})
	runner := pipeline.NewRunner(ports, text.Executor{Gen: c, MaxRepairs: 2}, pipeline.RunnerConfig{MaxAttempts: 3})

	req, err := content.ParseRequest([]byte(`{"topic":"Tides and the Moon","formats":["outline"]}`))
	require.NoError(t, err)
	job, err := jobs.Submit(t.Context(), "owner", req, "api")
	require.NoError(t, err)
	env := pipeline.StepMessage{JobID: job.ID, Step: content.FormatOutline, Attempt: 1}
	require.NoError(t, runner.Run(t.Context(), env))
	require.Equal(t, 1, srv.Count("generate"))
	var body struct {
		Labels map[string]string `json:"labels"`
	}
	require.NoError(t, json.Unmarshal(srv.Requests()[0].Body, &body))
	assert.Equal(t, map[string]string{"app": "content-factory", "job": job.ID, "step": "outline", "version": "1", "attempt": "1", "round": "0"}, body.Labels,
		"the call is labelled with what made it, for billing reports")
	first := outlineStep(t, st, job.ID)
	require.Equal(t, pipeline.StepSucceeded, first.Status)

	// Back to how a crash between storing and ending leaves it.
	require.NoError(t, st.Transact(t.Context(), job.ID, func(_ context.Context, tx pipeline.Tx) error {
		steps, err := tx.Steps(content.FormatOutline)
		if err != nil {
			return err
		}
		s := steps[content.FormatOutline]
		s.Status, s.LeaseUntil, s.Artifacts, s.Calls, s.Usage, s.PromptVersion = pipeline.StepRunning, time.Now().Add(-time.Second), nil, nil, ai.Usage{}, ""
		s.FinishedAt = time.Time{}
		tx.SaveStep(s)
		return nil
	}))

	require.NoError(t, runner.Run(t.Context(), env))
	assert.Equal(t, 1, srv.Count("generate"), "no model call: the stored result ended the step")
	again := outlineStep(t, st, job.ID)
	assert.Equal(t, pipeline.StepSucceeded, again.Status)
	assert.Equal(t, 2, again.Attempt)
	assert.Equal(t, first.Artifacts, again.Artifacts, "the same stored artifacts")
	assert.Equal(t, first.Usage, again.Usage, "the paid call, counted once")
	assert.Equal(t, first.PromptVersion, again.PromptVersion)
}

func outlineStep(t *testing.T, st *store.Store, jobID string) *pipeline.Step {
	t.Helper()
	steps, err := st.Steps(t.Context(), jobID)
	require.NoError(t, err)
	for _, s := range steps {
		if s.Name == content.FormatOutline {
			return s
		}
	}
	t.Fatalf("job %s has no outline step", jobID)
	return nil
}
