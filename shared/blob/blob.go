// Package blob stores artifacts in Cloud Storage: write-once objects under
// deterministic names, reads, deletion by prefix, short-lived signed URLs
// for downloads, and for uploads bound to their size and type. It is the
// adapter of the pipeline's Blobs port.
package blob

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
)

// ErrNotFound is returned for a missing object (the portable kind).
var ErrNotFound = failure.ErrNotFound

// MaxURLLifetime bounds signed URLs.
const MaxURLLifetime = 15 * time.Minute

// Object describes a stored object (the pipeline's value type).
type Object = pipeline.Object

var _ pipeline.Blobs = (*Bucket)(nil)

// Signer signs download URLs. Nil fields use the client's credentials
// (on Google Cloud: the service account through the IAM Credentials API).
type Signer struct {
	GoogleAccessID string
	PrivateKey     []byte
	// Host and Insecure point URLs at an emulator (host:port, http).
	Host     string
	Insecure bool
}

// Origin is the scheme and host signed URLs lead to: Cloud Storage's, or
// the emulator's.
func (s Signer) Origin() string {
	switch {
	case s.Host == "":
		return "https://storage.googleapis.com"
	case s.Insecure:
		return "http://" + s.Host
	}
	return "https://" + s.Host
}

// Origin is where the bucket's signed URLs lead (Signer.Origin).
func (b *Bucket) Origin() string { return b.signer.Origin() }

// Bucket is one artifact bucket.
type Bucket struct {
	client *storage.Client
	name   string
	signer Signer
}

// New returns the named bucket.
func New(client *storage.Client, name string, signer Signer) *Bucket {
	return &Bucket{client: client, name: name, signer: signer}
}

// Create writes data at path unless an object exists there (a
// DoesNotExist precondition, so retries and duplicate deliveries never
// write twice) and returns the stored object either way. Every object is
// stored with Content-Disposition: attachment and the path's base name as
// file name, so even a direct link to it downloads the file instead of
// showing it: model output is never rendered inline (OWASP LLM05).
func (b *Bucket) Create(ctx context.Context, p string, data []byte, contentType string) (Object, error) {
	// One request, still retried because the precondition makes it
	// idempotent.
	w := b.newWriter(ctx, p, contentType, len(data)+1)
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		return b.existing(ctx, p, err)
	}
	if err := w.Close(); err != nil {
		return b.existing(ctx, p, err)
	}
	return created(p, w), nil
}

// newWriter opens the write of a new object at path (a DoesNotExist
// precondition) in requests of chunk bytes, with the headers every
// artifact has.
func (b *Bucket) newWriter(ctx context.Context, p, contentType string, chunk int) *storage.Writer {
	w := b.client.Bucket(b.name).Object(p).If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
	w.ContentType = contentType
	w.ContentDisposition = Attachment(path.Base(p))
	w.CacheControl = "private, max-age=0"
	w.ChunkSize = chunk
	return w
}

// created is the object a closed writer made at path.
func created(p string, w *storage.Writer) Object {
	a := w.Attrs()
	return Object{Path: p, ContentType: a.ContentType, Size: a.Size, Generation: a.Generation, MD5: encodeMD5(a.MD5), Created: true}
}

// streamChunk is the size of each request of a streamed upload (a
// multiple of 256 KiB, as resumable uploads require): what a streamed
// write holds in memory, and what is sent again when one request fails.
const streamChunk = 1 << 20

