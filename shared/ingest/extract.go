// Package ingest reads what a job's sources hold: it fetches links through
// the SSRF-safe client of shared/webhook (Fetcher), checks that bytes are
// what they are declared to be, and extracts their text as headings and
// paragraphs (Extract): PDF text with page numbers
// (github.com/ledongthuc/pdf, with a line and paragraph layout of its
// glyphs), DOCX paragraphs and headings (a small zip and XML reader), the
// main content of HTML pages (codeberg.org/readeck/go-readability/v2, a
// port of Mozilla's Readability), and Markdown and plain text as they are.
// Read then splits the text into numbered passages (content.SplitPassages).
//
// Everything read is untrusted: it only ever becomes data in prompts, and
// a failure names the source and says why with a stable code (Error).
package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"

	"contentfactory.dev/factory/shared/content"
)

// Media types a source may be (content.SourceMediaTypes).
const (
	TypePDF      = content.MediaPDF
	TypeDOCX     = content.MediaDOCX
	TypeHTML     = content.MediaHTML
	TypeMarkdown = content.MediaMarkdown
	TypeText     = content.MediaText
)

// MediaTypes lists the media types a source may be.
var MediaTypes = content.SourceMediaTypes

// Codes of a source that cannot be read. They are stable: callers branch
// on them, and a failed sources step carries the first of them.
const (
	// CodeEncrypted: a password-protected or encrypted PDF or DOCX.
	CodeEncrypted = "source_encrypted"
	// CodeNoText: a document with no text, such as a scanned PDF with
	// only images of pages, or an empty file or page.
	CodeNoText = "source_no_text"
	// CodeTypeMismatch: the bytes are not of the declared (or served)
	// type.
	CodeTypeMismatch = "source_type_mismatch"
	// CodeUnsupportedType: a type no source may be.
	CodeUnsupportedType = "source_unsupported_type"
	// CodeTooLarge: over FACTORY_MAX_SOURCE_BYTES (bytes) or
	// FACTORY_MAX_SOURCE_CHARS (extracted text).
	CodeTooLarge = "source_too_large"
	// CodeUnreadable: a damaged document the reader cannot make sense of.
	CodeUnreadable = "source_unreadable"
)

// Error is a source that cannot be read, with a stable code and a message
// fit to show the caller. Transient is set when trying again later may
// succeed (a link that timed out or answered 5xx).
type Error struct {
	Code      string
	Message   string
	Transient bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Document is the text of one source, as headings and paragraphs.
type Document struct {
	// MediaType is what the bytes were read as.
	MediaType string
	Blocks    []content.Block
	// Pages is the page count of a PDF.
	Pages int
	// Title is the document's own title (an HTML page's), when it has one.
	Title string
}

// Extract reads data that is declared to be of mediaType (parameters such
// as charset allowed). It checks the bytes are of that type first
// (CodeTypeMismatch otherwise) and fails CodeNoText when there is no text.
func Extract(data []byte, mediaType string) (Document, error) {
	mt, params := splitType(mediaType)
	if mt == "application/xhtml+xml" {
		mt = TypeHTML
	}
	if err := sniff(data, mt); err != nil {
		return Document{}, err
	}
	var doc Document
	var err error
	switch mt {
	case TypePDF:
		doc, err = readPDF(data)
	case TypeDOCX:
		doc, err = readDOCX(data)
	case TypeHTML:
		doc, err = readHTML(data, params)
	case TypeMarkdown, TypeText:
		var text string
		if text, err = decodeText(data, mediaType); err == nil {
			doc = Document{Blocks: content.TextBlocks(text)}
		}
	default:
		return Document{}, fail(CodeUnsupportedType, "%q is not a type a source may be; sources are %s", mt, strings.Join(MediaTypes, ", "))
	}
	if err != nil {
		return Document{}, err
	}
	doc.MediaType = mt
	if !hasText(doc.Blocks) {
		return Document{}, noText(mt)
	}
	return doc, nil
}

func noText(mt string) *Error {
	if mt == TypePDF {
		return fail(CodeNoText, "the PDF has no text layer: its pages are images (a scan?); run text recognition (OCR) on it first, or send its text")
	}
	return fail(CodeNoText, "the document holds no text")
}

func hasText(blocks []content.Block) bool {
	for _, b := range blocks {
		if !b.Heading && strings.TrimSpace(b.Text) != "" {
			return true
		}
	}
	return false
}

// splitType returns a media type's lower-case essence and its parameters.
func splitType(mediaType string) (string, string) {
	mt, params, _ := strings.Cut(mediaType, ";")
	return strings.ToLower(strings.TrimSpace(mt)), params
}

// Magic numbers of what a source is sometimes mistaken for.
var (
	magicPDF = []byte("%PDF-")
	magicZIP = []byte("PK\x03\x04")
	// magicCFB starts an OLE compound file: an old .doc, or a DOCX that
	// Office encrypted with a password (the package is inside, encrypted).
	magicCFB = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniff checks that data is of media type mt: what the bytes start with
// decides, not the name or the declaration.
func sniff(data []byte, mt string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return noText(mt)
	}
	actual := describe(data)
	switch mt {
	case TypePDF:
		if !bytes.HasPrefix(data, magicPDF) {
			return mismatch(actual, "a PDF")
		}
	case TypeDOCX:
		if bytes.HasPrefix(data, magicCFB) {
			return fail(CodeEncrypted, "the document is password-protected (or an old binary .doc); save an unprotected DOCX and send that")
		}
		if !bytes.HasPrefix(data, magicZIP) {
			return mismatch(actual, "a DOCX document")
		}
	case TypeHTML, TypeMarkdown, TypeText:
		if actual != "text" {
			return mismatch(actual, "text")
		}
	}
	return nil
}

func mismatch(actual, want string) *Error {
	return fail(CodeTypeMismatch, "the bytes are %s, not %s as declared", actual, want)
}

// describe names what bytes look like, for messages and for the check
// that text is text.
func describe(data []byte) string {
	switch {
	case bytes.HasPrefix(data, magicPDF):
		return "a PDF"
	case bytes.HasPrefix(data, magicZIP):
		return "a ZIP archive (such as a DOCX document)"
	case bytes.HasPrefix(data, magicCFB):
		return "an Office compound file (an old .doc, or a password-protected document)"
	}
	ct := http.DetectContentType(data)
	switch {
	case strings.HasPrefix(ct, "text/"):
		return "text"
	case strings.HasPrefix(ct, "image/"):
		return "an image (" + ct + ")"
	case ct == "application/octet-stream" && utf8.Valid(data) && !bytes.ContainsRune(data, 0):
		return "text"
	}
	return "binary data (" + ct + ")"
}

// decodeText returns data as UTF-8: it is if it is valid UTF-8 (a byte
// order mark is dropped), else it is decoded from the charset of the
// declared type, or, without one, as the HTML standard guesses.
func decodeText(data []byte, mediaType string) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(data) {
		return string(data), nil
	}
	r, err := charset.NewReader(bytes.NewReader(data), mediaType)
	if err != nil {
		return "", fail(CodeUnreadable, "the text's character encoding is unknown: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fail(CodeUnreadable, "the text cannot be decoded: %v", err)
	}
	return string(b), nil
}
