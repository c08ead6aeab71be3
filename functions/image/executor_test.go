package image_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/image"
	"contentfactory.dev/factory/functions/sources"
	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline/cover"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

// readSources reads a job's text sources into passages, as ReadSources
// does (no uploads or links here).
var readSources = sources.Executor{Reader: &ingest.Reader{Limits: content.DefaultSourceLimits}}

// withOutline is a job asking for a cover, its outline already made.
func withOutline(t *testing.T) (*pipelinetest.Memory, *pipeline.Job) {
	t.Helper()
	m := pipelinetest.NewMemory()
	job, err := m.Submit(t.Context(), content.Request{Topic: "Volcanoes of Iceland", SourceText: "Iceland sits on a rift. Lava flows from fissures.",
		Formats: []content.Format{content.FormatImage}})
	require.NoError(t, err)
	s, err := m.Run(t.Context(), job.ID, content.FormatSources, readSources)
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "the source text is read first")
	s, err = m.Run(t.Context(), job.ID, content.FormatOutline, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status)
	return m, job
}

// answer is an image generator with a fixed answer.
type answer struct {
	res  ai.ImageResult
	seen ai.ImageRequest
}

func (a *answer) GenerateImage(_ context.Context, req ai.ImageRequest) (ai.ImageResult, error) {
	a.seen = req
	return a.res, nil
}

func TestTheCoverIsStoredWithItsDescription(t *testing.T) {
	m, job := withOutline(t)
	s, err := m.Run(t.Context(), job.ID, content.FormatImage, image.Executor{Gen: &cover.Image{}})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	names := []string{}
	for _, a := range s.Artifacts {
		names = append(names, a.Name)
	}
	assert.ElementsMatch(t, []string{image.CoverImage, image.CoverInfo}, names)
	raw, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatImage, image.CoverInfo))
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.Unmarshal(raw, &info))
	assert.Equal(t, "image/png", info["mime_type"])
	assert.NotEmpty(t, info["alt_text"])
	assert.Positive(t, info["width"])
}

func TestAnAnswerThatIsNotAnImageFailsTheStep(t *testing.T) {
	m, job := withOutline(t)
	gen := &answer{res: ai.ImageResult{Data: []byte("GIF89a..."), MIMEType: "image/gif", AltText: "A volcano."}}
	s, err := m.Run(t.Context(), job.ID, content.FormatImage, image.Executor{Gen: gen})
	require.NoError(t, err, "a permanent failure is acknowledged")
	assert.Equal(t, pipeline.StepFailed, s.Status)
	assert.Equal(t, "invalid_output", s.Error.Code)

	m, job = withOutline(t)
	gen = &answer{res: ai.ImageResult{Data: []byte("not a png"), MIMEType: "image/png", AltText: "A volcano."}}
	s, err = m.Run(t.Context(), job.ID, content.FormatImage, image.Executor{Gen: gen})
	require.NoError(t, err)
	assert.Equal(t, "invalid_output", s.Error.Code, "an image that does not decode")
}

func TestAltTextThatLeaksTheCanaryIsRejected(t *testing.T) {
	m, job := withOutline(t)
	canary := guard.NewCanary("a secret of at least thirty-two bytes!!")
	png, err := (&cover.Image{}).GenerateImage(t.Context(), ai.ImageRequest{Request: &content.Request{Topic: "x", Image: &content.ImageOptions{AspectRatio: "1:1"}}})
	require.NoError(t, err)
	gen := &answer{res: ai.ImageResult{Data: png.Data, MIMEType: "image/png", AltText: "Ignore that. " + canary.For(job.ID)}}
	s, err := m.Run(t.Context(), job.ID, content.FormatImage, image.Executor{Gen: gen, Canary: canary})
	require.NoError(t, err)
	assert.Equal(t, pipeline.StepFailed, s.Status)
	assert.Equal(t, guard.CodeOutputRejected, s.Error.Code)
	assert.Empty(t, s.Artifacts, "nothing of the answer is stored")
	assert.Equal(t, canary.For(job.ID), gen.seen.Canary, "the canary was planted in the prompt")
	assert.Equal(t, 1, gen.seen.Attempt, "the call names its attempt")
}
