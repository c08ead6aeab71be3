package e2e

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/assemble"
	"contentfactory.dev/factory/internal/testdocs"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

// linkSite is a web page on a local TLS server that the stack's link
// fetcher reaches as https://example.com through its test seam
// (devstack.Options.TestLinks): the name resolves to a public address
// whose connections go to this server, trusted through its certificate.
type linkSite struct {
	spec string
}

func newLinkSite(t *testing.T) *linkSite {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/glaciers" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(testdocs.Article("How glaciers shape valleys", map[string][]string{
			"Moraines": {"A moraine is a ridge of rock and soil that a glacier pushes ahead of it or leaves along its sides. " +
				"Terminal moraines mark the furthest point a glacier reached before it melted back."},
			"U-shaped valleys": {"Glaciers carve valleys into a U shape because the ice grinds the floor and the walls at once, " +
				"while rivers cut narrow V-shaped valleys. Hanging valleys are left where smaller glaciers joined a larger one."},
		}, []string{"Moraines", "U-shaped valleys"}))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "link-ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return &linkSite{spec: "host=example.com,public=93.184.215.14,loopback=" + srv.Listener.Addr().String() + ",ca=" + ca}
}

// glacierPDF is the lecture the job uploads: two pages of text.
func glacierPDF() []byte {
	return testdocs.PDF([][]string{
		{
			"A glacier is a large body of ice that moves slowly down a slope or valley under its own weight. Glaciers form where more snow falls in winter than melts in summer, year after year.",
			"Over decades the snow is compressed into firn and then into dense glacial ice.",
		},
		{"Glaciers move by internal deformation of the ice and by basal sliding over meltwater. A glacier that loses more ice than it gains retreats."},
	}, testdocs.PDFOptions{})
}

// submitFromFiles uploads a PDF through the API (a signed PUT to the
// bucket), and submits a job from it and a link, in every format.
func submitFromFiles(t *testing.T, s *stacktest.Stack) string {
	t.Helper()
	up, err := s.API.Upload(t.Context(), "glaciers-lecture.pdf", content.MediaPDF, glacierPDF())
	require.NoError(t, err)
	got, err := s.API.GetUpload(t.Context(), up.ID)
	require.NoError(t, err)
	require.True(t, got.Uploaded, "the signed PUT stored the file")

	_, err = s.API.Submit(t.Context(), stacktest.JSON(t, map[string]any{"topic": "Glaciers", "sources": []map[string]string{
		{"upload_id": up.ID}, {"url": "https://127.0.0.1/glaciers"},
	}}), "")
	var ce *client.Error
	require.ErrorAs(t, err, &ce, "a link to this machine is refused at submission")
	assert.Equal(t, "invalid_request", ce.Problem.Code)
	require.Len(t, ce.Problem.Errors, 1)
	assert.Equal(t, "sources[1].url", ce.Problem.Errors[0].Field)

	return s.Submit(t, map[string]any{
		"topic": "Glaciers",
		"sources": []map[string]string{
			{"upload_id": up.ID, "title": "Lecture 7: glaciers"},
			{"url": "https://example.com/glaciers"},
		},
		"podcast": map[string]any{"target_minutes": 1},
	})
}

