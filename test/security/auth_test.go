package security

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/auth/authtest"
)

// endpoint is one route of the API, with the job or upload it is about.
type endpoint struct {
	Name   string
	Method string
	Path   func(ids) string
	Body   []byte
	// JobScoped routes answer 404 for another owner's job (or upload).
	JobScoped bool
}

// ids are the job and the upload of the matrix's owner.
type ids struct{ job, upload string }

// notFound is the code a scoped route answers another owner with.
func (ep endpoint) notFound() string {
	if strings.Contains(ep.Name, "upload") {
		return "upload_not_found"
	}
	return "job_not_found"
}

var submitBody = []byte(`{"topic": "Plate tectonics", "source_text": "Plates move over the mantle.", "formats": ["outline"]}`)

var endpoints = []endpoint{
	{"submit", http.MethodPost, func(ids) string { return "/v1/jobs" }, submitBody, false},
	{"list", http.MethodGet, func(ids) string { return "/v1/jobs" }, nil, false},
	{"get", http.MethodGet, func(id ids) string { return "/v1/jobs/" + id.job }, nil, true},
	{"erase", http.MethodDelete, func(id ids) string { return "/v1/jobs/" + id.job }, nil, true},
	{"cancel", http.MethodPost, func(id ids) string { return "/v1/jobs/" + id.job + ":cancel" }, nil, true},
	{"artifact", http.MethodGet, func(id ids) string { return "/v1/jobs/" + id.job + "/artifacts/outline.json" }, nil, true},
	{"usage", http.MethodGet, func(ids) string { return "/v1/usage" }, nil, false},
	{"new upload", http.MethodPost, func(ids) string { return "/v1/uploads" }, uploadBody, false},
	{"get upload", http.MethodGet, func(id ids) string { return "/v1/uploads/" + id.upload }, nil, true},
	{"delete upload", http.MethodDelete, func(id ids) string { return "/v1/uploads/" + id.upload }, nil, true},
}

var uploadBody = []byte(`{"filename": "notes.pdf", "content_type": "application/pdf", "size": 1000}`)

// credential is one column of the matrix: what the caller sends and the
// statuses that are acceptable.
type credential struct {
	Name string
	// Header returns the Authorization header ("" sends none).
	Header func(f *apiFixture) string
	// Other is a valid credential of another owner (the BOLA column).
	Other bool
}

func credentials() []credential {
	other := authtest.NewIssuer() // signs with a key the validator does not trust
	return []credential{
		{"no credentials", func(*apiFixture) string { return "" }, false},
		{"malformed: Basic", func(*apiFixture) string { return "Basic YWxpY2U6c2VjcmV0" }, false},
		{"malformed: empty Bearer", func(*apiFixture) string { return "Bearer " }, false},
		{"malformed: not a key", func(*apiFixture) string { return "Bearer hunter2" }, false},
		{"malformed: junk JWT", func(*apiFixture) string { return "Bearer a.b.c" }, false},
		{"unknown key", func(*apiFixture) string {
			return "Bearer " + auth.KeyPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		}, false},
		{"revoked key", func(f *apiFixture) string { return "Bearer " + f.keys["revoked"] }, false},
		{"expired ID token", func(f *apiFixture) string {
			return "Bearer " + f.issuer.Sign(authtest.Token{Subject: "alice", Audience: audience, Expires: time.Now().Add(-time.Minute)})
		}, false},
		{"wrong audience", func(f *apiFixture) string {
			return "Bearer " + f.issuer.Sign(authtest.Token{Subject: "alice", Audience: "https://elsewhere.test"})
		}, false},
		{"wrong issuer", func(f *apiFixture) string {
			return "Bearer " + f.issuer.Sign(authtest.Token{Subject: "alice", Audience: audience, Issuer: "https://evil.test"})
		}, false},
		{"untrusted signing key", func(*apiFixture) string {
			return "Bearer " + other.Sign(authtest.Token{Subject: "alice", Audience: audience})
		}, false},
		{"someone else's job: API key", func(f *apiFixture) string { return "Bearer " + f.keys["bob"] }, true},
		{"someone else's job: ID token", func(f *apiFixture) string { return "Bearer " + f.idToken("bob-subject") }, true},
	}
}

