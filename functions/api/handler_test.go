package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/api"
	"contentfactory.dev/factory/internal/openapitest"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/shared/webhook"
)

// fakeDNS resolves names from a table; others do not resolve.
type fakeDNS map[string]string

func (d fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if ip, ok := d[host]; ok {
		return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestMain(m *testing.M) { testenv.Main(m) }

type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	bucket *blob.Bucket
	gcs    *fakestorage.Server
	pub    *pipelinetest.Publisher
	ports  pipeline.Ports
	keys   map[string]string // owner → key
	jobs   *pipeline.Jobs
	// http carries every request of the test and checks every answer
	// against the OpenAPI document the API serves; clients holds one for
	// each API instance started.
	http    *http.Client
	clients map[*httptest.Server]*http.Client
}

const maxBody = 1 << 20

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newLimitedFixture(t, ratelimit.Policy{}, nil)
}

// newLimitedFixture is a fixture whose store applies limits and whose jobs
// are estimated by estimate.
func newLimitedFixture(t *testing.T, policy ratelimit.Policy, estimate func(*content.Request) float64) *fixture {
	t.Helper()
	fs := testenv.Firestore(t, testenv.Project(t))
	gcsSrv, gcs := testenv.Storage(t, "artifacts")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	f := &fixture{
		t: t, store: store.New(fs), pub: &pipelinetest.Publisher{}, keys: map[string]string{},
		bucket: blob.New(gcs, "artifacts", blob.Signer{GoogleAccessID: "signer@test.invalid", PrivateKey: pemKey}), gcs: gcsSrv,
	}
	for _, owner := range []string{"alice", "bob", "carol"} {
		plain, k, err := auth.NewKey(owner, "test", time.Now())
		require.NoError(t, err)
		require.NoError(t, f.store.CreateKey(context.Background(), k))
		f.keys[owner] = plain
	}
	_, revoked, err := auth.NewKey("carol", "revoked", time.Now())
	require.NoError(t, err)
	revoked.RevokedAt = time.Now()
	require.NoError(t, f.store.CreateKey(context.Background(), revoked))

	f.ports = pipeline.Ports{Store: f.store, Blobs: f.bucket, Publisher: f.pub}
	var opts api.Options
	f.jobs, opts = f.options(policy, estimate)
	f.serve(opts)
	return f
}

// options are an API instance's over the fixture's store and bucket: its
// own Jobs, and its own per-instance limiter.
func (f *fixture) options(policy ratelimit.Policy, estimate func(*content.Request) float64) (*pipeline.Jobs, api.Options) {
	jobs := pipeline.NewJobs(f.ports, pipeline.JobsConfig{Region: "local", Retention: time.Hour, Estimate: estimate, Limits: policy})
	dns := webhook.NewGuard(fakeDNS{
		"hooks.example.com": "93.184.216.34", "intranet.example.com": "10.1.2.3", "rebind.example.com": "169.254.169.254",
		"docs.example.com": "93.184.216.35",
	})
	opts := api.Options{MaxBodyBytes: maxBody, URLTTL: 10 * time.Minute, Callbacks: dns, Steer: jobs, Documents: f.bucket,
		Sources:        &sources.Checker{Uploads: f.store, Objects: f.bucket, Links: dns, Limits: content.SourceLimits{MaxSources: 4, MaxBytes: 1 << 20, MaxChars: 100_000}},
		Uploads:        f.store,
		UploadFiles:    f.bucket,
		MaxSourceBytes: 1 << 20,
		UploadTTL:      time.Hour,
	}
	if policy.Enabled() {
		opts.Limiter, opts.Usage = ratelimit.NewLimiter(policy), f.store
	}
	return jobs, opts
}

// serve starts the API with these options: the fixture's own instance.
func (f *fixture) serve(opts api.Options) {
	f.srv = f.start(f.jobs, opts)
	f.http = f.clients[f.srv]
}

// instance starts another API instance over the fixture's store and
// bucket, with its own per-instance limiter.
func (f *fixture) instance(policy ratelimit.Policy, estimate func(*content.Request) float64) *httptest.Server {
	return f.start(f.options(policy, estimate))
}

