package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/sources"
)

// Uploads keeps upload records.
type Uploads interface {
	CreateUpload(ctx context.Context, u *sources.Upload) error
	Upload(ctx context.Context, id string) (*sources.Upload, error)
	DeleteUpload(ctx context.Context, id string) error
}

// UploadFiles signs upload URLs and finds and deletes uploaded files.
type UploadFiles interface {
	SignedUploadURL(path, contentType string, size int64, ttl time.Duration) (blob.SignedUpload, error)
	Stat(ctx context.Context, path string) (pipeline.Object, error)
	Delete(ctx context.Context, path string) error
}

// SourceChecker checks a request's sources at submission
// (*sources.Checker).
type SourceChecker interface {
	CheckRequest(ctx context.Context, owner string, req *content.Request) error
}

// maxUploadBody bounds the body of POST /v1/uploads.
const maxUploadBody = 4 << 10

// createUpload serves POST /v1/uploads: it records an upload of the
// caller's and answers 201 with a URL signed for the declared type and
// size, under the caller's private prefix.
func (h *Handler) createUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !httpx.RequireJSON(w, r) {
		return
	}
	body, ok := httpx.ReadBody(w, r, maxUploadBody)
	if !ok {
		return
	}
	var n content.NewUpload
	if err := content.DecodeStrict(body, &n); err != nil {
		requestProblem(w, r, err)
		return
	}
	if errs := n.Check(h.opts.MaxSourceBytes); len(errs) > 0 {
		requestProblem(w, r, &content.InvalidError{Errors: errs})
		return
	}
	up := sources.Record(n, p.Owner, time.Now().UTC().Truncate(time.Microsecond), h.opts.UploadTTL)
	signed, err := h.opts.UploadFiles.SignedUploadURL(up.Path, up.ContentType, up.Size, h.opts.URLTTL)
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	if err := h.opts.Uploads.CreateUpload(r.Context(), up); err != nil {
		httpx.Internal(w, r, err)
		return
	}
	doc := uploadDoc(up)
	doc.UploadURL, doc.Method, doc.Headers, doc.UploadURLExpiresAt = signed.URL, signed.Method, signed.Headers, signed.Expires
	w.Header().Set("Location", h.base(r)+"/v1/uploads/"+up.ID)
	httpx.JSON(w, http.StatusCreated, doc)
}

// ownUpload returns the caller's upload; another owner's is not found.
func (h *Handler) ownUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) (*sources.Upload, bool) {
	id := r.PathValue("id")
	up, err := h.opts.Uploads.Upload(r.Context(), id)
	if errors.Is(err, sources.ErrNotFound) || (err == nil && up.Owner != p.Owner) || !sources.ValidUploadID(id) {
		httpx.Error(w, r, http.StatusNotFound, "upload_not_found", "There is no upload "+strconv.Quote(id)+".")
		return nil, false
	}
	if err != nil {
		httpx.Internal(w, r, err)
		return nil, false
	}
	return up, true
}

// getUpload serves GET /v1/uploads/{id}: the upload and whether its file
// has arrived.
func (h *Handler) getUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	up, ok := h.ownUpload(w, r, p)
	if !ok {
		return
	}
	doc := uploadDoc(up)
	_, err := h.opts.UploadFiles.Stat(r.Context(), up.Path)
	switch {
	case err == nil:
		doc.Uploaded = true
	case !errors.Is(err, pipeline.ErrNotFound):
		httpx.Internal(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, doc)
}

// deleteUpload serves DELETE /v1/uploads/{id}: the file, then the record.
// Jobs that read it keep what they read.
func (h *Handler) deleteUpload(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	up, ok := h.ownUpload(w, r, p)
	if !ok {
		return
	}
	if err := h.opts.UploadFiles.Delete(r.Context(), up.Path); err != nil {
		httpx.Internal(w, r, err)
		return
	}
	if err := h.opts.Uploads.DeleteUpload(r.Context(), up.ID); err != nil {
		httpx.Internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func uploadDoc(up *sources.Upload) client.Upload {
	return client.Upload{ID: up.ID, Filename: up.Filename, ContentType: up.ContentType, Size: up.Size,
		CreatedAt: up.CreatedAt, ExpiresAt: up.ExpireAt}
}