// secHeaders are the headers every response must carry (target S7).
var secHeaders = map[string]func(string) bool{
	"Strict-Transport-Security": func(v string) bool { return strings.HasPrefix(v, "max-age=") },
	"X-Content-Type-Options":    func(v string) bool { return v == "nosniff" },
	"X-Frame-Options":           func(v string) bool { return v == "DENY" },
	"Content-Security-Policy": func(v string) bool {
		return strings.Contains(v, "default-src 'none'") && strings.Contains(v, "frame-ancestors 'none'")
	},
	"Referrer-Policy": func(v string) bool { return v != "" },
	"Cache-Control":   func(v string) bool { return strings.Contains(v, "no-store") },
}

// leakText is what must never appear in a body: Go error text, stack
// traces, internal addresses.
var leakText = regexp.MustCompile(`(?i)goroutine \d|panic:|runtime error|\.go:\d+|rpc error|code = |firestore:|googleapi:|context deadline|%!|nil pointer|invalid memory|stack trace|\bat 0x[0-9a-f]+`)

// checkHeaders reports what is wrong with a response's headers and body.
func checkHeaders(r response) []string {
	var bad []string
	for h, ok := range secHeaders {
		if v := r.Header.Get(h); !ok(v) {
			bad = append(bad, fmt.Sprintf("%s=%q", h, v))
		}
	}
	if v := r.Header.Get("Server"); v != "" {
		bad = append(bad, "Server="+v)
	}
	if m := leakText.FindString(string(r.Body)); m != "" {
		bad = append(bad, "body leaks "+m)
	}
	return bad
}