// start serves an API instance, with a client that checks every answer
// against the OpenAPI document it serves.
func (f *fixture) start(jobs *pipeline.Jobs, opts api.Options) *httptest.Server {
	h := api.New(jobs, f.store, f.bucket, auth.NewAuthenticator(f.store, auth.IDTokens{}), opts)
	srv := httptest.NewServer(h)
	f.t.Cleanup(srv.Close)
	if f.clients == nil {
		f.clients = map[*httptest.Server]*http.Client{}
	}
	f.clients[srv] = &http.Client{
		Transport:     openapitest.Transport(f.t, srv.URL, nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

func (f *fixture) do(method, path, key, contentType string, body io.Reader) response {
	f.t.Helper()
	return f.doAt(f.srv, method, path, key, contentType, body)
}

func (f *fixture) doAt(srv *httptest.Server, method, path, key, contentType string, body io.Reader) response {
	f.t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	require.NoError(f.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.clients[srv].Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return response{resp.StatusCode, resp.Header, b}
}

func (f *fixture) post(owner, body string) response {
	return f.postTo(f.srv, owner, body)
}

func (f *fixture) postTo(srv *httptest.Server, owner, body string) response {
	return f.doAt(srv, http.MethodPost, "/v1/jobs", f.keys[owner], "application/json", strings.NewReader(body))
}

func (f *fixture) jobCount() int {
	f.t.Helper()
	docs, err := f.store.Client().Collection(store.Jobs).Documents(context.Background()).GetAll()
	require.NoError(f.t, err)
	return len(docs)
}

func assertProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	assert.Equal(t, status, r.status, string(r.body))
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	p := r.json(t)
	assert.Equal(t, code, p["code"], string(r.body))
	assert.Equal(t, float64(status), p["status"])
	assert.NotEmpty(t, p["title"])
	assert.Equal(t, "urn:contentfactory:problem:"+code, p["type"])
	assert.NotEmpty(t, p["request_id"])
}

func TestSubmitAndRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.post("alice", `{"topic": "Plate tectonics", "source_text": "Plates move.", "formats": ["faqs", "audio"]}`)
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	body := r.json(t)
	id := body["id"].(string)
	assert.Equal(t, "queued", body["status"])
	assert.Equal(t, f.srv.URL+"/v1/jobs/"+id, r.header.Get("Location"))
	assert.Equal(t, r.header.Get("Location"), body["links"].(map[string]any)["self"])
	assert.Equal(t, []any{"sources", "outline", "podcast_script", "faqs", "audio", "package"}, body["formats"],
		"a source text is read into passages first")
	require.Len(t, f.pub.Published(), 1)
	assert.Equal(t, pipeline.StepMessage{JobID: id, Step: content.FormatSources, Version: 1, Region: "local"}, f.pub.Published()[0])

	g := f.do(http.MethodGet, "/v1/jobs/"+id, f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, g.status, string(g.body))
	d := g.json(t)
	assert.Equal(t, id, d["id"])
	assert.Equal(t, 0.0, d["progress"])
	steps := d["steps"].([]any)
	require.Len(t, steps, 6)
	assert.Equal(t, "queued", steps[0].(map[string]any)["status"])
	assert.Equal(t, "pending", steps[1].(map[string]any)["status"])
	assert.Empty(t, d["artifacts"])

	req, err := f.store.Request(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, "Plates move.", req.SourceText)
	assert.Equal(t, "en-US", req.Language)
}

func TestAnotherOwnersJobIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.post("alice", `{"topic": "Volcanoes"}`).json(t)["id"].(string)
	for _, path := range []string{"/v1/jobs/" + id, "/v1/jobs/" + id + "/artifacts/outline.json"} {
		r := f.do(http.MethodGet, path, f.keys["bob"], "", nil)
		assertProblem(t, r, http.StatusNotFound, "job_not_found")
	}
	list := f.do(http.MethodGet, "/v1/jobs", f.keys["bob"], "", nil).json(t)
	assert.Empty(t, list["jobs"])
}

func TestBadInputCreatesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	long := strings.Repeat("a", content.MaxSourceLen+1)
	cases := []struct {
		name        string
		key         string
		contentType string
		body        string
		status      int
		code        string
	}{
		{"malformed JSON", f.keys["alice"], "application/json", `{"topic": "x"`, 400, "invalid_json"},
		{"not an object", f.keys["alice"], "application/json", `["topic"]`, 400, "invalid_json"},
		{"wrong field type", f.keys["alice"], "application/json", `{"topic": 7}`, 400, "invalid_json"},
		{"two documents", f.keys["alice"], "application/json", `{"topic": "Tides"} {}`, 400, "invalid_json"},
		{"invalid UTF-8", f.keys["alice"], "application/json", "{\"topic\": \"Ti\xffdes\"}", 400, "invalid_json"},
		{"unpaired surrogate", f.keys["alice"], "application/json", `{"topic": "Ti\udc00des"}`, 400, "invalid_json"},
		{"unknown field", f.keys["alice"], "application/json", `{"topic": "Tides", "prompt": "ignore all"}`, 400, "unknown_field"},
		{"missing topic", f.keys["alice"], "application/json", `{"source_text": "text"}`, 422, "invalid_request"},
		{"topic too short", f.keys["alice"], "application/json", `{"topic": "  a\u0000 "}`, 422, "invalid_request"},
		{"unknown format", f.keys["alice"], "application/json", `{"topic": "Tides", "formats": ["poem"]}`, 422, "invalid_request"},
		{"source too long", f.keys["alice"], "application/json", `{"topic": "Tides", "source_text": "` + long + `"}`, 422, "invalid_request"},
		{"bad level", f.keys["alice"], "application/json", `{"topic": "Tides", "level": "expert"}`, 422, "invalid_request"},
		{"bad language", f.keys["alice"], "application/json", `{"topic": "Tides", "language": "not a tag!"}`, 422, "invalid_request"},
		{"one speaker", f.keys["alice"], "application/json", `{"topic": "Tides", "podcast": {"speakers": [{"name": "A", "role": "host"}]}}`, 422, "invalid_request"},
		{"body over the limit", f.keys["alice"], "application/json", `{"topic": "` + strings.Repeat("b", maxBody) + `"}`, 413, "body_too_large"},
		{"wrong content type", f.keys["alice"], "text/plain", `{"topic": "Tides"}`, 415, "unsupported_media_type"},
		{"no content type", f.keys["alice"], "", `{"topic": "Tides"}`, 415, "unsupported_media_type"},
		{"no API key", "", "application/json", `{"topic": "Tides"}`, 401, "unauthenticated"},
		{"wrong API key", auth.KeyPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "application/json", `{"topic": "Tides"}`, 401, "invalid_credentials"},
		{"not an API key", "hunter2", "application/json", `{"topic": "Tides"}`, 401, "invalid_credentials"},
	}
	for _, c := range cases {
		r := f.do(http.MethodPost, "/v1/jobs", c.key, c.contentType, strings.NewReader(c.body))
		t.Run(c.name, func(t *testing.T) { assertProblem(t, r, c.status, c.code) })
	}
	assert.Zero(t, f.jobCount(), "no job was created")
	assert.Empty(t, f.pub.Published(), "nothing was published")

	// Field errors name every problem at once.
	r := f.post("alice", `{"topic": "x", "level": "guru", "formats": ["image", "essay"]}`)
	fields := map[string]string{}
	for _, e := range r.json(t)["errors"].([]any) {
		m := e.(map[string]any)
		fields[m["field"].(string)] = m["code"].(string)
	}
	assert.Equal(t, map[string]string{"topic": "too_short", "level": "invalid_value", "formats[1]": "unknown_format"}, fields)
}

func TestRevokedKeyIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	plain, k, err := auth.NewKey("dave", "soon revoked", time.Now())
	require.NoError(t, err)
	k.RevokedAt = time.Now()
	require.NoError(t, f.store.CreateKey(context.Background(), k))
	r := f.do(http.MethodGet, "/v1/jobs", plain, "", nil)
	assertProblem(t, r, http.StatusUnauthorized, "invalid_credentials")
	assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer")
}

func TestListIsNewestFirstWithPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids []string
	for i := range 5 {
		r := f.post("alice", fmt.Sprintf(`{"topic": "Topic number %d"}`, i))
		require.Equal(t, http.StatusAccepted, r.status)
		ids = append([]string{r.json(t)["id"].(string)}, ids...)
	}
	f.post("bob", `{"topic": "Not alice's"}`)

	var got []string
	path := "/v1/jobs?page_size=2"
	pages := 0
	for path != "" {
		r := f.do(http.MethodGet, path, f.keys["alice"], "", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var page client.JobList
		require.NoError(t, json.Unmarshal(r.body, &page))
		for _, j := range page.Jobs {
			got = append(got, j.ID)
		}
		pages++
		path = ""
		if page.NextPageToken != "" {
			path = "/v1/jobs?page_size=2&page_token=" + url.QueryEscape(page.NextPageToken)
		}
	}
	assert.Equal(t, ids, got, "every job once, newest first")
	assert.Equal(t, 3, pages)

	assertProblem(t, f.do(http.MethodGet, "/v1/jobs?page_token=garbage", f.keys["alice"], "", nil), 400, "invalid_page_token")
	assertProblem(t, f.do(http.MethodGet, "/v1/jobs?page_size=0", f.keys["alice"], "", nil), 400, "invalid_page_size")
	assertProblem(t, f.do(http.MethodGet, "/v1/jobs?page_size=101", f.keys["alice"], "", nil), 400, "invalid_page_size")
}

