// Package epub renders a job's bundle (export.Document) as an EPUB 3
// book, written by hand (an EPUB is a zip of XHTML and XML files; the Go
// library for it was not to be had): a cover page whose image carries
// its description as alternative text, a navigation document, one
// chapter per format, notes as EPUB footnotes, the request's language on
// the book and on every page, right-to-left paragraphs marked. It passes
// epubcheck.
package epub

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/export"
)

// ContentType is the media type of an EPUB file.
const ContentType = "application/epub+zip"

// Render writes the document as an EPUB 3 book. id identifies the book
// (its dc:identifier: the job); created dates it, so the same document
// renders to the same bytes.
func Render(doc *export.Document, id string, created time.Time) ([]byte, error) {
	lang := doc.Language
	if lang == "" {
		lang = "en"
	}
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	add := func(name string, method uint16, data []byte) error {
		h := &zip.FileHeader{Name: name, Method: method, Modified: created}
		if name == "mimetype" {
			h.Modified = time.Time{} // a time would add an extra field, which the mimetype must not have
		}
		f, err := z.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("epub: add %s: %w", name, err)
		}
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("epub: write %s: %w", name, err)
		}
		return nil
	}
	// The mimetype comes first and uncompressed, as readers require.
	if err := add("mimetype", zip.Store, []byte(ContentType)); err != nil {
		return nil, err
	}
	files := []struct{ name, data string }{
		{"META-INF/container.xml", container},
		{"OEBPS/style.css", stylesheet},
		{"OEBPS/nav.xhtml", nav(doc, lang)},
		{"OEBPS/package.opf", pkg(doc, id, lang, created)},
	}
	if doc.Cover != nil {
		files = append(files, struct{ name, data string }{"OEBPS/cover.xhtml", coverPage(doc, lang)})
	}
	for i, s := range doc.Sections {
		files = append(files, struct{ name, data string }{chapterName(i), chapter(s, lang)})
	}
	for _, f := range files {
		if err := add(f.name, zip.Deflate, []byte(f.data)); err != nil {
			return nil, err
		}
	}
	if doc.Cover != nil {
		if err := add("OEBPS/cover.png", zip.Store, doc.Cover.Data); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("epub: close: %w", err)
	}
	return out.Bytes(), nil
}

func chapterName(i int) string { return fmt.Sprintf("OEBPS/chapter-%02d.xhtml", i+1) }

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a Builder does not fail
	return b.String()
}

const container = `<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/package.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
`

