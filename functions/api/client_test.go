package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/openapitest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

// The Go client (shared/client) against the real handler: it reads every
// document the API answers, byte for byte, and every failure as a
// problem.

// clientOf returns a client of the fixture's API for an owner.
func (f *fixture) clientOf(owner string) *client.Client {
	return client.New(f.srv.URL, f.keys[owner], f.http)
}

// sameDocument asserts that v, encoded as the API encodes its answers,
// is the body the API answered.
func sameDocument(t *testing.T, r response, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(r.body), string(b)+"\n", "the client's document is the API's, byte for byte")
}

func TestClientReadsEveryDocumentAsTheAPIWritesIt(t *testing.T) {
	t.Parallel()
	f := newLimitedFixture(t, ratelimit.Policy{Rate: 1e9, Burst: 1000, MaxRunning: 10, DailyBudgetUSD: 20},
		func(*content.Request) float64 { return 0.5 })
	c := f.clientOf("alice")
	ctx := t.Context()
	// The bucket refills at once: the usage documents read a moment apart
	// are the same.
	body := `{"topic": "Plate <tectonics> & \"drift\"", "source_text": "Plates move.", "formats": ["faqs", "image"]}`

	submitted, err := c.Submit(ctx, json.RawMessage(body), "doc-key")
	require.NoError(t, err)
	assert.Equal(t, client.JobQueued, submitted.Status)
	sameDocument(t, f.postKeyed("alice", "doc-key", body), submitted)

	id := submitted.ID
	f.finishStep(id, content.FormatOutline, "outline.json", []byte(`{"title": "Plates"}`))
	f.updateStep(id, content.FormatOutline, func(s *pipeline.Step) {
		s.Attempt, s.PromptVersion = 2, "outline@1"
		s.Usage = ai.Usage{Calls: 2, PromptTokens: 1200, OutputTokens: 300, ThinkingTokens: 20, CachedTokens: 64, DurationMS: 1500, CostUSD: 0.00123}
	})
	f.updateStep(id, content.FormatImage, func(s *pipeline.Step) {
		s.Status = pipeline.StepFailed
		s.Error = &pipeline.StepError{Code: "content_filtered", Message: "the model refused"}
	})
	job, err := c.Get(ctx, id)
	require.NoError(t, err)
	sameDocument(t, f.do(http.MethodGet, "/v1/jobs/"+id, f.keys["alice"], "", nil), job)
	outline, ok := job.Step(content.FormatOutline)
	require.True(t, ok)
	assert.Equal(t, client.StepSucceeded, outline.Status)
	assert.Equal(t, int64(1200), outline.Usage.PromptTokens)
	image, _ := job.Step(content.FormatImage)
	require.NotNil(t, image.Error)
	assert.Equal(t, "content_filtered", image.Error.Code)
	require.Len(t, job.Artifacts, 1)
	assert.Equal(t, f.srv.URL+"/v1/jobs/"+id+"/artifacts/outline.json", job.Artifacts[0].URL)

	_, err = c.Submit(ctx, json.RawMessage(`{"topic": "A second job"}`), "")
	require.NoError(t, err)
	page, err := c.List(ctx, 1, "")
	require.NoError(t, err)
	require.NotEmpty(t, page.NextPageToken)
	assert.NotEmpty(t, page.Links.Next)
	sameDocument(t, f.do(http.MethodGet, "/v1/jobs?page_size=1", f.keys["alice"], "", nil), page)

	usage, err := c.Usage(ctx)
	require.NoError(t, err)
	sameDocument(t, f.do(http.MethodGet, "/v1/usage", f.keys["alice"], "", nil), usage)
	assert.Equal(t, 2, usage.RunningJobs)
	assert.InDelta(t, 1.0, usage.ReservedUSD, 1e-9)
	assert.InDelta(t, 19.0, usage.RemainingUSD, 1e-9)

	cancelled, err := c.Cancel(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, client.JobCancelled, cancelled.Status)
	require.NoError(t, c.Delete(ctx, id))
	_, err = c.Get(ctx, id)
	assert.Equal(t, "job_not_found", client.ErrorCode(err))
}

func TestClientPagesThroughTheList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clientOf("alice")
	var want []string
	for range 5 {
		j, err := c.Submit(t.Context(), json.RawMessage(`{"topic": "One of five"}`), "")
		require.NoError(t, err)
		want = append([]string{j.ID}, want...)
	}
	f.post("bob", `{"topic": "Not alice's"}`)

	var got []string
	pages, token := 0, ""
	for {
		page, err := c.List(t.Context(), 2, token)
		require.NoError(t, err)
		pages++
		for _, j := range page.Jobs {
			got = append(got, j.ID)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, want, got, "every job once, newest first")
	assert.Equal(t, 3, pages)

	_, err := c.List(t.Context(), 0, "garbage")
	assert.Equal(t, "invalid_page_token", client.ErrorCode(err))
	_, err = c.List(t.Context(), 101, "")
	assert.Equal(t, "invalid_page_size", client.ErrorCode(err))
}

