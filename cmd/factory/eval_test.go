package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/eval"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
)

// smallCorpus copies two requests of the shipped corpus to a folder.
func smallCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"physics-tides", "economics-supply-demand"} {
		raw, err := os.ReadFile(filepath.Join(aitest.RepoRoot(t), eval.DefaultCorpus, name+".json"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".json"), raw, 0o600))
	}
	return dir
}

func TestEvalOfflineWritesTheTableAndComparesWithABaseline(t *testing.T) {
	t.Parallel()
	dir := smallCorpus(t)
	report := filepath.Join(t.TempDir(), "offline.json")
	getenv := func(string) string { return "" }
	var out bytes.Buffer
	require.NoError(t, evalCommand(t.Context(), &out, getenv, []string{"--corpus", dir, "--out", report}))
	assert.Contains(t, out.String(), "2 cases on the offline backend")
	for _, f := range []string{"outline", "flashcards", "reading_guide", "all"} {
		assert.Regexp(t, `(?m)^`+f+` +[0-9]+( \([0-9]+ n/a\))? +[01]\.[0-9]{3} ± `, out.String())
	}
	rep, err := eval.Read(report)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Cases)
	made := 0
	for _, d := range rep.Docs {
		if d.Quality != nil {
			made++
		}
	}

	out.Reset()
	require.NoError(t, evalCommand(t.Context(), &out, getenv, []string{"--corpus", dir, "--out", "", "--baseline", report}))
	cmp := out.String()[strings.Index(out.String(), "compared with"):]
	assert.Regexp(t, `(?m)^faqs +2 +`, cmp)
	assert.Regexp(t, `(?m)^all +`+strconv.Itoa(made)+` +[01]\.[0-9]{3} +[01]\.[0-9]{3} +\+0\.000 ± 0\.000 +0 +0$`, cmp, "the same backend on the same corpus scores the same")

	out.Reset()
	require.NoError(t, evalCommand(t.Context(), &out, getenv, []string{"--corpus", dir, "--out", "", "--formats", "faqs", "--baseline", report}))
	cmp = out.String()[strings.Index(out.String(), "compared with"):]
	assert.NotContains(t, cmp, "flashcards", "only the formats both reports hold")

	assert.ErrorContains(t, evalCommand(t.Context(), &out, getenv, []string{"--corpus", dir, "--formats", "image"}), "not a text format")
	assert.ErrorContains(t, evalCommand(t.Context(), &out, getenv, []string{"--corpus", dir, "--backend", "nope"}), "--backend")
}

// TestEvalOnTheVertexFake runs the corpus through the Vertex backend
// against its fake: documents of random words with citations of the
// job's passages, each judged by a check call to the model (whose
// verdicts the fake draws at random).
func TestEvalOnTheVertexFake(t *testing.T) {
	t.Parallel()
	vx := vertextest.NewServer(vertextest.Options{Seed: 5})
	defer vx.Close()
	env := map[string]string{"GOOGLE_CLOUD_PROJECT": "test-project", "FACTORY_VERTEX_BASE_URL": vx.URL}
	var out bytes.Buffer
	report := filepath.Join(t.TempDir(), "vertex.json")
	require.NoError(t, evalCommand(t.Context(), &out, func(k string) string { return env[k] },
		[]string{"--corpus", smallCorpus(t), "--backend", "vertex", "--formats", "outline,faqs", "--max-repairs", "0", "--out", report}))
	assert.Contains(t, out.String(), "2 cases on the vertex backend")
	rep, err := eval.Read(report)
	require.NoError(t, err)
	require.Len(t, rep.Docs, 4)
	for _, d := range rep.Docs {
		require.NotNil(t, d.Quality, "%s/%s: %s", d.Case, d.Format, d.Error)
		g := d.Quality.Grounding
		require.NotNil(t, g)
		assert.True(t, strings.HasPrefix(g.Checker, vertex.CheckerName+":"), "%s/%s is judged by the model: %s", d.Case, d.Format, g.Checker)
		assert.Positive(t, g.Checked)
		assert.Equal(t, g.Checked, g.Supported+g.Partial+g.Unsupported)
		assert.Equal(t, g.Unsupported > 0, slices.Contains(d.Warnings, "unsupported_claims"), "%s/%s: flagged exactly when a claim is unsupported", d.Case, d.Format)
	}
	assert.Equal(t, 8, vx.Count("generate"), "an outline and the FAQs per case and a check of each, no repair")
}

