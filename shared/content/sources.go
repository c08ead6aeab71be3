package content

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of one source, in characters after normalization.
const (
	MaxSourceTitleLen = 200
	MaxUploadIDLen    = 100
	MaxSourceURLLen   = 2048
)

// Source kinds, as sources.json names them.
const (
	SourceKindText   = "text"
	SourceKindUpload = "upload"
	SourceKindURL    = "url"
)

// Media types a source may be: an upload declares one of them, a link
// must serve one of them (or application/xhtml+xml, read as HTML).
const (
	MediaPDF      = "application/pdf"
	MediaDOCX     = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MediaHTML     = "text/html"
	MediaMarkdown = "text/markdown"
	MediaText     = "text/plain"
)

// SourceMediaTypes lists the media types a source may be.
var SourceMediaTypes = []string{MediaPDF, MediaDOCX, MediaHTML, MediaMarkdown, MediaText}

// Source is one source a request names: exactly one of Text (the text
// itself), UploadID (a file uploaded through POST /v1/uploads by the same
// owner) or URL (an https page or file the sources step fetches), with an
// optional Title. A job reads every source, extracts its text and splits
// it into numbered passages (sources.json) before the outline is written.
type Source struct {
	Text     string `json:"text,omitempty" firestore:"text,omitempty"`
	UploadID string `json:"upload_id,omitempty" firestore:"upload_id,omitempty"`
	URL      string `json:"url,omitempty" firestore:"url,omitempty"`
	Title    string `json:"title,omitempty" firestore:"title,omitempty"`
}

// Kind is the source's kind: SourceKindText, SourceKindUpload or SourceKindURL ("" for
// a source that names none or several).
func (s Source) Kind() string {
	n, kind := 0, ""
	if s.Text != "" {
		n, kind = n+1, SourceKindText
	}
	if s.UploadID != "" {
		n, kind = n+1, SourceKindUpload
	}
	if s.URL != "" {
		n, kind = n+1, SourceKindURL
	}
	if n != 1 {
		return ""
	}
	return kind
}

func (s *Source) normalize() {
	s.Text = CleanText(s.Text)
	s.UploadID = CleanLine(s.UploadID)
	s.URL = CleanLine(s.URL)
	s.Title = CleanLine(s.Title)
}

// NamedSource is a source with the request field it came from.
type NamedSource struct {
	// Field is "source_text" or "sources[i]".
	Field string
	Source
}

// HasSources reports whether the request names any source (source_text
// included).
func (r *Request) HasSources() bool { return r.SourceText != "" || len(r.Sources) > 0 }

// AllSources lists the request's sources in the order they are read:
// source_text (a shorthand for one text source) first, then sources.
func (r *Request) AllSources() []NamedSource {
	var out []NamedSource
	if r.SourceText != "" {
		out = append(out, NamedSource{Field: "source_text", Source: Source{Text: r.SourceText}})
	}
	for i, s := range r.Sources {
		out = append(out, NamedSource{Field: fmt.Sprintf("sources[%d]", i), Source: s})
	}
	return out
}

// validateSources checks the form of every source; the limits on their
// number and size, and whether uploads and links may be read, are checked
// where the configuration and the owner are known (shared/sources).
func (r *Request) validateSources() []FieldError {
	var errs fieldErrors
	add := errs.add
	for i, s := range r.Sources {
		field := fmt.Sprintf("sources[%d]", i)
		if utf8.RuneCountInString(s.Title) > MaxSourceTitleLen {
			add(field+".title", "too_long", "must be at most %d characters", MaxSourceTitleLen)
		}
		switch s.Kind() {
		case "":
			add(field, "invalid_source", "must have exactly one of text, upload_id and url")
		case SourceKindText:
			if n := utf8.RuneCountInString(s.Text); n > MaxSourceLen {
				add(field+".text", "too_long", "must be at most %d characters, is %d", MaxSourceLen, n)
			}
		case SourceKindUpload:
			if len(s.UploadID) > MaxUploadIDLen {
				add(field+".upload_id", "upload_not_found", "there is no upload %.20q…", s.UploadID)
			}
		case SourceKindURL:
			if err := CheckSourceURL(s.URL); err != nil {
				add(field+".url", "invalid_url", "%s", err.Error())
			}
		}
	}
	return errs
}