func page(lang, title, body string) string {
	dir := ""
	if export.RightToLeftLanguage(lang) || export.RightToLeft(title) {
		dir = ` dir="rtl"`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="` + esc(lang) + `" xml:lang="` + esc(lang) + `">
<head><meta charset="utf-8"/><title>` + esc(title) + `</title><link rel="stylesheet" type="text/css" href="style.css"/></head>
<body` + dir + `>
` + body + `
</body>
</html>
`
}

func pkg(doc *export.Document, id, lang string, created time.Time) string {
	var manifest, spine strings.Builder
	if doc.Cover != nil {
		manifest.WriteString(`<item id="cover-image" href="cover.png" media-type="image/png" properties="cover-image"/>` + "\n")
		manifest.WriteString(`<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>` + "\n")
		spine.WriteString(`<itemref idref="cover" linear="yes"/>` + "\n")
	}
	spine.WriteString(`<itemref idref="nav"/>` + "\n")
	for i := range doc.Sections {
		fmt.Fprintf(&manifest, `<item id="chapter-%02d" href="chapter-%02d.xhtml" media-type="application/xhtml+xml"/>`+"\n", i+1, i+1)
		fmt.Fprintf(&spine, `<itemref idref="chapter-%02d"/>`+"\n", i+1)
	}
	dir := ""
	if export.RightToLeftLanguage(lang) || export.RightToLeft(doc.Title) {
		dir = ` page-progression-direction="rtl"`
	}
	subject := ""
	if doc.Subtitle != "" {
		subject = `<dc:subject>` + esc(doc.Subtitle) + `</dc:subject>` + "\n"
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="` + esc(lang) + `">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="book-id">` + esc(id) + `</dc:identifier>
<dc:title>` + esc(doc.Title) + `</dc:title>
<dc:language>` + esc(lang) + `</dc:language>
<dc:creator>Content Factory</dc:creator>
` + subject + `<meta property="dcterms:modified">` + created.UTC().Format("2006-01-02T15:04:05Z") + `</meta>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="style" href="style.css" media-type="text/css"/>
` + manifest.String() + `</manifest>
<spine` + dir + `>
` + spine.String() + `</spine>
</package>
`
}

func nav(doc *export.Document, lang string) string {
	var b strings.Builder
	contents := esc(export.Label(lang, "Contents"))
	b.WriteString(`<nav epub:type="toc" id="toc"><h1>` + contents + `</h1><ol>`)
	for i, s := range doc.Sections {
		fmt.Fprintf(&b, `<li><a href="%s">%s</a></li>`, strings.TrimPrefix(chapterName(i), "OEBPS/"), esc(s.Title))
	}
	b.WriteString(`</ol></nav>`)
	if doc.Cover != nil || len(doc.Sections) > 0 {
		b.WriteString(`<nav epub:type="landmarks" id="landmarks" hidden="hidden"><h2>Landmarks</h2><ol>`)
		if doc.Cover != nil {
			b.WriteString(`<li><a epub:type="cover" href="cover.xhtml">Cover</a></li>`)
		}
		b.WriteString(`<li><a epub:type="toc" href="#toc">` + contents + `</a></li>`)
		if len(doc.Sections) > 0 {
			fmt.Fprintf(&b, `<li><a epub:type="bodymatter" href="%s">%s</a></li>`, strings.TrimPrefix(chapterName(0), "OEBPS/"), esc(doc.Sections[0].Title))
		}
		b.WriteString(`</ol></nav>`)
	}
	return page(lang, doc.Title, b.String())
}

func coverPage(doc *export.Document, lang string) string {
	body := `<section epub:type="cover" class="cover"><h1>` + esc(doc.Title) + `</h1>`
	if doc.Subtitle != "" {
		body += `<p class="subtitle">` + esc(doc.Subtitle) + `</p>`
	}
	body += `<img src="cover.png" alt="` + esc(doc.Cover.Alt) + `"/></section>`
	return page(lang, doc.Title, body)
}

// chapter is one format's page; its notes follow it as footnotes.
func chapter(s export.Section, lang string) string {
	c := &chapterWriter{}
	c.b.WriteString(`<section epub:type="chapter"><h1>` + esc(s.Title) + `</h1>` + "\n")
	for _, blk := range s.Blocks {
		c.block(blk)
	}
	c.b.WriteString("</section>\n")
	for i, n := range c.notes {
		fmt.Fprintf(&c.b, `<aside epub:type="footnote" id="note-%d"><p><a href="#ref-%d">%d</a> `, i+1, i+1, i+1)
		inner := &chapterWriter{}
		inner.inlines(n)
		c.b.WriteString(inner.b.String() + "</p></aside>\n")
	}
	return page(lang, s.Title, c.b.String())
}

type chapterWriter struct {
	b     strings.Builder
	notes [][]export.Inline
}

// open writes a start tag, marking right-to-left text.
func (c *chapterWriter) open(tag string, in []export.Inline) {
	if export.RightToLeft(export.PlainText(in)) {
		c.b.WriteString("<" + tag + ` dir="rtl">`)
		return
	}
	c.b.WriteString("<" + tag + ">")
}

func (c *chapterWriter) block(b export.Block) {
	switch b.Kind {
	case export.BlockHeading:
		tag := "h" + strconv.Itoa(min(b.Level, 6))
		c.open(tag, b.Text)
		c.inlines(b.Text)
		c.b.WriteString("</" + tag + ">\n")
	case export.BlockParagraph:
		c.open("p", b.Text)
		c.inlines(b.Text)
		c.b.WriteString("</p>\n")
	case export.BlockQuote:
		c.b.WriteString("<blockquote>")
		c.open("p", b.Text)
		c.inlines(b.Text)
		c.b.WriteString("</p></blockquote>\n")
	case export.BlockCode:
		c.b.WriteString("<pre><code>" + esc(export.PlainText(b.Text)) + "</code></pre>\n")
	case export.BlockRule:
		c.b.WriteString("<hr/>\n")
	case export.BlockList:
		c.list(b)
	case export.BlockTable:
		c.table(b.Rows)
	}
}

// list writes a flattened list back as nested lists.
func (c *chapterWriter) list(b export.Block) {
	tag := "ul"
	if b.Ordered {
		tag = "ol"
	}
	openList := func(first bool) {
		if b.Ordered && first && b.Start > 1 {
			fmt.Fprintf(&c.b, `<ol start="%d">`, b.Start)
			return
		}
		c.b.WriteString("<" + tag + ">")
	}
	openList(true)
	depth, itemOpen := 0, false
	for _, it := range b.Items {
		if it.Depth > depth {
			for ; depth < it.Depth; depth++ {
				if !itemOpen {
					c.b.WriteString("<li>")
				}
				openList(false) // nested inside the open item
				itemOpen = false
			}
		} else {
			if itemOpen {
				c.b.WriteString("</li>")
			}
			for ; depth > it.Depth; depth-- {
				c.b.WriteString("</" + tag + "></li>")
			}
		}
		c.open("li", it.Text)
		c.inlines(it.Text)
		itemOpen = true
	}
	if itemOpen {
		c.b.WriteString("</li>")
	}
	for ; depth > 0; depth-- {
		c.b.WriteString("</" + tag + "></li>")
	}
	c.b.WriteString("</" + tag + ">\n")
}

func (c *chapterWriter) table(rows [][][]export.Inline) {
	if len(rows) == 0 {
		return
	}
	c.b.WriteString("<table>\n<thead><tr>")
	for _, cell := range rows[0] {
		c.open("th", cell)
		c.inlines(cell)
		c.b.WriteString("</th>")
	}
	c.b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range rows[1:] {
		c.b.WriteString("<tr>")
		for _, cell := range row {
			c.open("td", cell)
			c.inlines(cell)
			c.b.WriteString("</td>")
		}
		c.b.WriteString("</tr>\n")
	}
	c.b.WriteString("</tbody>\n</table>\n")
}

func (c *chapterWriter) inlines(in []export.Inline) {
	for _, r := range in {
		if r.Note != nil {
			c.notes = append(c.notes, r.Note)
			n := len(c.notes)
			fmt.Fprintf(&c.b, `<a epub:type="noteref" class="noteref" id="ref-%d" href="#note-%d">%d</a>`, n, n, n)
			continue
		}
		s := esc(r.Text)
		if r.Code {
			s = "<code>" + s + "</code>"
		}
		if r.Italic {
			s = "<em>" + s + "</em>"
		}
		if r.Bold {
			s = "<strong>" + s + "</strong>"
		}
		if r.Href != "" {
			s = `<a href="` + esc(r.Href) + `">` + s + "</a>"
		}
		c.b.WriteString(s)
	}
}

const stylesheet = `body { font-family: sans-serif; line-height: 1.5; margin: 0 4%; }
h1 { color: #0b4a8f; border-bottom: 2px solid #0b4a8f; padding-bottom: .2em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .3em .5em; text-align: start; vertical-align: top; }
th { background: #f6f8fa; }
blockquote { color: #59636e; border-inline-start: .25em solid #d0d7de; margin: 0; padding: 0 1em; }
pre { background: #f6f8fa; padding: .6em; white-space: pre-wrap; }
.cover { text-align: center; }
.cover img { max-width: 100%; }
.subtitle { color: #59636e; }
aside { font-size: .85em; color: #3c424a; }
.noteref { vertical-align: super; font-size: .75em; }
`
