// Package sources holds the rules of the sources a request may name
// before any of them is read: uploads (their ids, where their bytes live,
// how long they may be used, which types they may be) and the check every
// submission passes, in the API and in the Pub/Sub intake alike (Checker):
// the configured number and size of a request's sources, that every upload
// it names is the owner's, unexpired and uploaded, and that every link
// leads to a public https host. Reading them is the sources step's work
// (shared/ingest).
package sources

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/webhook"
)

// Upload is a file an owner uploads for jobs to read: its record in the
// store (uploads/{id}); its bytes are at Path in the artifact bucket,
// under a prefix of the owner's (uploads/{owner hash}/{id}), written
// through a signed URL bound to the declared size and type. Jobs of the
// same owner may read it until ExpireAt, when the sweep deletes it.
type Upload struct {
	ID          string    `firestore:"-" json:"id"`
	Owner       string    `firestore:"owner" json:"-"`
	Filename    string    `firestore:"filename" json:"filename"`
	ContentType string    `firestore:"content_type" json:"content_type"`
	Size        int64     `firestore:"size" json:"size"`
	Path        string    `firestore:"path" json:"-"`
	CreatedAt   time.Time `firestore:"created_at" json:"created_at"`
	ExpireAt    time.Time `firestore:"expire_at" json:"expire_at"`
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewUploadID returns a random upload id: "up_" and 128 random bits in
// lower-case base32.
func NewUploadID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "up_" + strings.ToLower(idEncoding.EncodeToString(b))
}

// ValidUploadID reports an id of the form NewUploadID makes.
func ValidUploadID(id string) bool {
	rest, ok := strings.CutPrefix(id, "up_")
	if !ok || len(rest) != 26 {
		return false
	}
	return strings.Trim(rest, "abcdefghijklmnopqrstuvwxyz234567") == ""
}

// OwnerPrefix is the folder of an owner's uploads: a hash of the owner,
// so object names say nothing of who uploaded them.
func OwnerPrefix(owner string) string {
	sum := sha256.Sum256([]byte("upload-owner\x00" + owner))
	return "uploads/" + hex.EncodeToString(sum[:16]) + "/"
}

// Path is where an upload's bytes are stored.
func Path(owner, id string) string { return OwnerPrefix(owner) + id }

// Errors of uploads.
var (
	// ErrNotFound: no such upload (or another owner's).
	ErrNotFound = failure.ErrNotFound
)

// Record makes the record of a new upload by owner, valid for ttl. The
// upload must have passed its check (content.NewUpload.Check).
func Record(n content.NewUpload, owner string, now time.Time, ttl time.Duration) *Upload {
	id := NewUploadID()
	return &Upload{
		ID: id, Owner: owner, Filename: path.Base(n.Filename), ContentType: n.ContentType, Size: n.Size,
		Path: Path(owner, id), CreatedAt: now, ExpireAt: now.Add(ttl),
	}
}

// UploadStore reads upload records.
type UploadStore interface {
	// Upload reads an upload record; ErrNotFound when there is none.
	Upload(ctx context.Context, id string) (*Upload, error)
}

// ObjectStat describes stored objects (the bucket).
type ObjectStat interface {
	Stat(ctx context.Context, path string) (pipeline.Object, error)
}