// CreateFrom writes what write writes at path unless an object exists
// there (looked up first, so an object that exists is not written again,
// and a DoesNotExist precondition as Create), in a resumable upload of
// streamChunk requests: at most one chunk is held in memory. The upload
// is finalized only when write succeeds; when it fails the upload is
// cancelled and nothing appears under path. It returns the stored object
// either way, as Create.
func (b *Bucket) CreateFrom(ctx context.Context, p, contentType string, write func(ctx context.Context, w io.Writer) error) (Object, error) {
	if o, err := b.Stat(ctx, p); err == nil {
		return o, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Object{}, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := b.newWriter(wctx, p, contentType, streamChunk)
	if err := write(ctx, w); err != nil {
		cancel() // abandons the upload: no object is made
		_ = w.Close()
		return Object{}, fmt.Errorf("write gs://%s/%s: %w", b.name, p, err)
	}
	if err := w.Close(); err != nil {
		return b.existing(ctx, p, err)
	}
	return created(p, w), nil
}

// Copy copies the object at src to dst unless an object exists at dst (a
// DoesNotExist precondition, as Create), server-side, and returns the
// object stored at dst either way.
func (b *Bucket) Copy(ctx context.Context, src, dst string) (Object, error) {
	// The precondition makes a copy write-once on Cloud Storage; looking
	// first also spares a rewrite, and holds where a precondition on a
	// copy is not honoured (fake-gcs-server ignores it).
	if o, err := b.Stat(ctx, dst); err == nil {
		return o, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Object{}, err
	}
	bkt := b.client.Bucket(b.name)
	c := bkt.Object(dst).If(storage.Conditions{DoesNotExist: true}).CopierFrom(bkt.Object(src))
	c.ContentDisposition = Attachment(path.Base(dst))
	a, err := c.Run(ctx)
	var ge *googleapi.Error
	if errors.Is(err, storage.ErrObjectNotExist) || (errors.As(err, &ge) && ge.Code == http.StatusNotFound) {
		return Object{}, fmt.Errorf("copy gs://%s/%s: %w", b.name, src, ErrNotFound)
	}
	if err != nil {
		return b.existing(ctx, dst, err)
	}
	return Object{Path: dst, ContentType: a.ContentType, Size: a.Size, Generation: a.Generation, MD5: encodeMD5(a.MD5), Created: true}, nil
}

// Attachment is the Content-Disposition that makes a browser save a file
// under a name rather than show it: attachment; filename="name" (RFC
// 6266), with the RFC 5987 form for a name that is not printable ASCII.
func Attachment(filename string) string {
	ascii := true
	for i := 0; i < len(filename); i++ {
		if filename[i] < 0x20 || filename[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return `attachment; filename="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(filename) + `"`
	}
	if d := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); d != "" {
		return d
	}
	return "attachment"
}

// existing turns a failed precondition into the object that is there.
func (b *Bucket) existing(ctx context.Context, path string, werr error) (Object, error) {
	var ge *googleapi.Error
	if !errors.As(werr, &ge) || ge.Code != http.StatusPreconditionFailed {
		return Object{}, fmt.Errorf("write gs://%s/%s: %w", b.name, path, werr)
	}
	o, err := b.Stat(ctx, path)
	if err != nil {
		return Object{}, fmt.Errorf("write gs://%s/%s: exists, but: %w", b.name, path, err)
	}
	return o, nil
}

// Stat describes an object.
func (b *Bucket) Stat(ctx context.Context, path string) (Object, error) {
	a, err := b.client.Bucket(b.name).Object(path).Attrs(ctx)
	if errors.Is(err, storage.ErrObjectNotExist) {
		return Object{}, fmt.Errorf("gs://%s/%s: %w", b.name, path, ErrNotFound)
	}
	if err != nil {
		return Object{}, fmt.Errorf("stat gs://%s/%s: %w", b.name, path, err)
	}
	return Object{Path: path, ContentType: a.ContentType, Size: a.Size, Generation: a.Generation, MD5: encodeMD5(a.MD5)}, nil
}

// Read returns an object's bytes.
func (b *Bucket) Read(ctx context.Context, path string) ([]byte, error) {
	r, err := b.client.Bucket(b.name).Object(path).NewReader(ctx)
	if errors.Is(err, storage.ErrObjectNotExist) {
		return nil, fmt.Errorf("gs://%s/%s: %w", b.name, path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read gs://%s/%s: %w", b.name, path, err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return nil, fmt.Errorf("read gs://%s/%s: %w", b.name, path, err)
	}
	return buf.Bytes(), nil
}

// List returns the objects under a prefix.
func (b *Bucket) List(ctx context.Context, prefix string) ([]Object, error) {
	it := b.client.Bucket(b.name).Objects(ctx, &storage.Query{Prefix: prefix, Versions: false})
	var out []Object
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list gs://%s/%s: %w", b.name, prefix, err)
		}
		out = append(out, Object{Path: a.Name, ContentType: a.ContentType, Size: a.Size, Generation: a.Generation, MD5: encodeMD5(a.MD5)})
	}
}