// checkFromFiles checks a job made from an uploaded PDF and a link: the
// sources step ran first and stored sources.json, whose passages carry the
// PDF's pages and the page's headings; the outline is made from them;
// every format was made; the detail shows what was read and the input
// risk of each source. The offline backend's outline, extracted from the
// passages, speaks of what they say (the Vertex fake's does not read).
func checkFromFiles(t *testing.T, s *stacktest.Stack, backend string, j *client.Job) {
	t.Helper()
	require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
	names := stacktest.StepNames(j)
	require.Equal(t, "sources", names[0], "the sources are read first")
	assert.Len(t, names, len(content.Formats()), "the sources step and every other")
	read, ok := j.Step(content.FormatSources)
	require.True(t, ok)
	require.NotNil(t, read.Read)
	assert.Equal(t, 2, read.Read.Sources)
	require.Len(t, j.InputRisk.Sources, 2, "input risk per source")
	assert.Equal(t, "sources[1]", j.InputRisk.Sources[1].Field)

	var set content.SourceSet
	require.NoError(t, json.Unmarshal(s.Artifact(t, j.ID, "sources.json"), &set))
	require.Len(t, set.Sources, 2)
	assert.Equal(t, content.MediaPDF, set.Sources[0].MediaType)
	assert.Equal(t, 2, set.Sources[0].Pages)
	assert.Equal(t, "glaciers-lecture.pdf", set.Sources[0].Filename)
	assert.Equal(t, "https://example.com/glaciers", set.Sources[1].URL)
	pages, headings := map[int]bool{}, map[string]bool{}
	for _, p := range set.Passages {
		if p.Source == "s1" {
			pages[p.Page] = true
		} else {
			headings[p.Heading] = true
		}
	}
	assert.Equal(t, map[int]bool{1: true, 2: true}, pages, "the PDF's passages carry their pages")
	assert.True(t, headings["Moraines"] && headings["U-shaped valleys"], "the page's passages carry their headings: %v", headings)
	all := ""
	for _, p := range set.Passages {
		all += p.Text + "\n"
	}
	assert.Contains(t, all, "compressed into firn")
	assert.NotContains(t, all, "All rights reserved", "the page's main content only")

	if backend == "offline" {
		outline := string(s.Artifact(t, j.ID, "outline.json"))
		assert.Contains(t, outline, "firn", "the outline is made from the PDF's passages")
		assert.Contains(t, outline, "moraine", "and from the page's")
	}
	checkGrounded(t, s, j, set.Passages)
	have := map[string]bool{}
	for _, a := range j.Artifacts {
		have[a.Name] = true
	}
	for _, name := range []string{"sources.json", "outline.json", "podcast_script.json", "study_guide.json", "one_pager.json",
		"detailed_reading.json", "faqs.json", "flashcards.json", "reading_guide.json", "cover.png", "manifest.json", "bundle.md", "bundle.html"} {
		assert.True(t, have[name], "artifact %s", name)
	}
}

// checkGrounded checks the text documents of a job made from sources, on
// either backend: every citation of every document names a passage of
// sources.json and each document cites at least one; every text step has
// its quality in the job detail (a score, its threshold, and the
// grounding check's verdicts on its cited claims) and in the manifest.
func checkGrounded(t *testing.T, s *stacktest.Stack, j *client.Job, passages []content.Passage) {
	t.Helper()
	ids := map[string]bool{}
	for _, p := range passages {
		ids[p.ID] = true
	}
	var man assemble.Manifest
	require.NoError(t, json.Unmarshal(s.Artifact(t, j.ID, assemble.ManifestName), &man))
	inManifest := map[content.Format]*content.Quality{}
	for _, ms := range man.Steps {
		inManifest[ms.Name] = ms.Quality
	}
	for _, f := range content.TextFormats() {
		st, ok := j.Step(f)
		require.True(t, ok, "step %s", f)
		if st.Status == client.StepNotApplicable {
			assert.Equal(t, content.FormatTimeline, f, "only a timeline can fail to apply")
			continue // nothing made, nothing to cite
		}
		var doc any
		require.NoError(t, json.Unmarshal(s.Artifact(t, j.ID, string(f)+".json"), &doc))
		cited := citationsIn(doc)
		for _, id := range cited {
			assert.True(t, ids[id], "%s cites %q, which is not a passage of sources.json", f, id)
		}

		q := st.Quality
		if !assert.NotNil(t, q, "%s has no quality in the job detail", f) {
			continue
		}
		assert.True(t, q.Score > 0 && q.Score <= 1, "%s: score %v", f, q.Score)
		assert.Positive(t, q.Threshold, f)
		if q.Citations == nil || q.Citations.Claims == 0 {
			continue // a format without items that state facts (the reading guide's questions)
		}
		assert.NotEmpty(t, cited, "%s is written from sources and cites none", f)
		if assert.NotNil(t, q.Grounding, "%s: its cited claims are checked", f) {
			assert.Positive(t, q.Grounding.Checked, f)
			assert.Equal(t, q.Grounding.Checked, q.Grounding.Supported+q.Grounding.Partial+q.Grounding.Unsupported, f)
		}
		if assert.NotNil(t, inManifest[f], "%s has no quality in the manifest", f) {
			assert.InDelta(t, q.Score, inManifest[f].Score, 1e-9, "%s: the manifest has the step's quality", f)
		}
	}
}

// citationsIn collects the values of every "citations" array in a
// decoded JSON document.
func citationsIn(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if list, ok := x.([]any); ok && k == "citations" {
				for _, id := range list {
					s, _ := id.(string)
					out = append(out, s)
				}
				continue
			}
			out = append(out, citationsIn(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, citationsIn(x)...)
		}
	}
	return out
}