// Checker checks a request's sources at submission. The zero value of a
// field turns its check off: no Uploads, no upload is found; no Links
// guard, links are not resolved.
type Checker struct {
	Uploads UploadStore
	Objects ObjectStat
	Links   *webhook.Guard
	Limits  content.SourceLimits
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Unavailable is a check that could not be made for now (a store that
// does not answer, a name that does not resolve yet): asking again later
// may succeed.
type Unavailable struct{ Err error }

func (e *Unavailable) Error() string { return "sources cannot be checked now: " + e.Err.Error() }
func (e *Unavailable) Unwrap() error { return e.Err }

// CheckRequest checks the sources of owner's request: their number and
// total size (texts and declared upload sizes) against the limits; that
// every upload is the owner's ("upload_not_found" otherwise, as for one
// that does not exist), unexpired ("upload_expired") and uploaded
// ("upload_incomplete", or "upload_size_mismatch" when the stored size
// differs from the declared one); that every link leads only to public
// addresses (the guard's codes). Refusals are a *content.InvalidError
// listing every field; an *Unavailable when a check cannot be made now.
func (c *Checker) CheckRequest(ctx context.Context, owner string, req *content.Request) error {
	if c == nil || !req.HasSources() {
		return nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	errs := req.CheckSourceCount(c.Limits)
	var total int64
	for _, src := range req.AllSources() {
		switch src.Kind() {
		case content.SourceKindText:
			total += int64(len(src.Text))
		case content.SourceKindUpload:
			up, fe, err := c.upload(ctx, owner, src, now())
			if err != nil {
				return &Unavailable{Err: err}
			}
			if fe != nil {
				errs = append(errs, *fe)
				continue
			}
			total += up.Size
		case content.SourceKindURL:
			if c.Links == nil {
				continue
			}
			var refused *webhook.Error
			err := c.Links.CheckLink(ctx, src.URL)
			switch {
			case errors.As(err, &refused) && refused.Temporary:
				return &Unavailable{Err: err}
			case errors.As(err, &refused):
				errs = append(errs, refused.FieldErrorAt(src.Field+".url"))
			case err != nil:
				return &Unavailable{Err: err}
			}
		}
	}
	if c.Limits.MaxBytes > 0 && total > c.Limits.MaxBytes {
		errs = append(errs, content.FieldError{Field: "sources", Code: "too_large",
			Message: fmt.Sprintf("the sources hold %d bytes together (texts and uploads); at most %d are allowed", total, c.Limits.MaxBytes)})
	}
	if len(errs) > 0 {
		return &content.InvalidError{Errors: errs}
	}
	return nil
}

// upload finds an upload the request names and checks it can be read.
func (c *Checker) upload(ctx context.Context, owner string, src content.NamedSource, now time.Time) (*Upload, *content.FieldError, error) {
	up, p, err := Find(ctx, c.Uploads, c.Objects, owner, src.UploadID, now)
	if err != nil || p != nil {
		var fe *content.FieldError
		if p != nil {
			fe = &content.FieldError{Field: src.Field + ".upload_id", Code: p.Code, Message: p.Message}
		}
		return nil, fe, err
	}
	return up, nil, nil
}

// Codes of an upload that cannot be read.
const (
	// CodeUploadNotFound: no such upload, or another owner's.
	CodeUploadNotFound = "upload_not_found"
	// CodeUploadExpired: past its time; the sweep deletes it.
	CodeUploadExpired = "upload_expired"
	// CodeUploadIncomplete: its file was never uploaded.
	CodeUploadIncomplete = "upload_incomplete"
	// CodeUploadSizeMismatch: its file is not of the declared size.
	CodeUploadSizeMismatch = "upload_size_mismatch"
)

// Problem is why an upload cannot be read: a stable code and a message
// fit to show the caller.
type Problem struct {
	Code, Message string
}

// Find looks up owner's upload id and checks that it can be read at now:
// that it exists and is the owner's (another owner's upload is not
// found), has not expired, and, when objects is given, that its file was
// uploaded with the declared size. A refusal is a *Problem; an error is a
// store or bucket that did not answer.
func Find(ctx context.Context, uploads UploadStore, objects ObjectStat, owner, id string, now time.Time) (*Upload, *Problem, error) {
	notFound := &Problem{CodeUploadNotFound, fmt.Sprintf("there is no upload %q", id)}
	if uploads == nil || !ValidUploadID(id) {
		return nil, notFound, nil
	}
	up, err := uploads.Upload(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, notFound, nil
	case err != nil:
		return nil, nil, fmt.Errorf("look up upload %s: %w", id, err)
	case up.Owner != owner:
		return nil, notFound, nil
	case !now.Before(up.ExpireAt):
		return nil, &Problem{CodeUploadExpired, fmt.Sprintf("upload %s expired at %s; upload the file again", id, up.ExpireAt.UTC().Format(time.RFC3339))}, nil
	}
	if objects == nil {
		return up, nil, nil
	}
	o, err := objects.Stat(ctx, up.Path)
	switch {
	case errors.Is(err, failure.ErrNotFound):
		return nil, &Problem{CodeUploadIncomplete, fmt.Sprintf("the file of upload %s has not been uploaded: PUT it to the upload URL first", id)}, nil
	case err != nil:
		return nil, nil, fmt.Errorf("look up the file of upload %s: %w", id, err)
	case o.Size != up.Size:
		return nil, &Problem{CodeUploadSizeMismatch, fmt.Sprintf("the file of upload %s is %d bytes, not the %d declared", id, o.Size, up.Size)}, nil
	}
	return up, nil, nil
}