// TestAuthMatrix calls every endpoint with every kind of bad or foreign
// credential: each answers 401 (bad credentials) or 404 (another owner's
// job), never 2xx or 5xx, changes nothing, and every response carries the
// security headers (targets S3 and S7).
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	alice := "Bearer " + f.keys["alice"]
	jobID := f.submit(alice, map[string]any{"topic": "Volcanoes", "formats": []string{"outline"}})
	f.runOutline(t.Context(), jobID, nil)
	up := f.do(http.MethodPost, "/v1/uploads", alice, uploadBody)
	require.Equal(t, http.StatusCreated, up.Status, "%s", up.Body)
	var upload struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(up.Body, &upload))
	target := ids{job: jobID, upload: upload.ID}

	// Positive controls: the owner is let through everywhere.
	controls := map[string]int{}
	for _, ep := range endpoints {
		if ep.Method == http.MethodDelete || ep.Name == "cancel" {
			continue // run last: they change the job
		}
		r := f.do(ep.Method, ep.Path(target), alice, ep.Body)
		controls[ep.Name] = r.Status
		assert.True(t, r.Status >= 200 && r.Status < 400, "owner on %s: %d %s", ep.Name, r.Status, r.Body)
	}
	idOwner := "Bearer " + f.idToken("carol-subject")
	r := f.do(http.MethodGet, "/v1/jobs", idOwner, nil)
	assert.Equal(t, http.StatusOK, r.Status, "a valid ID token is accepted: %s", r.Body)

	var all []response
	type cell struct{ ep, cred string }
	results := map[cell]int{}
	creds := credentials()
	for _, ep := range endpoints {
		for _, c := range creds {
			if c.Other && !ep.JobScoped {
				continue // no job to be someone else's; see the list check below
			}
			r := f.do(ep.Method, ep.Path(target), c.Header(f), ep.Body)
			r.Cell = ep.Name + " × " + c.Name
			all = append(all, r)
			results[cell{ep.Name, c.Name}] = r.Status
			want := http.StatusUnauthorized
			if c.Other {
				want = http.StatusNotFound
			}
			assert.Equal(t, want, r.Status, "%s: %s", r.Cell, r.Body)
			assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), r.Cell)
			var p struct {
				Code string `json:"code"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &p), r.Cell)
			if c.Other {
				assert.Equal(t, ep.notFound(), p.Code, r.Cell)
			} else {
				assert.Contains(t, []string{"unauthenticated", "invalid_credentials"}, p.Code, r.Cell)
				assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"), r.Cell)
			}
		}
	}

	// Another owner's list does not show the job; nothing changed it.
	bobList := f.do(http.MethodGet, "/v1/jobs", "Bearer "+f.keys["bob"], nil)
	require.Equal(t, http.StatusOK, bobList.Status)
	assert.NotContains(t, string(bobList.Body), jobID)
	all = append(all, bobList)
	job := f.do(http.MethodGet, "/v1/jobs/"+jobID, alice, nil)
	require.Equal(t, http.StatusOK, job.Status, "the job survived every foreign DELETE")
	assert.NotContains(t, string(job.Body), `"status": "cancelled"`, "no foreign cancel took effect")
	require.Equal(t, http.StatusOK, f.do(http.MethodGet, "/v1/uploads/"+upload.ID, alice, nil).Status, "the upload survived every foreign DELETE")
	count := 0
	for _, l := range f.log.Lines(t) {
		if l["message"] == "job created" {
			count++
		}
	}
	assert.Equal(t, 2, count, "no refused submission created a job (one job, and the owner's control)")

	// The owner's cancel and erase, last.
	for _, name := range []string{"cancel", "erase", "delete upload"} {
		for _, ep := range endpoints {
			if ep.Name != name {
				continue
			}
			r := f.do(ep.Method, ep.Path(target), alice, nil)
			controls[ep.Name] = r.Status
			assert.True(t, r.Status >= 200 && r.Status < 500 && r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound,
				"owner on %s: %d %s", ep.Name, r.Status, r.Body)
			all = append(all, r)
		}
	}

	// Headers on every response of the matrix, and on a few others.
	for _, extra := range []struct{ method, path, auth string }{
		{http.MethodGet, "/healthz", ""},
		{http.MethodGet, "/nowhere", ""},
		{http.MethodPut, "/v1/jobs", alice},
		{http.MethodGet, "/v1/jobs/" + jobID, alice},
	} {
		all = append(all, f.do(extra.method, extra.path, extra.auth, nil))
	}
	bad := 0
	for _, r := range all {
		if problems := checkHeaders(r); len(problems) > 0 {
			bad++
			t.Errorf("%s %s (%s) → %d: %v", r.Method, r.Path, r.Cell, r.Status, problems)
		}
		assert.Less(t, r.Status, 500, "%s %s: 5xx", r.Method, r.Path)
	}

	// The table, one row an endpoint.
	var b strings.Builder
	fmt.Fprintf(&b, "auth matrix: %d cells (%d endpoints × %d credentials, foreign-owner column on %d job routes); headers on %d/%d responses\n",
		len(results), len(endpoints), len(creds)-2, countScoped(), len(all)-bad, len(all))
	names := make([]string, 0, len(creds))
	for _, c := range creds {
		names = append(names, c.Name)
	}
	for _, ep := range endpoints {
		var row []string
		for _, n := range names {
			if s, ok := results[cell{ep.Name, n}]; ok {
				row = append(row, fmt.Sprint(s))
			} else {
				row = append(row, "-")
			}
		}
		fmt.Fprintf(&b, "  %-8s owner=%d  %s\n", ep.Name, controls[ep.Name], strings.Join(row, " "))
	}
	t.Log(b.String())
}

func countScoped() int {
	n := 0
	for _, ep := range endpoints {
		if ep.JobScoped {
			n++
		}
	}
	return n
}