// TestEvalComparesTwoPromptSelections runs an A/B on the Vertex fake: the
// FAQs written with the template in use and with the previous one, each
// recorded per document, and their difference reported case by case.
func TestEvalComparesTwoPromptSelections(t *testing.T) {
	t.Parallel()
	vx := vertextest.NewServer(vertextest.Options{Seed: 7})
	defer vx.Close()
	env := map[string]string{"GOOGLE_CLOUD_PROJECT": "test-project", "FACTORY_VERTEX_BASE_URL": vx.URL}
	var out bytes.Buffer
	report := filepath.Join(t.TempDir(), "ab.json")
	require.NoError(t, evalCommand(t.Context(), &out, func(k string) string { return env[k] },
		[]string{"--corpus", smallCorpus(t), "--backend", "vertex", "--formats", "outline,faqs", "--max-repairs", "0",
			"--out", report, "--compare", "faqs.v1"}))
	cur := prompts.Versions.Formats[content.FormatFAQs]
	require.NotEqual(t, "faqs.v1", cur)
	assert.Contains(t, out.String(), "2 cases on the vertex backend, prompts current")
	assert.Contains(t, out.String(), "2 cases on the vertex backend, prompts faqs.v1")
	assert.Contains(t, out.String(), "A/B: prompts faqs.v1 (before) against current (after)")
	assert.Regexp(t, `(?m)^faqs +2 +[01]\.[0-9]{3} +[01]\.[0-9]{3} +[+-][01]\.[0-9]{3} ± [01]\.[0-9]{3} +[0-2] +[0-2]$`, out.String())

	b, err := eval.Read(report)
	require.NoError(t, err)
	a, err := eval.Read(strings.TrimSuffix(report, ".json") + "-compare.json")
	require.NoError(t, err)
	assert.Equal(t, "current", b.Prompts)
	assert.Equal(t, "faqs.v1", a.Prompts)
	for _, r := range []struct {
		rep  eval.Report
		faqs string
	}{{b, cur}, {a, "faqs.v1"}} {
		for _, d := range r.rep.Docs {
			require.NotNil(t, d.Quality, "%s/%s: %s", d.Case, d.Format, d.Error)
			want := prompts.Versions.Formats[content.FormatOutline]
			if d.Format == content.FormatFAQs {
				want = r.faqs
			}
			assert.True(t, strings.HasPrefix(d.PromptVersion, want+"/"), "%s/%s written by %s, want %s", d.Case, d.Format, d.PromptVersion, want)
		}
	}
	// The model was asked with each template's own words.
	var v1, v2 int
	for _, g := range vx.Bodies("") {
		raw, err := json.Marshal(g)
		require.NoError(t, err)
		switch {
		case strings.Contains(string(raw), "never \\\"This…\\\" or \\\"It…\\\""):
			v2++
		case strings.Contains(string(raw), "write the questions a learner would ask"):
			v1++
		}
	}
	assert.Equal(t, 2, v1, "one FAQs call per case with faqs.v1")
	assert.Equal(t, 2, v2, "one FAQs call per case with "+cur)

	var sink bytes.Buffer
	assert.ErrorContains(t, evalCommand(t.Context(), &sink, func(string) string { return "" },
		[]string{"--corpus", smallCorpus(t), "--compare", "previous"}), "only the vertex backend")
	assert.ErrorContains(t, evalCommand(t.Context(), &sink, func(k string) string { return env[k] },
		[]string{"--corpus", smallCorpus(t), "--backend", "vertex", "--compare", "faqs.v9"}), "not released")
}
