package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/assemble"
	"contentfactory.dev/factory/functions/sources"
	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/pipeline"
)

// run delivers every published step message to a runner with the offline
// text generator (and the sources' and the package's executors), as the workers would.
func (f *fixture) run() {
	f.t.Helper()
	textRunner := pipeline.NewRunner(f.ports, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2}, pipeline.RunnerConfig{Region: "local"})
	pkgRunner := pipeline.NewRunner(f.ports, assemble.Executor{}, pipeline.RunnerConfig{Region: "local"})
	srcRunner := pipeline.NewRunner(f.ports, sources.Executor{Reader: &ingest.Reader{Limits: content.DefaultSourceLimits}}, pipeline.RunnerConfig{Region: "local"})
	for msgs := f.pub.Take(); len(msgs) > 0; msgs = f.pub.Take() {
		for _, m := range msgs {
			r := textRunner
			switch m.Step {
			case content.FormatPackage:
				r = pkgRunner
			case content.FormatSources:
				r = srcRunner
			}
			require.NoError(f.t, r.Run(context.Background(), m))
		}
	}
}

func (f *fixture) job(owner, id string) client.Job {
	f.t.Helper()
	r := f.do(http.MethodGet, "/v1/jobs/"+id, f.keys[owner], "", nil)
	require.Equal(f.t, http.StatusOK, r.status, string(r.body))
	var j client.Job
	require.NoError(f.t, json.Unmarshal(r.body, &j))
	return j
}

func (f *fixture) send(method, owner, path, key, body string) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+f.keys[owner])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set(client.IdempotencyKeyHeader, key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return response{resp.StatusCode, resp.Header, []byte(b.String())}
}

const steerRequest = `{"topic": "Tides and the Moon", "source_text": "The Moon pulls the oceans toward it. High tide comes twice a day. Spring tides follow the full and new moon. Neap tides come at the quarter moons.", "formats": ["faqs", "flashcards"]}`

func TestReviewEditApproveOverTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.post("alice", strings.Replace(steerRequest, `"formats"`, `"review": "outline", "formats"`, 1))
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	id := r.json(t)["id"].(string)
	f.run()
	j := f.job("alice", id)
	require.Equal(t, client.JobAwaitingReview, j.Status)
	assert.Equal(t, "outline", j.Review)
	assert.False(t, j.ReviewUntil.IsZero())

	// The reviewer reads the outline, changes its overview, and puts it back.
	doc := f.send(http.MethodGet, "alice", "/v1/jobs/"+id+"/documents/outline", "", "")
	require.Equal(t, http.StatusOK, doc.status, string(doc.body))
	assert.Equal(t, "1", doc.header.Get("Content-Version"))
	var outline map[string]any
	require.NoError(t, json.Unmarshal(doc.body, &outline))
	outline["overview"] = "A reviewer's overview of how the Moon moves the seas."
	edited, _ := json.Marshal(outline)
	put := f.send(http.MethodPut, "alice", "/v1/jobs/"+id+"/documents/outline", "", string(edited))
	require.Equal(t, http.StatusAccepted, put.status, string(put.body))
	j = f.job("alice", id)
	assert.Equal(t, client.JobAwaitingReview, j.Status, "still waiting for the approval")
	st, _ := j.Step(content.FormatOutline)
	assert.Equal(t, 2, st.Version)
	assert.Equal(t, "edited", st.Versions[1].Made)

	// Another step cannot change yet; a broken outline is refused.
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "", ""), 409, "not_revisable")
	assertProblem(t, f.send(http.MethodPut, "alice", "/v1/jobs/"+id+"/documents/outline", "", `{"title": ""}`), 422, "invalid_document")

	ap := f.send(http.MethodPost, "alice", "/v1/jobs/"+id+":approve", "", "")
	require.Equal(t, http.StatusOK, ap.status, string(ap.body))
	f.run()
	j = f.job("alice", id)
	require.Equal(t, client.JobSucceeded, j.Status)
	v1 := f.send(http.MethodGet, "alice", "/v1/jobs/"+id+"/documents/outline?version=1", "", "")
	require.Equal(t, http.StatusOK, v1.status)
	assert.NotContains(t, string(v1.body), "A reviewer's overview", "version 1 is the generated outline")
	v2 := f.send(http.MethodGet, "alice", "/v1/jobs/"+id+"/documents/outline", "", "")
	assert.Contains(t, string(v2.body), "A reviewer's overview")
	assertProblem(t, f.send(http.MethodGet, "alice", "/v1/jobs/"+id+"/documents/outline?version=9", "", ""), 404, "version_not_found")
	assertProblem(t, f.send(http.MethodGet, "bob", "/v1/jobs/"+id+"/documents/outline", "", ""), 404, "job_not_found")
}

func TestRegenerateOverTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.post("alice", steerRequest)
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	id := r.json(t)["id"].(string)

	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "", ""), 409, "job_running")
	f.run()
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/package:regenerate", "", ""), 409, "not_revisable")
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "", `{"instructions": "`+strings.Repeat("x", 2001)+`"}`), 422, "invalid_request")
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "", `{"prompt": "x"}`), 400, "invalid_json")
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+":approve", "", ""), 409, "no_review")

	// Concurrent retries of one regeneration make one version.
	var wg sync.WaitGroup
	results := make([]response, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "regen-1", `{"instructions": "Add a question about neap tides."}`)
		}()
	}
	wg.Wait()
	fresh := 0
	for _, res := range results {
		if res.status == http.StatusAccepted && res.header.Get("Idempotent-Replayed") == "" {
			fresh++
		}
		assert.Contains(t, []int{http.StatusAccepted, http.StatusConflict}, res.status, string(res.body))
	}
	assert.Equal(t, 1, fresh, "one call made the version; the others replayed it (or found the job running)")
	j := f.job("alice", id)
	st, _ := j.Step(content.FormatFAQs)
	assert.Equal(t, 2, st.Version)
	assert.Equal(t, "Add a question about neap tides.", st.Versions[1].Instructions)
	assert.Equal(t, 2, j.Run)
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "regen-1", `{"instructions": "Something else."}`), 409, "idempotency_key_reused")

	f.run()
	j = f.job("alice", id)
	assert.Equal(t, client.JobSucceeded, j.Status)
	fl, _ := j.Step(content.FormatFlashcards)
	assert.Equal(t, 1, fl.Version, "the flashcards are not made from the FAQs")
	pkg, _ := j.Step(content.FormatPackage)
	assert.Equal(t, 2, pkg.Version)

	// Erased: not found.
	require.Equal(t, http.StatusNoContent, f.send(http.MethodDelete, "alice", "/v1/jobs/"+id, "", "").status)
	assertProblem(t, f.send(http.MethodPost, "alice", "/v1/jobs/"+id+"/steps/faqs:regenerate", "", ""), 404, "job_not_found")
}

func TestEditingAFormatOverTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.post("alice", steerRequest)
	id := r.json(t)["id"].(string)
	f.run()

	doc := f.send(http.MethodGet, "alice", "/v1/jobs/"+id+"/documents/faqs", "", "")
	require.Equal(t, http.StatusOK, doc.status)
	var faqs content.FAQs
	require.NoError(t, json.Unmarshal(doc.body, &faqs))
	faqs.FAQs[0].Answer = "Twice a day, as the Earth turns under the bulges the Moon raises."
	body, _ := json.Marshal(faqs)
	put := f.send(http.MethodPut, "alice", "/v1/jobs/"+id+"/documents/faqs", "", string(body))
	require.Equal(t, http.StatusAccepted, put.status, string(put.body))
	msgs := f.pub.Published()
	require.Len(t, msgs, 1, "only the package is made again")
	assert.Equal(t, content.FormatPackage, msgs[0].Step)
	f.run()
	j := f.job("alice", id)
	assert.Equal(t, client.JobSucceeded, j.Status)
	got := f.send(http.MethodGet, "alice", "/v1/jobs/"+id+"/documents/faqs", "", "")
	assert.Contains(t, string(got.body), "as the Earth turns")

	assertProblem(t, f.send(http.MethodPut, "alice", "/v1/jobs/"+id+"/documents/image", "", `{}`), 404, "document_not_found")
	assertProblem(t, f.send(http.MethodPut, "alice", "/v1/jobs/"+id+"/documents/faqs", "", `{"faqs": "nope"}`), 422, "invalid_document")
}