func TestArtifactRedirectsToAShortLivedSignedURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.post("alice", `{"topic": "Glaciers", "formats": ["faqs"]}`).json(t)["id"].(string)
	path := f.finishStep(id, content.FormatOutline, "outline.json", []byte(`{}`))

	r := f.do(http.MethodGet, "/v1/jobs/"+id+"/artifacts/outline.json", f.keys["alice"], "", nil)
	require.Equal(t, http.StatusFound, r.status, string(r.body))
	u, err := url.Parse(r.header.Get("Location"))
	require.NoError(t, err)
	assert.Contains(t, u.Path, "/artifacts/"+path)
	q := u.Query()
	assert.Equal(t, "GOOG4-RSA-SHA256", q.Get("X-Goog-Algorithm"))
	expires, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	require.NoError(t, err)
	assert.InDelta(t, 600, expires, 5, "valid for 10 minutes")
	assert.Contains(t, q.Get("response-content-disposition"), "attachment")
	assert.NotEmpty(t, q.Get("X-Goog-Signature"))

	d := f.do(http.MethodGet, "/v1/jobs/"+id, f.keys["alice"], "", nil).json(t)
	arts := d["artifacts"].([]any)
	require.Len(t, arts, 1)
	assert.Equal(t, f.srv.URL+"/v1/jobs/"+id+"/artifacts/outline.json", arts[0].(map[string]any)["url"])

	assertProblem(t, f.do(http.MethodGet, "/v1/jobs/"+id+"/artifacts/nope.png", f.keys["alice"], "", nil), 404, "artifact_not_found")
}

// updateStep changes a step of a job in the store.
func (f *fixture) updateStep(id string, step content.Format, change func(*pipeline.Step)) {
	f.t.Helper()
	require.NoError(f.t, f.store.Transact(context.Background(), id, func(ctx context.Context, tx pipeline.Tx) error {
		steps, err := tx.Steps(step)
		if err != nil {
			return err
		}
		change(steps[step])
		tx.SaveStep(steps[step])
		return nil
	}))
}

// finishStep stores one artifact of a step and records the step
// succeeded with it; it returns the artifact's path in the bucket.
func (f *fixture) finishStep(id string, step content.Format, name string, data []byte) string {
	f.t.Helper()
	obj, err := f.bucket.Create(context.Background(), pipeline.ArtifactPath(id, step, name), data, "application/json")
	require.NoError(f.t, err)
	f.updateStep(id, step, func(s *pipeline.Step) {
		s.Status = pipeline.StepSucceeded
		s.Artifacts = []pipeline.Artifact{{Name: name, Path: obj.Path, ContentType: obj.ContentType, Size: obj.Size}}
	})
	return obj.Path
}

func TestRoutingErrorsAreProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	assertProblem(t, f.do(http.MethodGet, "/nowhere", "", "", nil), 404, "not_found")
	r := f.do(http.MethodDelete, "/v1/jobs", f.keys["alice"], "", nil)
	assertProblem(t, r, 405, "method_not_allowed")
	assert.Equal(t, "GET, POST", r.header.Get("Allow"))
	h := f.do(http.MethodGet, "/healthz", "", "", nil)
	assert.Equal(t, http.StatusOK, h.status)
	for _, resp := range []response{r, h} {
		assert.Equal(t, "nosniff", resp.header.Get("X-Content-Type-Options"))
		assert.Equal(t, "no-store", resp.header.Get("Cache-Control"))
		assert.Equal(t, "DENY", resp.header.Get("X-Frame-Options"))
	}
}

func (f *fixture) postKeyed(owner, key, body string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/v1/jobs", strings.NewReader(body))
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+f.keys[owner])
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := f.http.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return response{resp.StatusCode, resp.Header, b}
}

