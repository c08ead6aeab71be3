package assemble_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/assemble"
	"contentfactory.dev/factory/functions/sources"
	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/quality"
)

// readSources reads a job's text sources into passages, as ReadSources
// does (no uploads or links here).
var readSources = sources.Executor{Reader: &ingest.Reader{Limits: content.DefaultSourceLimits}}

type caches struct {
	mu      sync.Mutex
	deleted []string
}

func (c *caches) DeleteJobCache(_ context.Context, jobID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deleted = append(c.deleted, jobID)
	return nil
}

func TestThePackageListsEveryStepAndBundlesTheText(t *testing.T) {
	ctx := t.Context()
	m := pipelinetest.NewMemory()
	job, err := m.Submit(ctx, content.Request{Topic: "Glaciers", SourceText: "Glaciers are rivers of ice. A moraine is a ridge of debris.",
		Formats: []content.Format{content.FormatFAQs, content.FormatFlashcards}})
	require.NoError(t, err)
	s, err := m.Run(ctx, job.ID, content.FormatSources, readSources)
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "the source text is read first")
	for _, f := range []content.Format{content.FormatOutline, content.FormatFAQs, content.FormatFlashcards} {
		s, err := m.Run(ctx, job.ID, f, text.Executor{Gen: &extract.Text{}, Checker: quality.Lexical{}, MaxRepairs: 2})
		require.NoError(t, err)
		require.Equal(t, pipeline.StepSucceeded, s.Status)
	}
	c := &caches{}
	s, err = m.Run(ctx, job.ID, content.FormatPackage, assemble.Executor{Caches: c})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	assert.Equal(t, []string{job.ID}, c.deleted, "the job's model cache is dropped once every other step has ended")

	raw, err := m.Blobs.Read(ctx, pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.ManifestName))
	require.NoError(t, err)
	var man assemble.Manifest
	require.NoError(t, json.Unmarshal(raw, &man))
	assert.Equal(t, job.ID, man.JobID)
	steps := map[content.Format]pipeline.StepStatus{}
	for _, ms := range man.Steps {
		steps[ms.Name] = ms.Status
		assert.NotEmpty(t, ms.Artifacts, "%s lists its artifacts", ms.Name)
		if ms.Name == content.FormatSources {
			continue
		}
		if assert.NotNil(t, ms.Quality, "%s has its quality in the manifest", ms.Name) && assert.NotNil(t, ms.Quality.Grounding, ms.Name) {
			assert.Equal(t, quality.LexicalChecker, ms.Quality.Grounding.Checker)
			assert.Positive(t, ms.Quality.Grounding.Supported, "%s: its claims are checked against the passages they cite", ms.Name)
		}
	}
	assert.Equal(t, map[content.Format]pipeline.StepStatus{
		content.FormatSources: pipeline.StepSucceeded, content.FormatOutline: pipeline.StepSucceeded,
		content.FormatFAQs: pipeline.StepSucceeded, content.FormatFlashcards: pipeline.StepSucceeded,
	}, steps, "the manifest lists every step, the sources' too")
	var made []string
	for _, e := range man.Exports {
		made = append(made, e.Name)
	}
	assert.Equal(t, []string{assemble.BundleMarkdown, assemble.BundleHTML, assemble.BundlePDF, assemble.BundleDOCX, assemble.BundleEPUB, assemble.FlashcardsAnki, assemble.FlashcardsCSV}, made, "every export the formats can make")
	for _, a := range s.Artifacts {
		assert.NotEmpty(t, a.ContentType, a.Name)
	}

	md, err := m.Blobs.Read(ctx, pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.BundleMarkdown))
	require.NoError(t, err)
	assert.Contains(t, string(md), man.Title)
	assert.Contains(t, string(md), "[^p1]: Source 1 (p1): Glaciers are rivers of ice.", "the bundle links citations to the passage text")
	html, err := m.Blobs.Read(ctx, pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.BundleHTML))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(strings.TrimSpace(string(html)), "<!DOCTYPE html>") || strings.Contains(string(html), "<html"), "an HTML page")
	assert.NotContains(t, string(html), "<script")

	j, err := m.Store.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobSucceeded, j.Status, "the package ends the job")
}

