package security

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"contentfactory.dev/factory/functions/text"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/api"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/auth/authtest"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/store"
)

// audience is what the API's ID-token validator expects.
const audience = "https://api.contentfactory.test"

// apiFixture is the API handler built in-process as the API function
// builds it: the real store on the Firestore emulator, a fake-gcs-server
// bucket with a signing key, the real authenticator (API keys in the
// store, Google ID tokens from an authtest issuer), the guard's screen,
// and a logger writing JSON lines to a buffer.
type apiFixture struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	bucket *blob.Bucket
	ports  pipeline.Ports
	pub    *pipelinetest.Publisher
	issuer *authtest.Issuer
	keys   map[string]string // owner → plain key
	log    *logBuffer
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines returns the JSON log lines.
func (l *logBuffer) Lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	fs := testenv.Firestore(t, testenv.Project(t))
	_, gcs := testenv.Storage(t, "artifacts")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	policy := ratelimit.Policy{Rate: 1000, Burst: 1000}
	f := &apiFixture{
		t: t, store: store.New(fs), pub: &pipelinetest.Publisher{},
		bucket: blob.New(gcs, "artifacts", blob.Signer{GoogleAccessID: "signer@test.invalid", PrivateKey: pemKey}),
		issuer: authtest.NewIssuer(), keys: map[string]string{}, log: &logBuffer{},
	}
	for _, owner := range []string{"alice", "bob"} {
		plain, k, err := auth.NewKey(owner, "test", time.Now())
		require.NoError(t, err)
		require.NoError(t, f.store.CreateKey(context.Background(), k))
		f.keys[owner] = plain
	}
	revoked, k, err := auth.NewKey("alice", "revoked", time.Now())
	require.NoError(t, err)
	k.RevokedAt = time.Now()
	require.NoError(t, f.store.CreateKey(context.Background(), k))
	f.keys["revoked"] = revoked

	f.ports = pipeline.Ports{Store: f.store, Blobs: f.bucket, Publisher: f.pub}
	jobs := pipeline.NewJobs(f.ports, pipeline.JobsConfig{Region: "local", Retention: time.Hour, Screen: guard.Screen, Limits: policy})
	logger := logging.New(f.log, slog.LevelInfo, "test-project")
	authn := auth.NewAuthenticator(f.store, auth.IDTokens{Validator: f.issuer.Validator(), Audience: audience})
	h := api.New(jobs, f.store, f.bucket, authn, api.Options{
		MaxBodyBytes: 1 << 20, URLTTL: 10 * time.Minute, Log: logger,
		Limiter: ratelimit.NewLimiter(policy), Usage: f.store,
		Uploads: f.store, UploadFiles: f.bucket, MaxSourceBytes: 1 << 20, UploadTTL: time.Hour,
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// idToken is a valid ID token for a subject.
func (f *apiFixture) idToken(subject string) string {
	return f.issuer.Sign(authtest.Token{Subject: subject, Audience: audience})
}

// response is one recorded API response.
type response struct {
	Method, Path, Cell string
	Status             int
	Header             http.Header
	Body               []byte
}

// do sends a request with an Authorization header value (none if empty).
func (f *apiFixture) do(method, path, authorization string, body []byte) response {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	require.NoError(f.t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return response{Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// submit creates a job for an Authorization header value and returns its id.
func (f *apiFixture) submit(authorization string, req map[string]any) string {
	f.t.Helper()
	b, err := json.Marshal(req)
	require.NoError(f.t, err)
	r := f.do(http.MethodPost, "/v1/jobs", authorization, b)
	require.Equal(f.t, http.StatusAccepted, r.Status, string(r.Body))
	var v struct {
		ID string `json:"id"`
	}
	require.NoError(f.t, json.Unmarshal(r.Body, &v))
	return v.ID
}

// runOutline runs a job's outline step in-process with the offline
// backend, so the job has an artifact.
func (f *apiFixture) runOutline(ctx context.Context, jobID string, gen ai.TextGenerator) {
	f.t.Helper()
	if gen == nil {
		gen = extract.Text{}
	}
	runner := pipeline.NewRunner(f.ports, text.Executor{Gen: gen, MaxRepairs: 2}, pipeline.RunnerConfig{MaxAttempts: 3, Region: "local"})
	require.NoError(f.t, runner.Run(ctx, pipeline.StepMessage{JobID: jobID, Step: content.FormatOutline, Attempt: 1, Region: "local"}))
}
