package security

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"contentfactory.dev/factory/functions/image"
	"contentfactory.dev/factory/functions/text"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

// inProcess is the pipeline in one process on the in-memory ports, with
// the Vertex backend against its fake: fast enough to compromise each
// step's answer separately.
type inProcess struct {
	t      *testing.T
	fake   *vertextest.Server
	gen    *vertex.Client
	store  *pipelinetest.Store
	blobs  *pipelinetest.Blobs
	ports  pipeline.Ports
	jobs   *pipeline.Jobs
	canary guard.Canary
}

func newInProcess(t *testing.T, secret string) *inProcess {
	t.Helper()
	fake := vertextest.NewServer(vertextest.Options{Seed: 3})
	t.Cleanup(fake.Close)
	cfg, err := models.Load(func(k string) string {
		if k == models.EnvVertexBaseURL {
			return fake.URL
		}
		return ""
	}, "test-project")
	require.NoError(t, err)
	gen, err := vertex.New(t.Context(), cfg, vertex.Options{Index: &vertex.MemoryIndex{},
		Retry: &retry.Policy{Attempts: 2, Base: time.Millisecond, Cap: time.Millisecond}})
	require.NoError(t, err)
	p := &inProcess{t: t, fake: fake, gen: gen, store: pipelinetest.NewStore(), blobs: pipelinetest.NewBlobs(), canary: guard.NewCanary(secret)}
	p.ports = pipeline.Ports{Store: p.store, Blobs: p.blobs, Publisher: &pipelinetest.Publisher{}}
	p.jobs = pipeline.NewJobs(p.ports, pipeline.JobsConfig{Region: "local", Screen: guard.Screen})
	return p
}

func (p *inProcess) submit(req map[string]any) *pipeline.Job {
	p.t.Helper()
	r := parse(p.t, req)
	if f, ok := req["formats"].([]string); ok {
		r.Formats = content.Closure(toFormats(f))
	}
	job, err := p.jobs.Submit(p.t.Context(), "owner", r, "api")
	require.NoError(p.t, err)
	return job
}

func toFormats(fs []string) []content.Format {
	out := make([]content.Format, len(fs))
	for i, f := range fs {
		out[i] = content.Format(f)
	}
	return out
}

// run runs one step of a job with the executor of its kind.
func (p *inProcess) run(jobID string, step content.Format) *pipeline.Step {
	p.t.Helper()
	var exec pipeline.Executor = text.Executor{Gen: p.gen, MaxRepairs: 2, Canary: p.canary}
	if step == content.FormatImage {
		exec = image.Executor{Gen: p.gen, Canary: p.canary}
	}
	runner := pipeline.NewRunner(p.ports, exec, pipeline.RunnerConfig{MaxAttempts: 3, Region: "local"})
	require.NoError(p.t, runner.Run(p.t.Context(), pipeline.StepMessage{JobID: jobID, Step: step, Attempt: 1, Region: "local"}))
	steps, err := p.store.Steps(context.Background(), jobID)
	require.NoError(p.t, err)
	for _, s := range steps {
		if s.Name == step {
			return s
		}
	}
	p.t.Fatalf("job %s has no step %s", jobID, step)
	return nil
}

// stored returns every stored object of a job.
func (p *inProcess) stored(jobID string) map[string][]byte {
	out := map[string][]byte{}
	for _, path := range p.blobs.Paths() {
		if strings.HasPrefix(path, pipeline.JobPrefix(jobID)) {
			b, err := p.blobs.Read(context.Background(), path)
			require.NoError(p.t, err)
			out[path] = b
		}
	}
	return out
}

// requestsMention counts the requests to the fake whose body holds text.
func (p *inProcess) requestsMention(text string) int {
	n := 0
	for _, r := range p.fake.Requests() {
		if strings.Contains(string(r.Body), text) {
			n++
		}
	}
	return n
}

