package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/sources"
)

// Blobs reads uploaded files.
type Blobs interface {
	Read(ctx context.Context, path string) ([]byte, error)
	Stat(ctx context.Context, path string) (pipeline.Object, error)
}

// Links fetches links; *Fetcher is one.
type Links interface {
	Fetch(ctx context.Context, rawURL string, maxBytes int64) (Page, error)
}

// Reader reads a request's sources into a content.SourceSet.
type Reader struct {
	Uploads sources.UploadStore
	Blobs   Blobs
	Links   Links
	Limits  content.SourceLimits
	// Screen scores a source's text for prompt injection; nil records
	// nothing.
	Screen func(field, text string) content.Risk
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Failure is one source that could not be read.
type Failure struct {
	// Field is the request field of the source ("sources[2]").
	Field string
	// Name is what the caller knows the source by: its title, file name
	// or link.
	Name string
	Err  *Error
}

// ReadError lists the sources that could not be read. Its code is the
// first failure's; it is transient when every failure is (trying again
// may read them all).
type ReadError struct {
	Failures []Failure
}

func (e *ReadError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = fmt.Sprintf("%s (%s): %s", f.Field, f.Name, f.Err.Message)
	}
	return strings.Join(parts, "; ")
}

// Code is the stable code of the first failure.
func (e *ReadError) Code() string { return e.Failures[0].Err.Code }

// Transient reports whether every failure may go away by trying again.
func (e *ReadError) Transient() bool {
	for _, f := range e.Failures {
		if !f.Err.Transient {
			return false
		}
	}
	return true
}

// Read reads every source of owner's request, in order (source_text
// first), extracts its text and splits it into passages numbered across
// the sources. The sources' bytes together (texts, files, pages) may not
// exceed Limits.MaxBytes, nor their extracted text Limits.MaxChars
// characters. A source that cannot be read is a Failure of a *ReadError,
// which lists every one; storage that cannot be reached is a transient
// failure.Error.
func (r *Reader) Read(ctx context.Context, owner string, req *content.Request) (*content.SourceSet, error) {
	set := &content.SourceSet{Sources: []content.SourceDoc{}, Passages: []content.Passage{}}
	var failures []Failure
	var used int64
	chars := 0
	for _, src := range req.AllSources() {
		doc, blocks, err := r.read(ctx, owner, src, r.Limits.MaxBytes-used)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return nil, err
			}
			failures = append(failures, Failure{Field: src.Field, Name: sourceName(src), Err: e})
			continue
		}
		used += doc.Bytes
		if r.Screen != nil {
			doc.InputRisk = r.Screen(src.Field, doc.Title+"\n"+joinBlocks(blocks))
		}
		doc = set.Add(doc, blocks)
		chars += doc.Chars
	}
	if len(failures) > 0 {
		return nil, &ReadError{Failures: failures}
	}
	if lim := r.Limits.MaxChars; lim > 0 && chars > lim {
		return nil, &ReadError{Failures: []Failure{{Field: "sources", Name: "all of them", Err: fail(CodeTooLarge,
			"the sources hold %d characters of text once extracted; at most %d are allowed (FACTORY_MAX_SOURCE_CHARS)", chars, lim)}}}
	}
	return set, nil
}

// read reads one source with at most budget bytes.
func (r *Reader) read(ctx context.Context, owner string, src content.NamedSource, budget int64) (content.SourceDoc, []content.Block, error) {
	d := content.SourceDoc{Field: src.Field, Kind: src.Kind(), Title: src.Title}
	switch d.Kind {
	case content.SourceKindText:
		d.MediaType, d.Bytes = content.MediaMarkdown, int64(len(src.Text))
		if d.Bytes > budget {
			return d, nil, overBudget(r.Limits.MaxBytes)
		}
		return d, content.TextBlocks(src.Text), nil
	case content.SourceKindUpload:
		up, data, err := r.upload(ctx, owner, src.UploadID, budget)
		if err != nil {
			return d, nil, err
		}
		d.Filename = up.Filename
		return extracted(d, data, up.ContentType)
	case content.SourceKindURL:
		if r.Links == nil {
			return d, nil, fail(CodeLinkRefused, "links are not fetched here")
		}
		page, err := r.Links.Fetch(ctx, src.URL, max(budget, 0))
		if err != nil {
			return d, nil, err
		}
		d.URL = page.URL
		return extracted(d, page.Data, page.MediaType)
	}
	return d, nil, fail("invalid_source", "must have exactly one of text, upload_id and url")
}

// extracted completes a source's description with what Extract makes of
// its bytes (their size, type, pages and, when the source has none, its
// own title) and returns it with the document's blocks.
func extracted(d content.SourceDoc, data []byte, mediaType string) (content.SourceDoc, []content.Block, error) {
	d.Bytes = int64(len(data))
	doc, err := Extract(data, mediaType)
	if err != nil {
		return d, nil, err
	}
	d.MediaType, d.Pages = doc.MediaType, doc.Pages
	if d.Title == "" {
		d.Title = doc.Title
	}
	return d, doc.Blocks, nil
}

func overBudget(limit int64) *Error {
	return fail(CodeTooLarge, "the sources hold more than %s together, the limit (FACTORY_MAX_SOURCE_BYTES)", size(limit))
}

// upload finds an upload of owner's and reads its file, at most budget
// bytes of it. It checks what the API checked at submission
// (sources.Find) again: time has passed since.
func (r *Reader) upload(ctx context.Context, owner, id string, budget int64) (*sources.Upload, []byte, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if r.Blobs == nil {
		return nil, nil, fail(sources.CodeUploadNotFound, "there is no upload %q", id)
	}
	up, p, err := sources.Find(ctx, r.Uploads, r.Blobs, owner, id, now())
	switch {
	case err != nil:
		return nil, nil, failure.Transient("store_unavailable", err)
	case p != nil:
		return nil, nil, fail(p.Code, "%s", p.Message)
	case up.Size > budget:
		return nil, nil, overBudget(r.Limits.MaxBytes)
	}
	data, err := r.Blobs.Read(ctx, up.Path)
	if err != nil {
		return nil, nil, failure.Transient("storage_unavailable", err)
	}
	if int64(len(data)) != up.Size {
		return nil, nil, fail(sources.CodeUploadSizeMismatch, "the file of upload %s is %d bytes, not the %d declared", id, len(data), up.Size)
	}
	return up, data, nil
}

// sourceName is what a caller knows a source by.
func sourceName(src content.NamedSource) string {
	switch {
	case src.Title != "":
		return src.Title
	case src.URL != "":
		return src.URL
	case src.UploadID != "":
		return "upload " + src.UploadID
	}
	return "text"
}

func joinBlocks(blocks []content.Block) string {
	parts := make([]string, len(blocks))
	for i, b := range blocks {
		parts[i] = b.Text
	}
	return strings.Join(parts, "\n\n")
}
