package export

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"sync"

	"golang.org/x/text/language"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// HTMLContentSecurityPolicy is the policy an HTML export carries: no
// script, no remote resource (images, fonts, frames, fetches), only its own
// inline stylesheet. It holds even when the document is opened from disk.
const HTMLContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'"

// markdownRenderer converts the bundle's Markdown. Raw HTML in the
// Markdown is left out (goldmark's default, without html.WithUnsafe) and
// dangerous link schemes are dropped; the sanitizer then decides anyway.
var markdownRenderer = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Footnote),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// sanitizer keeps what the bundle's Markdown renders to and nothing else:
// a subset of bluemonday's policy for user-generated content (no script,
// style, iframe, object, form, image or event handler; links only to
// http, https and mailto URLs, relative paths and fragments, with
// rel="nofollow noreferrer"; no data: URLs). Model output is untrusted,
// whatever the Markdown renderer did to it.
var sanitizer = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs()
	p.RequireNoReferrerOnLinks(true)
	p.AllowElements("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "del", "s",
		"code", "pre", "blockquote", "sub", "sup", "table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[\p{L}\p{N}_-]{1,200}$`)).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	// Citations are footnotes: numbered links to the passages' text, and back.
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^fn(ref[0-9]*)?:[0-9]+$`)).OnElements("sup", "li")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	return p
})

// HTML renders the bundle as one self-contained HTML document: its
// Markdown converted to HTML, always sanitized, in a page with a charset,
// a Content-Security-Policy and a small inline stylesheet. Serve it with
// Content-Type text/html; charset=utf-8 and as an attachment.
func HTML(b Bundle) []byte {
	body := autoDirection(sanitize(markdownHTML(Markdown(b))))
	var out bytes.Buffer
	out.Grow(len(body) + len(pageStyle) + 512)
	out.WriteString("<!DOCTYPE html>\n<html")
	if tag, err := language.Parse(b.Language); err == nil {
		// A parsed tag is letters, digits and hyphens: written as is.
		out.WriteString(" lang=\"" + tag.String() + "\"")
	}
	out.WriteString(" dir=\"" + Direction(b.Language) + "\">\n<head>\n<meta charset=\"utf-8\">\n")
	// The policy is a constant with no double quote: written as is.
	out.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"" + HTMLContentSecurityPolicy + "\">\n")
	out.WriteString("<meta name=\"referrer\" content=\"no-referrer\">\n")
	out.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	out.WriteString("<title>" + html.EscapeString(oneLine(b.Title)) + "</title>\n")
	out.WriteString("<style>" + pageStyle + "</style>\n</head>\n<body>\n<main>\n")
	out.Write(body)
	out.WriteString("</main>\n</body>\n</html>\n")
	return out.Bytes()
}

// headingIDs gives the headings the ids the bundle's contents link to
// (anchor), made unique in the document by a number: goldmark's own ids
// keep only ASCII letters, and every Japanese heading would be "heading".
type headingIDs map[string]int

func (h headingIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	id := anchor(string(value))
	if id == "" {
		id = "section"
	}
	if n := h[id]; n > 0 {
		h[id]++
		id = fmt.Sprintf("%s-%d", id, n)
	}
	h[id]++
	return []byte(id)
}

func (h headingIDs) Put(value []byte) { h[string(value)]++ }

// markdownHTML converts Markdown to an HTML fragment.
func markdownHTML(md []byte) []byte {
	var buf bytes.Buffer
	ctx := parser.NewContext(parser.WithIDs(headingIDs{}))
	if err := markdownRenderer.Convert(md, &buf, parser.WithContext(ctx)); err != nil {
		// Converting to a buffer does not fail; should it, the text is
		// still shown, escaped.
		return []byte("<pre>" + html.EscapeString(string(md)) + "</pre>")
	}
	return buf.Bytes()
}

// textBlock is the start tag of a block of text, as the sanitizer writes
// it: without attributes, or a heading with its id.
var textBlock = regexp.MustCompile(`<(p|li|h[1-6]|td|th|blockquote|dt|dd)((?: id="[^"]*")?)>`)

// autoDirection lets every block of text take its own direction from its
// first strong letter (dir="auto"): an Arabic paragraph in an English page
// reads right to left, an English one in an Arabic page left to right.
// It runs on the sanitizer's output, whose tags it knows.
func autoDirection(fragment []byte) []byte {
	return textBlock.ReplaceAll(fragment, []byte(`<$1$2 dir="auto">`))
}

// sanitize keeps only the HTML the policy allows.
func sanitize(fragment []byte) []byte { return sanitizer().SanitizeBytes(fragment) }

const pageStyle = `
body{margin:0;background:#fff;color:#1f2328;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem}
h1,h2,h3{line-height:1.25;margin:1.6em 0 .6em}
h1{font-size:2rem}h2{font-size:1.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3em}h3{font-size:1.2rem}
a{color:#0969da}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #d0d7de;padding:.4em .6em;text-align:start;vertical-align:top}
th{background:#f6f8fa}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;background:#f6f8fa}
pre{padding:1em;overflow:auto}
blockquote{margin:0;padding:0 1em;color:#59636e;border-inline-start:.25em solid #d0d7de}
@media print{main{max-width:none;padding:0}a{color:inherit}}
`