func TestConcurrentRetriesWithOneKeyMakeOneJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const n = 100
	body := `{"topic": "Idempotent tides", "formats": ["faqs"]}`
	var wg sync.WaitGroup
	resps := make([]response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i] = f.postKeyed("alice", "retry-key-1", body)
		}()
	}
	wg.Wait()
	replayed := 0
	for i, r := range resps {
		require.Equal(t, http.StatusAccepted, r.status, "response %d: %s", i, r.body)
		assert.Equal(t, string(resps[0].body), string(r.body), "identical responses")
		assert.Equal(t, resps[0].header.Get("Location"), r.header.Get("Location"))
		if r.header.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}
	assert.Equal(t, n-1, replayed, "one created the job, the others replayed it")
	assert.Equal(t, 1, f.jobCount(), "one job")
	assert.Len(t, f.pub.Published(), 1, "its first step published once")

	// Later retries still answer the same, even after the job moved on.
	id := resps[0].json(t)["id"].(string)
	_, err := f.store.Transact(context.Background(), id, func(ctx context.Context, tx pipeline.Tx) error {
		j, err := tx.Job()
		if err != nil {
			return err
		}
		j.Status = pipeline.JobRunning
		tx.SaveJob(j)
		return nil
	}), error(nil)
	require.NoError(t, err)
	assert.Equal(t, string(resps[0].body), string(f.postKeyed("alice", "retry-key-1", body).body))

	conflict := f.postKeyed("alice", "retry-key-1", `{"topic": "Something else"}`)
	assertProblem(t, conflict, http.StatusConflict, "idempotency_key_reused")
	other := f.postKeyed("bob", "retry-key-1", body)
	assert.Equal(t, http.StatusAccepted, other.status, "keys are per owner")
	assert.NotEqual(t, id, other.json(t)["id"])
	assertProblem(t, f.postKeyed("alice", strings.Repeat("k", 256), body), http.StatusBadRequest, "invalid_idempotency_key")
	assertProblem(t, f.postKeyed("alice", "has space", body), http.StatusBadRequest, "invalid_idempotency_key")
}

func TestCancelAndDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.post("alice", `{"topic": "Cancel me", "formats": ["faqs"]}`).json(t)["id"].(string)

	assertProblem(t, f.do(http.MethodPost, "/v1/jobs/"+id+":cancel", f.keys["bob"], "", nil), 404, "job_not_found")
	assertProblem(t, f.do(http.MethodPost, "/v1/jobs/"+id+":pause", f.keys["alice"], "", nil), 405, "method_not_allowed")
	r := f.do(http.MethodPost, "/v1/jobs/"+id+":cancel", f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Equal(t, "cancelled", r.json(t)["status"])
	d := f.do(http.MethodGet, "/v1/jobs/"+id, f.keys["alice"], "", nil).json(t)
	assert.Equal(t, "cancelled", d["status"])
	for _, s := range d["steps"].([]any) {
		assert.Equal(t, "skipped", s.(map[string]any)["status"])
	}

	assertProblem(t, f.do(http.MethodDelete, "/v1/jobs/"+id, f.keys["bob"], "", nil), 404, "job_not_found")
	del := f.do(http.MethodDelete, "/v1/jobs/"+id, f.keys["alice"], "", nil)
	assert.Equal(t, http.StatusNoContent, del.status, string(del.body))
	assertProblem(t, f.do(http.MethodGet, "/v1/jobs/"+id, f.keys["alice"], "", nil), 404, "job_not_found")
	assertProblem(t, f.do(http.MethodDelete, "/v1/jobs/"+id, f.keys["alice"], "", nil), 404, "job_not_found")
	assert.Zero(t, f.jobCount())
}

// burst submits n jobs at once for an owner and returns the responses.
func (f *fixture) burst(owner string, n int) []response {
	var wg sync.WaitGroup
	out := make([]response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = f.post(owner, fmt.Sprintf(`{"topic": "Burst number %d", "formats": ["faqs"]}`, i))
		}()
	}
	wg.Wait()
	return out
}

func count(rs []response, status int) int {
	n := 0
	for _, r := range rs {
		if r.status == status {
			n++
		}
	}
	return n
}

func TestRateLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	policy := ratelimit.Policy{Rate: 0.5, Burst: 5}
	f := newLimitedFixture(t, policy, nil)
	start := time.Now()
	rs := f.burst("alice", 50)
	elapsed := time.Since(start)
	admitted := count(rs, http.StatusAccepted)
	limit := policy.Burst + int(policy.Rate*elapsed.Seconds()) + 1
	assert.LessOrEqual(t, admitted, limit, "at most burst + rate·t of 50 (%s)", elapsed)
	assert.GreaterOrEqual(t, admitted, policy.Burst, "the burst is honoured")
	assert.Equal(t, 50, admitted+count(rs, http.StatusTooManyRequests), "everything else is 429")
	assert.Equal(t, admitted, f.jobCount())
	for _, r := range rs {
		if r.status == http.StatusTooManyRequests {
			assertProblem(t, r, 429, "rate_limited")
			secs, err := strconv.Atoi(r.header.Get("Retry-After"))
			require.NoError(t, err)
			assert.GreaterOrEqual(t, secs, 1)
		}
		assert.Contains(t, r.header.Get("RateLimit-Policy"), `"jobs";q=5;w=10`)
		assert.Contains(t, r.header.Get("RateLimit"), `"jobs";r=`)
	}
	assert.Equal(t, http.StatusAccepted, f.post("bob", `{"topic": "Another owner"}`).status, "another owner is unaffected")
}

func TestRateLimitFieldsComeFromTheSharedLedger(t *testing.T) {
	t.Parallel()
	// One job a minute, three at once, two running, a dollar a day: no
	// token comes back while the test runs.
	policy := ratelimit.Policy{Rate: 1.0 / 60, Burst: 3, MaxRunning: 2, DailyBudgetUSD: 1}
	f := newLimitedFixture(t, policy, func(*content.Request) float64 { return 0.25 })
	const wantPolicy = `"jobs";q=3;w=180, "running";q=2;qu="concurrent-requests", "budget";q=100;w=86400;factory-unit="usd-cents"`

	first := f.post("alice", `{"topic": "First of three"}`)
	require.Equal(t, http.StatusAccepted, first.status, string(first.body))
	assert.Equal(t, wantPolicy, first.header.Get("RateLimit-Policy"))
	assert.Regexp(t, `^"jobs";r=2;t=\d+, "running";r=1, "budget";r=75;t=\d+$`, first.header.Get("RateLimit"))

	// Another instance, whose own bucket is full, reports what the ledger
	// holds: one token and no room to run left.
	other := f.instance(policy, func(*content.Request) float64 { return 0.25 })
	second := f.postTo(other, "alice", `{"topic": "Second of three"}`)
	require.Equal(t, http.StatusAccepted, second.status, string(second.body))
	assert.Equal(t, wantPolicy, second.header.Get("RateLimit-Policy"))
	assert.Regexp(t, `^"jobs";r=1;t=\d+, "running";r=0, "budget";r=50;t=\d+$`, second.header.Get("RateLimit"))

	refused := f.postTo(other, "alice", `{"topic": "Third, too many running"}`)
	assertProblem(t, refused, 429, "too_many_running")
	assert.Regexp(t, `^"jobs";r=1;t=\d+, "running";r=0, "budget";r=50;t=\d+$`, refused.header.Get("RateLimit"), "the standing that refused it")
	assert.Equal(t, "30", refused.header.Get("Retry-After"))

	u := f.do(http.MethodGet, "/v1/usage", f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, u.status, string(u.body))
	assert.Regexp(t, `^"jobs";r=1;t=\d+, "running";r=0, "budget";r=50;t=\d+$`, u.header.Get("RateLimit"))

	firstID := first.json(t)["id"].(string)
	got := f.do(http.MethodGet, "/v1/jobs/"+firstID, f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, got.status)
	assert.Empty(t, got.header.Get("RateLimit"), "a read that does not read the ledger says nothing of it")

	// The first job ends: its end writes a settlement, not the ledger.
	// GET /v1/usage adds it up; the next admission folds it in, and its
	// fields say so (a running place back, its reservation released).
	cancelled := f.do(http.MethodPost, "/v1/jobs/"+firstID+":cancel", f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, cancelled.status, string(cancelled.body))
	assert.Empty(t, cancelled.header.Get("RateLimit"), "an end does not touch the ledger")
	u = f.do(http.MethodGet, "/v1/usage", f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, u.status, string(u.body))
	assert.Regexp(t, `^"jobs";r=1;t=\d+, "running";r=1, "budget";r=75;t=\d+$`, u.header.Get("RateLimit"), "the settlement added up")
	third := f.post("alice", `{"topic": "Third, once the first has ended"}`)
	require.Equal(t, http.StatusAccepted, third.status, string(third.body))
	assert.Regexp(t, `^"jobs";r=0;t=\d+, "running";r=0, "budget";r=50;t=\d+$`, third.header.Get("RateLimit"), "the settlement folded in")
}