// CheckSourceURL checks the form of a source link: absolute https, a host
// name or address, no credentials. A fragment is allowed (it is not sent).
// Where the host resolves to is checked separately, at submission and
// again at every connection the fetch makes.
func CheckSourceURL(raw string) error {
	if len(raw) > MaxSourceURLLen {
		return fmt.Errorf("must be at most %d characters", MaxSourceURLLen)
	}
	_, err := parseHTTPS(raw)
	return err
}

// parseHTTPS parses an absolute https URL with a host and no credentials.
func parseHTTPS(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("must be a URL")
	case u.Scheme != "https":
		return nil, errors.New("must be an https URL")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("must name a host")
	case u.User != nil:
		return nil, errors.New("must not carry credentials")
	case strings.ContainsAny(raw, " \t\n"):
		return nil, errors.New("must not contain white space")
	}
	return u, nil
}

// SourceLimits bound a job's sources (shared/config: FACTORY_MAX_SOURCES,
// FACTORY_MAX_SOURCE_BYTES, FACTORY_MAX_SOURCE_CHARS).
type SourceLimits struct {
	// MaxSources is how many sources a request may name, source_text
	// included.
	MaxSources int
	// MaxBytes bounds the bytes of the sources together: texts, the
	// declared sizes of uploads, the pages links fetch.
	MaxBytes int64
	// MaxChars bounds the characters the sources yield once extracted.
	MaxChars int
}

// DefaultSourceLimits are the configuration's defaults.
var DefaultSourceLimits = SourceLimits{MaxSources: 10, MaxBytes: 25 << 20, MaxChars: 500_000}

// CheckSourceCount reports a request with more sources than the limits
// allow, on the field "sources".
func (r *Request) CheckSourceCount(lim SourceLimits) []FieldError {
	if n := len(r.AllSources()); lim.MaxSources > 0 && n > lim.MaxSources {
		return []FieldError{{Field: "sources", Code: "too_many", Message: fmt.Sprintf("must name at most %d sources (source_text counts as one), names %d", lim.MaxSources, n)}}
	}
	return nil
}

// MaxFilenameLen bounds an upload's file name, in characters.
const MaxFilenameLen = 255

// NewUpload is what POST /v1/uploads asks for: a file of a type a source
// may be, and its exact size.
type NewUpload struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Check normalizes a new upload and reports every invalid field: a file
// name of 1 to MaxFilenameLen characters without a folder, one of
// SourceMediaTypes, a size of 1 byte to maxBytes.
func (n *NewUpload) Check(maxBytes int64) []FieldError {
	var errs fieldErrors
	add := errs.add
	n.Filename = CleanLine(n.Filename)
	n.ContentType = strings.ToLower(CleanLine(n.ContentType))
	switch l := utf8.RuneCountInString(n.Filename); {
	case l == 0:
		add("filename", "required", "is required")
	case l > MaxFilenameLen:
		add("filename", "too_long", "must be at most %d characters", MaxFilenameLen)
	case strings.ContainsAny(n.Filename, `/\`) || n.Filename == "." || n.Filename == "..":
		add("filename", "invalid_value", "must be a file name, without a folder")
	}
	if !slices.Contains(SourceMediaTypes, n.ContentType) {
		add("content_type", "unsupported_type", "must be one of %s", strings.Join(SourceMediaTypes, ", "))
	}
	switch {
	case n.Size <= 0:
		add("size", "out_of_range", "must be the file's size in bytes, at least 1")
	case n.Size > maxBytes:
		add("size", "too_large", "must be at most %d bytes", maxBytes)
	}
	return errs
}
