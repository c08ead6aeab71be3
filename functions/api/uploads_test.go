package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/sources"
)

func (f *fixture) newUpload(owner, body string) response {
	return f.do(http.MethodPost, "/v1/uploads", f.keys[owner], "application/json", strings.NewReader(body))
}

// putFile stores an upload's bytes as its signed PUT would.
func (f *fixture) putFile(id string, data []byte) {
	f.t.Helper()
	up, err := f.store.Upload(context.Background(), id)
	require.NoError(f.t, err)
	_, err = f.bucket.Create(context.Background(), up.Path, data, up.ContentType)
	require.NoError(f.t, err)
}

func decodeUpload(t *testing.T, r response) client.Upload {
	t.Helper()
	var u client.Upload
	require.NoError(t, json.Unmarshal(r.body, &u), string(r.body))
	return u
}

func TestUploadsAreSignedForTheirTypeAndSizeUnderTheOwnersPrefix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := time.Now()
	r := f.newUpload("alice", `{"filename": "Lecture 3.pdf", "content_type": "application/pdf", "size": 1234}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	up := decodeUpload(t, r)
	assert.True(t, sources.ValidUploadID(up.ID), up.ID)
	assert.Equal(t, f.srv.URL+"/v1/uploads/"+up.ID, r.header.Get("Location"))
	assert.Equal(t, "Lecture 3.pdf", up.Filename)
	assert.Equal(t, http.MethodPut, up.Method)
	assert.Equal(t, map[string]string{"Content-Type": "application/pdf", "Content-Length": "1234"}, up.Headers)
	assert.False(t, up.UploadURLExpiresAt.After(before.Add(15*time.Minute+time.Second)), "short-lived: %s", up.UploadURLExpiresAt)
	assert.WithinDuration(t, before.Add(time.Hour), up.ExpiresAt, 5*time.Second, "the upload lives UploadTTL")
	u, err := url.Parse(up.UploadURL)
	require.NoError(t, err)
	assert.Equal(t, "content-length;content-type;host", u.Query().Get("X-Goog-SignedHeaders"))
	assert.True(t, strings.HasPrefix(u.Path, "/artifacts/"+sources.OwnerPrefix("alice")+up.ID), u.Path)
	assert.NotContains(t, u.Path, "alice", "the prefix does not name the owner")

	rec, err := f.store.Upload(context.Background(), up.ID)
	require.NoError(t, err)
	assert.Equal(t, "alice", rec.Owner)
	assert.Equal(t, int64(1234), rec.Size)

	got := decodeUpload(t, f.do(http.MethodGet, "/v1/uploads/"+up.ID, f.keys["alice"], "", nil))
	assert.False(t, got.Uploaded)
	assert.Empty(t, got.UploadURL, "the URL is given once")
	f.putFile(up.ID, make([]byte, 1234))
	assert.True(t, decodeUpload(t, f.do(http.MethodGet, "/v1/uploads/"+up.ID, f.keys["alice"], "", nil)).Uploaded)

	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		r := f.do(m, "/v1/uploads/"+up.ID, f.keys["bob"], "", nil)
		assert.Equal(t, http.StatusNotFound, r.status, m)
		assert.Equal(t, "upload_not_found", r.json(t)["code"], "another owner's upload is not found")
	}
	assert.Equal(t, http.StatusNoContent, f.do(http.MethodDelete, "/v1/uploads/"+up.ID, f.keys["alice"], "", nil).status)
	assert.Equal(t, http.StatusNotFound, f.do(http.MethodGet, "/v1/uploads/"+up.ID, f.keys["alice"], "", nil).status)
	_, err = f.gcs.GetObject("artifacts", rec.Path)
	assert.Error(t, err, "the file is gone too")
}

func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.newUpload("alice", `{"filename": "../etc/passwd", "content_type": "image/png", "size": 0}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, "invalid_request", r.json(t)["code"])
	assert.Equal(t, []string{"filename=invalid_value", "content_type=unsupported_type", "size=out_of_range"}, fieldsOf(t, r))
	r = f.newUpload("alice", `{"filename": "big.pdf", "content_type": "application/pdf", "size": 1048577}`)
	assert.Equal(t, []string{"size=too_large"}, fieldsOf(t, r))
	assert.Equal(t, "unknown_field", f.newUpload("alice", `{"filename": "a.pdf", "type": "x"}`).json(t)["code"])
	assert.Equal(t, "invalid_json", f.newUpload("alice", `{"filename": `).json(t)["code"])
	assert.Equal(t, http.StatusUnsupportedMediaType, f.do(http.MethodPost, "/v1/uploads", f.keys["alice"], "text/plain", strings.NewReader("{}")).status)
	assert.Equal(t, http.StatusUnauthorized, f.do(http.MethodPost, "/v1/uploads", "", "application/json", strings.NewReader("{}")).status)
	assert.Equal(t, http.StatusMethodNotAllowed, f.do(http.MethodGet, "/v1/uploads", f.keys["alice"], "", nil).status)
	assert.Equal(t, http.StatusNotFound, f.do(http.MethodGet, "/v1/uploads/not-an-id", f.keys["alice"], "", nil).status)
}

