package blob_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

func TestAttachment(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"outline.json": `attachment; filename="outline.json"`,
		"a b.md":       `attachment; filename="a b.md"`,
		`x"y\z.json`:   `attachment; filename="x\"y\\z.json"`,
		"ünï.json":     `attachment; filename*=utf-8''%C3%BCn%C3%AF.json`,
	} {
		assert.Equal(t, want, blob.Attachment(name), name)
	}
}

// Every stored object downloads as a file, even through a direct link
// that carries no response-content-disposition (OWASP LLM05).
func TestObjectsAreStoredAsAttachments(t *testing.T) {
	t.Parallel()
	srv, client := testenv.Storage(t, "artifacts")
	b := blob.New(client, "artifacts", blob.Signer{})
	for _, c := range []struct{ path, contentType string }{
		{"jobs/j1/outline/outline.json", "application/json"},
		{"jobs/j1/package/bundle.md", "text/markdown; charset=utf-8"},
		{"jobs/j1/package/bundle.html", "text/html; charset=utf-8"},
	} {
		o, err := b.Create(t.Context(), c.path, []byte("<script>alert(1)</script>"), c.contentType)
		require.NoError(t, err)
		assert.True(t, o.Created)
		stored, err := srv.GetObject("artifacts", c.path)
		require.NoError(t, err)
		assert.Equal(t, `attachment; filename="`+path.Base(c.path)+`"`, stored.ContentDisposition, c.path)
		assert.Equal(t, c.contentType, stored.ContentType)
	}
}

func TestCloudStorageBlobsConformance(t *testing.T) {
	pipelinetest.BlobsConformance(t, func(t *testing.T) pipeline.Blobs {
		_, client := testenv.Storage(t, "artifacts")
		return blob.New(client, "artifacts", blob.Signer{})
	})
}

// An upload URL is a V4-signed PUT whose signature covers the content type
// and the exact length; against fake-gcs-server (which does not check
// signatures) it stores the object where the signature says.
func TestSignedUploadURL(t *testing.T) {
	t.Parallel()
	port, err := devstack.FreePort()
	require.NoError(t, err)
	host := "127.0.0.1:" + strconv.Itoa(port)
	// The XML API answers on the host signed URLs name.
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: uint16(port), PublicHost: host})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "artifacts"})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	b := blob.New(srv.Client(), "artifacts", blob.Signer{
		GoogleAccessID: "factory@test.invalid",
		PrivateKey:     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		Host:           host, Insecure: true,
	})
	data := []byte("%PDF-1.4 not really")
	before := time.Now()
	up, err := b.SignedUploadURL("uploads/abc/up_1", "application/pdf", int64(len(data)), time.Hour)
	require.NoError(t, err)
	assert.Equal(t, http.MethodPut, up.Method)
	assert.Equal(t, map[string]string{"Content-Type": "application/pdf", "Content-Length": strconv.Itoa(len(data))}, up.Headers)
	assert.WithinDuration(t, before.Add(blob.MaxURLLifetime), up.Expires, 2*time.Second, "at most 15 minutes, whatever was asked")
	u, err := url.Parse(up.URL)
	require.NoError(t, err)
	assert.Equal(t, "/artifacts/uploads/abc/up_1", u.Path)
	assert.Equal(t, "content-length;content-type;host", u.Query().Get("X-Goog-SignedHeaders"), "size and type are signed")
	assert.Equal(t, "GOOG4-RSA-SHA256", u.Query().Get("X-Goog-Algorithm"))

	req, err := http.NewRequestWithContext(t.Context(), up.Method, up.URL, bytes.NewReader(data))
	require.NoError(t, err)
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got, err := srv.GetObject("artifacts", "uploads/abc/up_1")
	require.NoError(t, err)
	assert.Equal(t, data, got.Content)
	o, err := b.Stat(t.Context(), "uploads/abc/up_1")
	require.NoError(t, err)
	assert.Equal(t, "application/pdf", o.ContentType)

	require.NoError(t, b.Delete(t.Context(), "uploads/abc/up_1"))
	require.NoError(t, b.Delete(t.Context(), "uploads/abc/up_1"), "deleting what is gone is no error")
	_, err = b.Stat(t.Context(), "uploads/abc/up_1")
	assert.ErrorIs(t, err, blob.ErrNotFound)
}
