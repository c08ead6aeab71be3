package vertex_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/vertextest"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/shared/testenv"
)

// TestMain gives the pipeline test the Firestore emulator and a fake
// Cloud Storage; with -short that test skips itself.
func TestMain(m *testing.M) { testenv.Main(m) }

type published struct {
	mu   sync.Mutex
	envs []queue.Envelope
}

func (p *published) PublishStep(_ context.Context, _ content.Kind, env queue.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.envs = append(p.envs, env)
	return nil
}

// TestRepairLoopThroughTheTextExecutor runs the outline step of a real job
// through pipeline.TextExecutor with the Vertex backend against a fake
// that answers malformed JSON once: the executor sends the answer back
// with the validator's findings and the step succeeds on the second call.
func TestRepairLoopThroughTheTextExecutor(t *testing.T) {
	srv := newServer(t, vertextest.Options{Seed: 11, Faults: []vertextest.Fault{{Kind: vertextest.Malformed, Times: 1}}})
	c := newClient(t, srv, nil, nil)

	project := testenv.Project(t)
	fs := testenv.Firestore(t, project)
	_, gcs := testenv.Storage(t, "artifacts")
	st := store.New(fs)
	pub := &published{}
	ports := pipeline.Ports{Store: st, Blobs: blob.New(gcs, "artifacts", blob.Signer{}), Publisher: pub}
	jobs := pipeline.NewJobs(ports, pipeline.JobsConfig{Region: "local", Retention: 24 * time.Hour, Deadline: time.Hour})
	runner := pipeline.NewRunner(ports, pipeline.TextExecutor{Gen: c, MaxRepairs: 2}, pipeline.RunnerConfig{MaxAttempts: 3})

	req, err := content.ParseRequest([]byte(`{"topic":"Tides and the Moon","formats":["outline"]}`))
	require.NoError(t, err)
	job, err := jobs.Submit(t.Context(), "owner", req, "api")
	require.NoError(t, err)
	require.NoError(t, runner.Run(t.Context(), queue.Envelope{V: 1, JobID: job.ID, Step: string(content.FormatOutline), Attempt: 1}))

	steps, err := st.Steps(t.Context(), job.ID)
	require.NoError(t, err)
	var outline *pipeline.Step
	for _, s := range steps {
		if s.Name == content.FormatOutline {
			outline = s
		}
	}
	require.NotNil(t, outline)
	require.Equal(t, pipeline.StepSucceeded, outline.Status, "error: %+v", outline.Error)
	require.Len(t, outline.Calls, 2, "the malformed answer and its repair are both recorded")
	assert.Equal(t, "outline.v1/system.v2/repair.v1", outline.PromptVersion)
	assert.Equal(t, int64(2), outline.Usage.Calls)

	bodies := srv.Bodies("")
	require.Len(t, bodies, 2)
	assert.NotContains(t, bodies[0].Text(), "failed validation")
	repair := bodies[1].Text()
	assert.Contains(t, repair, "Your previous answer to this request failed validation.")
	assert.Contains(t, repair, "previous-answer\nSure! Here is the document you asked for:")
	assert.Contains(t, repair, "not valid JSON")
}