func TestClientErrorsCarryTheProblem(t *testing.T) {
	t.Parallel()
	f := newLimitedFixture(t, ratelimit.Policy{Rate: 0.001, Burst: 1}, nil)
	c := f.clientOf("alice")
	ctx := t.Context()

	_, err := c.Submit(ctx, json.RawMessage(`{"topic": "x", "formats": ["faqs", "essay"]}`), "")
	var e *client.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusUnprocessableEntity, e.Status)
	assert.Equal(t, "invalid_request", e.Code)
	assert.Equal(t, "urn:contentfactory:problem:invalid_request", e.Type)
	assert.NotEmpty(t, e.RequestID)
	fields := map[string]string{}
	for _, fe := range e.Errors {
		fields[fe.Field] = fe.Code
	}
	assert.Equal(t, map[string]string{"topic": "too_short", "formats[1]": "unknown_format"}, fields)
	assert.Contains(t, err.Error(), "422 invalid_request: ")

	_, err = c.Submit(ctx, json.RawMessage(`{"topic": "Tides", "prompt": "ignore all"}`), "")
	assert.Equal(t, "unknown_field", client.ErrorCode(err), "the document is sent as it is")

	_, err = c.Submit(ctx, json.RawMessage(`{"topic": "Tides"}`), "tides")
	require.NoError(t, err, "the burst of one")
	_, err = c.Submit(ctx, json.RawMessage(`{"topic": "Other tides"}`), "tides")
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusConflict, e.Status)
	assert.Equal(t, "idempotency_key_reused", e.Code)
	assert.Zero(t, e.RetryAfter)
	_, err = c.Submit(ctx, json.RawMessage(`{"topic": "Tides again"}`), "")
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusTooManyRequests, e.Status)
	assert.Equal(t, "rate_limited", e.Code)
	assert.GreaterOrEqual(t, e.RetryAfter.Seconds(), 1.0, "Retry-After is read")

	_, err = client.New(f.srv.URL, "cfk_not-a-key", nil).Get(ctx, "job-1")
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusUnauthorized, e.Status)
	assert.Equal(t, "invalid_credentials", e.Code)
}

// storageRoute sends requests for Cloud Storage to the fake bucket and
// every other to the network, and keeps the Authorization headers sent
// to storage.
type storageRoute struct {
	storage http.RoundTripper
	mu      sync.Mutex
	auth    []string
}

func (s *storageRoute) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "storage.googleapis.com" {
		return http.DefaultTransport.RoundTrip(r)
	}
	s.mu.Lock()
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	return s.storage.RoundTrip(r)
}

func TestClientDownloadsAnArtifactThroughItsSignedURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	route := &storageRoute{storage: f.gcs.HTTPClient().Transport}
	c := client.New(f.srv.URL, f.keys["alice"], &http.Client{Transport: openapitest.Transport(t, f.srv.URL, route)})
	id := f.post("alice", `{"topic": "Glaciers", "formats": ["faqs"]}`).json(t)["id"].(string)
	doc := `{"title": "Glaciers", "sections": ["ice"]}`
	f.finishStep(id, content.FormatOutline, "outline.json", []byte(doc))

	body, err := c.Artifact(t.Context(), id, "outline.json")
	require.NoError(t, err)
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, doc, string(b))
	assert.Equal(t, []string{""}, route.auth, "one request to storage, without the credential")

	_, err = c.Artifact(t.Context(), id, "faqs.json")
	assert.Equal(t, "artifact_not_found", client.ErrorCode(err))
	_, err = f.clientOf("bob").Artifact(t.Context(), id, "outline.json")
	assert.Equal(t, "job_not_found", client.ErrorCode(err), "another owner's job")
}

func TestClientWaitsForTheJobToEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.clientOf("alice")
	id := f.post("alice", `{"topic": "Waiting", "formats": ["faqs"]}`).json(t)["id"].(string)
	var seen []client.JobStatus
	// The job ends while it is being waited for: the first reading
	// cancels it.
	j, err := c.Wait(t.Context(), id, 1, func(j *client.Job) {
		seen = append(seen, j.Status)
		if len(seen) == 1 {
			_, err := c.Cancel(t.Context(), id)
			require.NoError(t, err)
		}
	})
	require.NoError(t, err)
	assert.Equal(t, client.JobCancelled, j.Status)
	require.Len(t, seen, 2, "read until it ended, and no more")
	assert.False(t, seen[0].Terminal())
	assert.Equal(t, client.JobCancelled, seen[1])
	for _, s := range j.Steps {
		assert.Equal(t, client.StepSkipped, s.Status, s.Name)
	}
	assert.True(t, strings.HasPrefix(j.Links.Self, f.srv.URL))
}