func fieldsOf(t *testing.T, r response) []string {
	t.Helper()
	var p client.Problem
	require.NoError(t, json.Unmarshal(r.body, &p), string(r.body))
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+"="+e.Code)
	}
	return out
}

func TestSubmissionChecksEverySource(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine := decodeUpload(t, f.newUpload("alice", `{"filename": "notes.pdf", "content_type": "application/pdf", "size": 10}`))
	pending := decodeUpload(t, f.newUpload("alice", `{"filename": "later.pdf", "content_type": "application/pdf", "size": 10}`))
	wrong := decodeUpload(t, f.newUpload("alice", `{"filename": "short.pdf", "content_type": "application/pdf", "size": 10}`))
	theirs := decodeUpload(t, f.newUpload("bob", `{"filename": "bobs.pdf", "content_type": "application/pdf", "size": 10}`))
	f.putFile(mine.ID, []byte("%PDF-1.4\n0"))
	f.putFile(wrong.ID, []byte("%PDF"))
	f.putFile(theirs.ID, []byte("%PDF-1.4\n0"))
	expired := sources.Record(content.NewUpload{Filename: "old.pdf", ContentType: "application/pdf", Size: 10}, "alice", time.Now().Add(-2*time.Hour), time.Hour)
	require.NoError(t, f.store.CreateUpload(context.Background(), expired))

	body := func(srcs ...string) string {
		return `{"topic": "Tides", "callback_url": "https://intranet.example.com/hook", "sources": [` + strings.Join(srcs, ",") + `]}`
	}
	r := f.post("alice", body(`{"upload_id": "`+theirs.ID+`"}`, `{"upload_id": "`+pending.ID+`"}`, `{"upload_id": "`+wrong.ID+`"}`, `{"url": "https://intranet.example.com/wiki"}`))
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	assert.Equal(t, []string{
		"callback_url=forbidden_address",
		"sources[0].upload_id=upload_not_found",
		"sources[1].upload_id=upload_incomplete",
		"sources[2].upload_id=upload_size_mismatch",
		"sources[3].url=forbidden_address",
	}, fieldsOf(t, r), "every refused field at once, the callback's too")

	r = f.post("alice", `{"topic": "Tides", "sources": [{"upload_id": "`+expired.ID+`"}, {"url": "http://docs.example.com/x"}]}`)
	assert.Equal(t, []string{"sources[1].url=invalid_url"}, fieldsOf(t, r), "the request's form is checked first, at parsing")
	r = f.post("alice", `{"topic": "Tides", "sources": [{"upload_id": "`+expired.ID+`"}, {"url": "https://docs.example.com:8443/x"}, {"url": "https://localhost/x"}]}`)
	assert.Equal(t, []string{"sources[0].upload_id=upload_expired", "sources[1].url=forbidden_port", "sources[2].url=forbidden_host"}, fieldsOf(t, r))

	r = f.post("alice", `{"topic": "Tides", "source_text": "a", "sources": [{"text": "b"}, {"text": "c"}, {"text": "d"}, {"text": "e"}]}`)
	assert.Equal(t, []string{"sources=too_many"}, fieldsOf(t, r), "source_text counts as one")

	big := decodeUpload(t, f.newUpload("alice", `{"filename": "big.pdf", "content_type": "application/pdf", "size": 1000000}`))
	f.putFile(big.ID, make([]byte, 1000000))
	r = f.post("alice", `{"topic": "Tides", "sources": [{"upload_id": "`+big.ID+`"}, {"text": "`+strings.Repeat("x", 60000)+`"}]}`)
	assert.Equal(t, []string{"sources=too_large"}, fieldsOf(t, r), "declared sizes and texts together")

	r = f.post("alice", `{"topic": "Tides", "formats": ["faqs"], "sources": [{"upload_id": "`+mine.ID+`", "title": "My notes"}, {"url": "https://docs.example.com/tides#top"}]}`)
	require.Equal(t, http.StatusAccepted, r.status, string(r.body))
	var j client.JobSummary
	require.NoError(t, json.Unmarshal(r.body, &j))
	assert.Equal(t, []content.Format{content.FormatSources, content.FormatOutline, content.FormatFAQs, content.FormatPackage}, j.Formats)
}