func TestOnlyTheExportsAskedForAreMade(t *testing.T) {
	ctx := t.Context()
	m := pipelinetest.NewMemory()
	job, err := m.Submit(ctx, content.Request{Topic: "Glaciers", SourceText: "Glaciers are rivers of ice. A moraine is a ridge of debris.",
		Formats: []content.Format{content.FormatFlashcards}, Exports: []content.Export{content.ExportPDF, content.ExportAnki}})
	require.NoError(t, err)
	s, err := m.Run(ctx, job.ID, content.FormatSources, readSources)
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	for _, f := range []content.Format{content.FormatOutline, content.FormatFlashcards} {
		_, err := m.Run(ctx, job.ID, f, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2})
		require.NoError(t, err)
	}
	s, err = m.Run(ctx, job.ID, content.FormatPackage, assemble.Executor{})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	types := map[string]string{}
	for _, a := range s.Artifacts {
		types[a.Name] = a.ContentType
	}
	assert.Equal(t, map[string]string{assemble.BundlePDF: "application/pdf", assemble.FlashcardsAnki: "application/vnd.anki", assemble.ManifestName: "application/json"}, types)
	pdf, err := m.Blobs.Read(ctx, pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.BundlePDF))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(pdf), "%PDF-"))
}

// packageOf runs a job of the given formats on a source text with the
// offline backend and packages it, returning the package step and the
// manifest.
func packageOf(t *testing.T, source string, formats []content.Format) (*pipelinetest.Memory, *pipeline.Job, *pipeline.Step, assemble.Manifest) {
	t.Helper()
	ctx := t.Context()
	m := pipelinetest.NewMemory()
	job, err := m.Submit(ctx, content.Request{Topic: "A history of timekeeping", SourceText: source, Formats: formats})
	require.NoError(t, err)
	s, err := m.Run(ctx, job.ID, content.FormatSources, readSources)
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	for _, f := range append([]content.Format{content.FormatOutline}, formats...) {
		_, err := m.Run(ctx, job.ID, f, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2})
		require.NoError(t, err)
	}
	s, err = m.Run(ctx, job.ID, content.FormatPackage, assemble.Executor{})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	raw, err := m.Blobs.Read(ctx, pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.ManifestName))
	require.NoError(t, err)
	var man assemble.Manifest
	require.NoError(t, json.Unmarshal(raw, &man))
	return m, job, s, man
}

func TestTheQuizAndTheTimelineAreBundledAndExported(t *testing.T) {
	src := aitest.FixtureNamed(t, "timekeeping").Request.SourceText
	m, job, s, man := packageOf(t, src, []content.Format{content.FormatQuiz, content.FormatTimeline})
	var made []string
	for _, e := range man.Exports {
		made = append(made, e.Name)
	}
	assert.Equal(t, []string{assemble.BundleMarkdown, assemble.BundleHTML, assemble.BundlePDF, assemble.BundleDOCX, assemble.BundleEPUB,
		assemble.FlashcardsAnki, assemble.QuizCSV}, made, "a quiz makes a deck and a CSV of its own")
	for _, a := range s.Artifacts {
		assert.NotEmpty(t, a.ContentType, a.Name)
	}
	md, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.BundleMarkdown))
	require.NoError(t, err)
	assert.Contains(t, string(md), "\n## Quiz\n")
	assert.Contains(t, string(md), "\n### Answers\n")
	assert.Contains(t, string(md), "\n## Timeline\n")
	assert.Contains(t, string(md), "BCE", "the fixture's earliest dates are before the Common Era")
	html, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.BundleHTML))
	require.NoError(t, err)
	assert.Contains(t, string(html), ">Quiz</h2>")
	assert.Contains(t, string(html), ">Timeline</h2>")
}

func TestATimelineThatDoesNotApplyIsLeftOutOfTheBundle(t *testing.T) {
	m, job, _, man := packageOf(t, "Glaciers are rivers of ice. A moraine is a ridge of debris. Ice flows downhill under its own weight.",
		[]content.Format{content.FormatFAQs, content.FormatTimeline})
	steps := map[content.Format]pipeline.StepStatus{}
	for _, ms := range man.Steps {
		steps[ms.Name] = ms.Status
	}
	assert.Equal(t, pipeline.StepNotApplicable, steps[content.FormatTimeline])
	md, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatPackage, assemble.BundleMarkdown))
	require.NoError(t, err)
	assert.Contains(t, string(md), "\n## FAQs\n")
	assert.NotContains(t, string(md), "Timeline")
	j, err := m.Store.Job(t.Context(), job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobSucceeded, j.Status, "a step that does not apply fails nothing")
}