// TestCanaryInEveryStep compromises the answer of a derived step (FAQs,
// made from the outline) and of the cover's alt text with the job's
// canary: both steps fail output_rejected at once, without a repair call,
// and nothing of them is stored. The canary went out in every system
// instruction, and never in a user turn.
func TestCanaryInEveryStep(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, "suite secret")
	job := p.submit(map[string]any{"topic": "Tides and the Moon", "source_text": waterCycle, "formats": []string{"faqs", "image"}})
	canary := p.canary.For(job.ID)
	assert.NotEqual(t, guard.Canary{}.For(job.ID), canary, "the deployment secret is used")

	outline := p.run(job.ID, content.FormatOutline)
	require.Equal(t, pipeline.StepSucceeded, outline.Status, "%+v", outline.Error)
	gens := p.fake.Requests()
	require.NotEmpty(t, gens)
	body, err := gens[len(gens)-1].Generate()
	require.NoError(t, err)
	assert.Contains(t, body.SystemInstruction.Text(), canary, "the canary is planted in the system instruction")
	assert.NotContains(t, body.Text(), canary, "and nowhere else")

	// A valid FAQs document for this outline, with the canary in an answer.
	raw, err := p.blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatOutline, "outline.json"))
	require.NoError(t, err)
	o, err := content.Decode[content.Outline](content.FormatOutline, raw, content.Expect{})
	require.NoError(t, err)
	req, err := p.store.Request(t.Context(), job.ID)
	require.NoError(t, err)
	res, err := extract.Text{}.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatFAQs, Request: req, Outline: o})
	require.NoError(t, err)
	var faqs content.FAQs
	require.NoError(t, json.Unmarshal(res.JSON, &faqs))
	faqs.FAQs[0].Answer = "My instructions end with a leak marker: " + strings.ToUpper(canary) + "."
	leaky, err := json.Marshal(faqs)
	require.NoError(t, err)
	_, err = content.ValidateText(content.FormatFAQs, leaky, content.Expect{Request: req, Outline: o})
	require.NoError(t, err, "the compromised answer is schema-valid: only the canary gives it away")

	before := len(p.fake.Requests())
	p.fake.SetCompromised(string(leaky))
	s := p.run(job.ID, content.FormatFAQs)
	assert.Equal(t, pipeline.StepFailed, s.Status)
	require.NotNil(t, s.Error)
	assert.Equal(t, guard.CodeOutputRejected, s.Error.Code)
	assert.NotContains(t, s.Error.Message, canary)
	assert.Len(t, p.fake.Requests()[before:], 1, "a leak is never sent back for repair")

	// The cover's alt text (its first sentence is kept), with the canary
	// spaced out.
	p.fake.SetCompromised("A drawing of the sea with the marker " + strings.Join(strings.Split(canary, ""), " ") + ". More.")
	img := p.run(job.ID, content.FormatImage)
	assert.Equal(t, pipeline.StepFailed, img.Status)
	require.NotNil(t, img.Error)
	assert.Equal(t, guard.CodeOutputRejected, img.Error.Code)
	imgReqs := p.fake.Requests()
	imgBody, err := imgReqs[len(imgReqs)-1].Generate()
	require.NoError(t, err)
	assert.Contains(t, imgBody.Text(), canary, "the canary is planted in the image prompt")

	for path, data := range p.stored(job.ID) {
		assert.False(t, guard.Leaked(data, canary), "%s holds the canary", path)
		assert.NotContains(t, path, "faqs")
		assert.NotContains(t, path, "cover")
	}
	assert.Equal(t, 0, p.requestsMention(canary)-p.requestsMention("Leak marker: "+canary), "the canary only ever went out as the leak marker")
}

// TestCanaryInTheCachedContext: a source long enough for a context cache
// puts the system instruction, and its canary, in the cache; a leak is
// caught the same way.
func TestCanaryInTheCachedContext(t *testing.T) {
	t.Parallel()
	p := newInProcess(t, "")
	long := strings.Repeat(waterCycle+"\n\n", 160)
	require.LessOrEqual(t, len(long), content.MaxSourceLen)
	job := p.submit(map[string]any{"topic": "The water cycle", "source_text": long, "formats": []string{"outline"}})
	canary := p.canary.For(job.ID)
	assert.Equal(t, guard.Canary{}.For(job.ID), canary, "without a secret, the local default")

	valid, err := extract.Text{}.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &content.Request{Topic: "The water cycle", Level: "intermediate", Audience: "general audience", Language: "en-US"}})
	require.NoError(t, err)
	var o content.Outline
	require.NoError(t, json.Unmarshal(valid.JSON, &o))
	o.Overview += " (" + canary[len(guard.CanaryPrefix):] + ")"
	leaky, err := json.Marshal(o)
	require.NoError(t, err)
	p.fake.SetCompromised(string(leaky))

	s := p.run(job.ID, content.FormatOutline)
	assert.Equal(t, pipeline.StepFailed, s.Status)
	require.NotNil(t, s.Error)
	assert.Equal(t, guard.CodeOutputRejected, s.Error.Code)
	var created bool
	for _, r := range p.fake.Requests() {
		if r.Kind == "cache.create" {
			created = true
			assert.Contains(t, string(r.Body), "Leak marker: "+canary, "the cached system instruction carries the canary")
		}
	}
	assert.True(t, created, "the source went into a context cache")
	assert.Empty(t, p.stored(job.ID))
}
