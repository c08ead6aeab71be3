// Package testdocs makes the documents tests feed the sources step: PDFs
// (with text, encrypted, or only an image of a page) written with
// codeberg.org/go-pdf/fpdf, DOCX documents written as the zip of XML parts
// Word writes, and HTML pages. Nothing here is read from disk: every test
// makes the bytes it needs.
package testdocs

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// PDFOptions shape a PDF.
type PDFOptions struct {
	// UserPassword and OwnerPassword encrypt the PDF (RC4) when either is
	// set; an empty user password opens it without one, restricted.
	UserPassword, OwnerPassword string
	// Encrypt encrypts it even with both passwords empty.
	Encrypt bool
	// ImageOnly draws each page as an image of text, with no text layer,
	// as a scanner makes it.
	ImageOnly bool
}

// PDF writes a PDF with one page per element of pages, each page's
// paragraphs in Helvetica 12 pt, wrapped, a blank line between them.
// Text is Latin-1 (accents are fine).
func PDF(pages [][]string, o PDFOptions) []byte {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(true)
	if o.Encrypt || o.UserPassword != "" || o.OwnerPassword != "" {
		f.SetProtection(fpdf.CnProtectPrint, o.UserPassword, o.OwnerPassword)
	}
	tr := f.UnicodeTranslatorFromDescriptor("")
	f.SetFont("Helvetica", "", 12)
	for i, paras := range pages {
		f.AddPage()
		if o.ImageOnly {
			name := fmt.Sprintf("scan%d", i)
			f.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(scan()))
			f.ImageOptions(name, 10, 10, 190, 0, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
			continue
		}
		for _, p := range paras {
			f.MultiCell(0, 6, tr(p), "", "L", false)
			f.Ln(6)
		}
	}
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		panic(fmt.Sprintf("testdocs: write PDF: %v", err))
	}
	return b.Bytes()
}

// scan is a grey page with dark lines, as a scanned page of text looks.
func scan() []byte {
	img := image.NewGray(image.Rect(0, 0, 200, 280))
	for y := 0; y < 280; y++ {
		for x := 0; x < 200; x++ {
			c := uint8(235)
			if y%14 < 3 && x > 15 && x < 185 {
				c = 40
			}
			img.SetGray(x, y, color.Gray{Y: c})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Paragraph is one paragraph of a DOCX document; Style names its style
// ("Heading1", "Title"; empty for body text).
type Paragraph struct {
	Style string
	Text  string
}

// DOCX writes a DOCX document: [Content_Types].xml, the package
// relationships, word/document.xml with the paragraphs (a tab in Text
// becomes w:tab) and word/styles.xml declaring the heading styles.
// Extra parts (name → content) are added as they are.
func DOCX(paras []Paragraph, extra map[string]string) []byte {
	var body strings.Builder
	for _, p := range paras {
		body.WriteString("<w:p>")
		if p.Style != "" {
			fmt.Fprintf(&body, `<w:pPr><w:pStyle w:val="%s"/></w:pPr>`, p.Style)
		}
		for i, part := range strings.Split(p.Text, "\t") {
			if i > 0 {
				body.WriteString("<w:r><w:tab/></w:r>")
			}
			fmt.Fprintf(&body, `<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>`, html.EscapeString(part))
		}
		body.WriteString("</w:p>")
	}
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/styles.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style></w:styles>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `<w:sectPr/></w:body></w:document>`,
	}
	for k, v := range extra {
		parts[k] = v
	}
	return Zip(parts)
}

// Zip writes a zip archive of the parts, in name order.
func Zip(parts map[string]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	names := make([]string, 0, len(parts))
	for k := range parts {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(parts[name])); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Article is a web page with navigation, a header, a sidebar and a footer
// around an article: a title (h1) and sections (h2 and paragraphs).
func Article(title string, sections map[string][]string, order []string) []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(title) + ` | Example Site</title>
<script>var tracking = "do not read me";</script><style>body { color: black }</style></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/shop">Shop our store</a></nav>
<header class="site-header"><p>Subscribe to our newsletter for weekly updates!</p></header>
<div id="content"><article><h1>` + html.EscapeString(title) + `</h1>`)
	for _, h := range order {
		b.WriteString("<h2>" + html.EscapeString(h) + "</h2>")
		for _, p := range sections[h] {
			b.WriteString("<p>" + html.EscapeString(p) + "</p>")
		}
	}
	b.WriteString(`</article></div>
<aside class="sidebar"><h3>Related</h3><ul><li><a href="/x">Ten tricks</a></li></ul></aside>
<footer><p>Copyright 2026 Example Site. All rights reserved.</p></footer></body></html>`)
	return []byte(b.String())
}