// DeletePrefix deletes every object under a prefix and returns how many
// it deleted. Objects already gone are not an error.
func (b *Bucket) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		err := b.client.Bucket(b.name).Object(o.Path).Delete(ctx)
		if err != nil && !errors.Is(err, storage.ErrObjectNotExist) {
			return n, fmt.Errorf("delete gs://%s/%s: %w", b.name, o.Path, err)
		}
		n++
	}
	return n, nil
}

// SignedURL returns a GET URL for an object, valid for ttl (at most
// MaxURLLifetime), that makes the browser save the file rather than show
// it.
func (b *Bucket) SignedURL(path, filename string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxURLLifetime {
		ttl = MaxURLLifetime
	}
	opts := &storage.SignedURLOptions{
		Scheme:         storage.SigningSchemeV4,
		Method:         http.MethodGet,
		Expires:        time.Now().Add(ttl),
		GoogleAccessID: b.signer.GoogleAccessID,
		PrivateKey:     b.signer.PrivateKey,
		Hostname:       b.signer.Host,
		Insecure:       b.signer.Insecure,
		QueryParameters: map[string][]string{
			"response-content-disposition": {Attachment(filename)},
		},
	}
	u, err := b.client.Bucket(b.name).SignedURL(path, opts)
	if err != nil {
		return "", fmt.Errorf("sign gs://%s/%s: %w", b.name, path, err)
	}
	return u, nil
}

// SignedUpload is where and how to upload one object.
type SignedUpload struct {
	URL string
	// Method is PUT.
	Method string
	// Headers must be sent with the upload exactly as given: they are
	// part of the signature.
	Headers map[string]string
	Expires time.Time
}

// SignedUploadURL returns a PUT URL for an object, valid for ttl (at most
// MaxURLLifetime), whose V4 signature binds the upload to contentType and
// to exactly size bytes (Content-Type and Content-Length are signed
// headers: Cloud Storage refuses an upload with others). The object is
// never served from it.
func (b *Bucket) SignedUploadURL(path, contentType string, size int64, ttl time.Duration) (SignedUpload, error) {
	if ttl <= 0 || ttl > MaxURLLifetime {
		ttl = MaxURLLifetime
	}
	expires := time.Now().Add(ttl).UTC().Truncate(time.Second)
	length := strconv.FormatInt(size, 10)
	u, err := b.client.Bucket(b.name).SignedURL(path, &storage.SignedURLOptions{
		Scheme:         storage.SigningSchemeV4,
		Method:         http.MethodPut,
		Expires:        expires,
		ContentType:    contentType,
		Headers:        []string{"Content-Length:" + length},
		GoogleAccessID: b.signer.GoogleAccessID,
		PrivateKey:     b.signer.PrivateKey,
		Hostname:       b.signer.Host,
		Insecure:       b.signer.Insecure,
	})
	if err != nil {
		return SignedUpload{}, fmt.Errorf("sign the upload of gs://%s/%s: %w", b.name, path, err)
	}
	return SignedUpload{URL: u, Method: http.MethodPut, Expires: expires,
		Headers: map[string]string{"Content-Type": contentType, "Content-Length": length}}, nil
}

// Delete deletes an object; one already gone is no error.
func (b *Bucket) Delete(ctx context.Context, path string) error {
	err := b.client.Bucket(b.name).Object(path).Delete(ctx)
	if err != nil && !errors.Is(err, storage.ErrObjectNotExist) {
		return fmt.Errorf("delete gs://%s/%s: %w", b.name, path, err)
	}
	return nil
}

func encodeMD5(sum []byte) string {
	if len(sum) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(sum)
}