func TestRateLimitFieldsOfAnInstanceRefusal(t *testing.T) {
	t.Parallel()
	policy := ratelimit.Policy{Rate: 1.0 / 60, Burst: 1}
	f := newLimitedFixture(t, policy, nil)
	require.Equal(t, http.StatusAccepted, f.post("alice", `{"topic": "The only one"}`).status)
	// The instance's own bucket refuses before the ledger is read: the
	// fields say what that bucket decided.
	r := f.post("alice", `{"topic": "One too many"}`)
	assertProblem(t, r, 429, "rate_limited")
	assert.Equal(t, `"jobs";q=1;w=60`, r.header.Get("RateLimit-Policy"))
	assert.Regexp(t, `^"jobs";r=0;t=(5\d|60)$`, r.header.Get("RateLimit"))
	assert.Equal(t, strings.TrimPrefix(r.header.Get("RateLimit"), `"jobs";r=0;t=`), r.header.Get("Retry-After"))
}

func TestDailyBudgetOvershootsByAtMostOneJob(t *testing.T) {
	t.Parallel()
	policy := ratelimit.Policy{Rate: 1000, Burst: 1000, DailyBudgetUSD: 5.5}
	f := newLimitedFixture(t, policy, func(*content.Request) float64 { return 1 })
	rs := f.burst("alice", 50)
	assert.Equal(t, 5, count(rs, http.StatusAccepted), "five $1 jobs fit in $5.50")
	for _, r := range rs {
		if r.status != http.StatusAccepted {
			assertProblem(t, r, 429, "budget_exceeded")
		}
	}
	u := f.do(http.MethodGet, "/v1/usage", f.keys["alice"], "", nil)
	require.Equal(t, http.StatusOK, u.status, string(u.body))
	v := u.json(t)
	assert.InDelta(t, 5.0, v["reserved_usd"], 1e-9)
	assert.InDelta(t, 0.5, v["remaining_usd"], 1e-9)
	assert.Equal(t, 5.0, v["running_jobs"])
	assert.Equal(t, http.StatusAccepted, f.post("bob", `{"topic": "Another owner"}`).status)
}

// TestOneOwnersLimitsHoldAcrossInstances submits one owner's jobs at once
// through three API instances, whose admissions contend in the shared
// ledger (each instance lets one admission of an owner in at a time): no
// more are admitted than burst + rate·t allows, the budget is overshot by
// at most one job, and everything else is refused, not failed.
func TestOneOwnersLimitsHoldAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		policy  ratelimit.Policy
		allowed func(elapsed time.Duration) int
		code    string
	}{
		{"rate", ratelimit.Policy{Rate: 0.5, Burst: 4}, func(el time.Duration) int { return 4 + int(0.5*el.Seconds()) + 1 }, "rate_limited"},
		{"budget", ratelimit.Policy{Rate: 1000, Burst: 1000, DailyBudgetUSD: 4.5}, func(time.Duration) int { return 4 + 1 }, "budget_exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			estimate := func(*content.Request) float64 { return 1 }
			f := newLimitedFixture(t, c.policy, estimate)
			srvs := []*httptest.Server{f.srv, f.instance(c.policy, estimate), f.instance(c.policy, estimate)}
			const n = 36
			rs := make([]response, n)
			start := time.Now()
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					rs[i] = f.postTo(srvs[i%len(srvs)], "alice", fmt.Sprintf(`{"topic": "Shared owner %d", "formats": ["faqs"]}`, i))
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			admitted := count(rs, http.StatusAccepted)
			assert.LessOrEqual(t, admitted, c.allowed(elapsed), "admitted of %d in %s", n, elapsed)
			assert.GreaterOrEqual(t, admitted, 4, "what the limits allow at once is admitted")
			assert.Equal(t, n, admitted+count(rs, http.StatusTooManyRequests), "everything else is refused")
			for _, r := range rs {
				if r.status == http.StatusTooManyRequests {
					assert.Contains(t, []string{c.code, "rate_limited"}, r.json(t)["code"])
				}
			}
			assert.Equal(t, admitted, f.jobCount(), "a job exists for every admission and no other")
			if c.policy.DailyBudgetUSD > 0 {
				u := f.do(http.MethodGet, "/v1/usage", f.keys["alice"], "", nil)
				require.Equal(t, http.StatusOK, u.status, string(u.body))
				assert.InDelta(t, float64(admitted), u.json(t)["reserved_usd"], 1e-9, "the ledger holds every admitted job's reservation")
			}
		})
	}
}

