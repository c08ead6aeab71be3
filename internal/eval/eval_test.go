package eval_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/eval"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

// TestCorpusOnTheOfflineBackend runs the shipped corpus through the
// offline backend as the text steps would, prints the table and keeps
// the report in .build/eval/offline.json for people to look at.
func TestCorpusOnTheOfflineBackend(t *testing.T) {
	t.Parallel()
	root := aitest.RepoRoot(t)
	cases, err := eval.LoadCorpus(filepath.Join(root, eval.DefaultCorpus))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cases), 20, "the corpus ships at least 20 requests")
	langs, levels := map[string]bool{}, map[string]bool{}
	for _, c := range cases {
		langs[c.Request.Language], levels[c.Request.Level] = true, true
		require.NotNil(t, content.TextSources(&c.Request), "%s has sources", c.Name)
	}
	assert.GreaterOrEqual(t, len(langs), 3, "languages")
	assert.Len(t, levels, 3, "levels")

	rep, err := eval.Run(t.Context(), eval.Config{Backend: "offline", Gen: extract.Text{}, MaxRepairs: 2}, cases)
	require.NoError(t, err)
	formats := content.TextFormats()
	require.Len(t, rep.Docs, len(cases)*len(formats))
	notApplicable := map[content.Format]int{}
	for _, d := range rep.Docs {
		require.Empty(t, d.Error, "%s/%s", d.Case, d.Format)
		if d.NotApplicable != "" {
			assert.Equal(t, content.FormatTimeline, d.Format, "%s/%s: only a timeline can fail to apply", d.Case, d.Format)
			assert.Contains(t, d.NotApplicable, "date", "%s/%s says why", d.Case, d.Format)
			notApplicable[d.Format]++
			continue
		}
		require.NotNil(t, d.Quality, "%s/%s is scored", d.Case, d.Format)
		q := d.Quality
		assert.True(t, q.Score > 0 && q.Score <= 1, "%s/%s: score %v", d.Case, d.Format, q.Score)
		require.NotNil(t, q.Citations, "%s/%s: a job with sources counts citations", d.Case, d.Format)
		if q.Citations.Claims > 0 {
			assert.Positive(t, q.Citations.Cited, "%s/%s cites its passages", d.Case, d.Format)
			require.NotNil(t, q.Grounding)
			assert.Positive(t, q.Grounding.Checked, "%s/%s: its cited claims are checked", d.Case, d.Format)
		}
	}
	require.Len(t, rep.Formats, len(formats))
	for _, s := range rep.Formats {
		assert.Equal(t, len(cases)-notApplicable[s.Format], s.Docs, s.Format)
		assert.Equal(t, notApplicable[s.Format], s.NotApplicable, s.Format)
		assert.Zero(t, s.Failed, s.Format)
		// What the scores exposed in the offline writer stays fixed: no
		// section titled by two keywords, no card or FAQ worded from a
		// template, no flashcard answer that leans on a sentence it lost.
		assert.Zero(t, s.Findings[content.FindingKeywordTitle], "%s: keyword titles", s.Format)
		if s.Format == content.FormatFlashcards || s.Format == content.FormatFAQs {
			assert.Zero(t, s.Findings[content.FindingTemplate], "%s: template questions", s.Format)
		}
		if s.Format == content.FormatFlashcards {
			assert.Zero(t, s.Findings[content.FindingDangling], "%s: answers that cannot stand alone", s.Format)
		}
	}

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	t.Log("\n" + table.String())
	for _, f := range formats {
		assert.Contains(t, table.String(), string(f))
	}
	out := filepath.Join(root, ".build", "eval", "offline.json")
	require.NoError(t, rep.WriteJSON(out))
	again, err := eval.Read(out)
	require.NoError(t, err)
	assert.Equal(t, rep.Formats, again.Formats)

	// Compared with itself, nothing changed.
	for _, d := range eval.Compare(rep, again) {
		assert.Zero(t, d.Mean, d.Format)
		assert.Zero(t, d.Better+d.Worse, d.Format)
	}
}

func TestCompareReportsThePairedDifferenceAndItsSpread(t *testing.T) {
	t.Parallel()
	doc := func(c string, f content.Format, score float64) eval.Doc {
		return eval.Doc{Case: c, Format: f, Quality: &content.Quality{Score: score}}
	}
	before := eval.Report{Docs: []eval.Doc{doc("a", "faqs", 0.5), doc("b", "faqs", 0.6), doc("c", "faqs", 0.7), doc("a", "flashcards", 0.8)}}
	after := eval.Report{Docs: []eval.Doc{doc("a", "faqs", 0.7), doc("b", "faqs", 0.7), doc("c", "faqs", 0.6), doc("a", "flashcards", 0.8), doc("z", "faqs", 1)}}
	diffs := eval.Compare(before, after)
	require.Len(t, diffs, 3)
	faqs := diffs[0]
	assert.Equal(t, content.Format("faqs"), faqs.Format)
	assert.Equal(t, 3, faqs.Cases, "a case only one report has is left out")
	assert.InDelta(t, 0.6, faqs.Before, 1e-9)
	assert.InDelta(t, 0.667, faqs.After, 1e-9)
	assert.InDelta(t, 0.067, faqs.Mean, 1e-9)
	assert.InDelta(t, 0.153, faqs.SD, 1e-9)
	assert.Equal(t, 2, faqs.Better)
	assert.Equal(t, 1, faqs.Worse)
	assert.Equal(t, content.Format("all"), diffs[2].Format)
	assert.Equal(t, 4, diffs[2].Cases)

	var out bytes.Buffer
	require.NoError(t, eval.WriteDiffs(&out, diffs))
	assert.Contains(t, out.String(), "+0.067 ± 0.153")
}

func TestLoadCorpusRejectsAnInvalidRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"topic":""}`), 0o600))
	_, err := eval.LoadCorpus(dir)
	assert.ErrorContains(t, err, "bad.json")
	_, err = eval.LoadCorpus(t.TempDir())
	assert.ErrorContains(t, err, "no requests")
}
