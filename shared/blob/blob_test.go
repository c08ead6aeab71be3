package blob_test

import (
	"path"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