func TestRunningJobsCap(t *testing.T) {
	t.Parallel()
	f := newLimitedFixture(t, ratelimit.Policy{Rate: 1000, Burst: 1000, MaxRunning: 2}, nil)
	first := f.post("alice", `{"topic": "One"}`).json(t)["id"].(string)
	f.post("alice", `{"topic": "Two"}`)
	assertProblem(t, f.post("alice", `{"topic": "Three"}`), 429, "too_many_running")
	require.Equal(t, http.StatusOK, f.do(http.MethodPost, "/v1/jobs/"+first+":cancel", f.keys["alice"], "", nil).status)
	assert.Equal(t, http.StatusAccepted, f.post("alice", `{"topic": "Three"}`).status, "a cancelled job frees its place")
	second := f.post("alice", `{"topic": "Four"}`)
	assertProblem(t, second, 429, "too_many_running")
}

func TestCallbackURLsIntoPrivateNetworksAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ok := f.post("alice", `{"topic": "Webhooks", "callback_url": "https://hooks.example.com/factory"}`)
	require.Equal(t, http.StatusAccepted, ok.status, string(ok.body))
	for _, u := range []string{
		"https://intranet.example.com/hook", "https://rebind.example.com/", "https://127.0.0.1/", "https://[::1]/",
		"https://169.254.169.254/computeMetadata/v1/", "https://10.0.0.8/", "https://192.168.1.1/", "https://metadata.google.internal/",
		"https://nowhere.example.com/", "https://hooks.example.com:8443/", "http://hooks.example.com/",
	} {
		r := f.post("alice", `{"topic": "Webhooks", "callback_url": "`+u+`"}`)
		assertProblem(t, r, http.StatusUnprocessableEntity, "invalid_request")
		assert.Contains(t, string(r.body), `"field":"callback_url"`, u)
	}
	assert.Equal(t, 1, f.jobCount())
}

func TestCORSAllowsOnlyTheListedOrigins(t *testing.T) {
	t.Parallel()
	fs := testenv.Firestore(t, testenv.Project(t))
	st := store.New(fs)
	jobs := pipeline.NewJobs(pipeline.Ports{Store: st, Publisher: &pipelinetest.Publisher{}}, pipeline.JobsConfig{})
	srv := httptest.NewServer(api.New(jobs, st, nil, auth.NewAuthenticator(st, auth.IDTokens{}),
		api.Options{MaxBodyBytes: maxBody, CORSOrigins: []string{"https://app.example.com"}}))
	defer srv.Close()
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/v1/jobs", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	ok := preflight("https://app.example.com")
	assert.Equal(t, "https://app.example.com", ok.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, strings.ToLower(ok.Header.Get("Access-Control-Allow-Headers")), "idempotency-key")
	assert.Equal(t, "nosniff", ok.Header.Get("X-Content-Type-Options"), "security headers on preflights too")
	evil := preflight("https://evil.example.com")
	assert.Empty(t, evil.Header.Get("Access-Control-Allow-Origin"))

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Header.Set("Origin", "https://app.example.com")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "https://app.example.com", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "Location")
}

// TestALanguageWithoutVoicesIsRefusedForAudio submits requests in
// languages the configured Cloud TTS voices speak and do not: podcast
// audio in a language no voice speaks is refused at submission with a
// field error, the same request without audio is taken.
func TestALanguageWithoutVoicesIsRefusedForAudio(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, opts := f.options(ratelimit.Policy{}, nil)
	opts.Voices = models.Defaults().TTS
	f.serve(opts)

	r := f.post("alice", `{"topic": "Tides", "language": "he-IL"}`)
	assertProblem(t, r, http.StatusUnprocessableEntity, "invalid_request")
	errs := r.json(t)["errors"].([]any)
	require.Len(t, errs, 1)
	fe := errs[0].(map[string]any)
	assert.Equal(t, "language", fe["field"])
	assert.Equal(t, "no_voice", fe["code"])
	assert.Contains(t, fe["message"], "he-IL")
	assert.Contains(t, fe["message"], `leave "audio" out of formats`)
	assert.Zero(t, f.jobCount(), "no job was created")

	for _, body := range []string{
		`{"topic": "Tides", "language": "he-IL", "formats": ["outline", "faqs"]}`,
		`{"topic": "Tides", "language": "ja-JP", "formats": ["podcast_script", "audio"]}`,
		`{"topic": "Tides", "language": "es-MX"}`,
	} {
		assert.Equal(t, http.StatusAccepted, f.post("alice", body).status, body)
	}
}
