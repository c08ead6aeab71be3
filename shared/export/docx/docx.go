// Package docx renders a job's bundle (export.Document) as a Word
// document (Office Open XML, WordprocessingML), written by hand: a DOCX is
// a zip of a few XML parts, and no maintained Go library of it was to be
// had. It uses Word's own styles (Title, Subtitle, Heading 1 to 3, List
// Paragraph with bullets and numbers, Table Grid, Footnote Text), so a
// teacher restyles the whole document by changing a style; the cover image
// is embedded with its description as alternative text, every format
// starts a new page as a Heading 1, the flashcards are a table whose header
// row repeats on each page, notes are Word footnotes, and right-to-left
// paragraphs are marked as such.
package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	_ "image/png" // cover images are PNG
	"strconv"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/export"
)

// ContentType is the media type of a DOCX file.
const ContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// Render writes the document as a DOCX file. created dates it, so the same
// document renders to the same bytes.
func Render(doc *export.Document, created time.Time) ([]byte, error) {
	w := &writer{doc: doc}
	body := w.body()
	parts := []struct{ name, data string }{
		{"[Content_Types].xml", contentTypes(doc.Cover != nil)},
		{"_rels/.rels", rootRels},
		{"docProps/core.xml", core(doc, created)},
		{"word/document.xml", xmlHeader + `<w:document ` + namespaces + `><w:body>` + body + sectPr + `</w:body></w:document>`},
		{"word/styles.xml", styles(doc.Language)},
		{"word/numbering.xml", w.numbering()},
		{"word/footnotes.xml", w.footnotes()},
		{"word/settings.xml", settings},
		{"word/_rels/document.xml.rels", w.rels()},
	}
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	add := func(name string, data []byte) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: created})
		if err != nil {
			return fmt.Errorf("docx: add %s: %w", name, err)
		}
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("docx: write %s: %w", name, err)
		}
		return nil
	}
	for _, p := range parts {
		if err := add(p.name, []byte(p.data)); err != nil {
			return nil, err
		}
	}
	if doc.Cover != nil {
		if err := add("word/media/cover.png", doc.Cover.Data); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("docx: close: %w", err)
	}
	return out.Bytes(), nil
}

type writer struct {
	doc   *export.Document
	b     strings.Builder
	links []string // hyperlink targets, rId = "rIdL<n>"
	notes [][]export.Inline
	lists []listNum // numbering instances, one per list
}

type listNum struct {
	ordered bool
	start   int
}

const (
	xmlHeader  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	namespaces = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ` +
		`xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" ` +
		`xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ` +
		`xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"`
	// A4 portrait with 2 cm margins, footnotes numbered per document.
	sectPr = `<w:sectPr><w:footnotePr><w:numFmt w:val="decimal"/></w:footnotePr><w:pgSz w:w="11906" w:h="16838"/>` +
		`<w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="709" w:footer="709" w:gutter="0"/></w:sectPr>`
)

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a Builder does not fail
	return b.String()
}

func (w *writer) body() string {
	d := w.doc
	w.para("Title", "", []export.Inline{{Text: d.Title}})
	if d.Subtitle != "" {
		w.para("Subtitle", "", []export.Inline{{Text: d.Subtitle}})
	}
	if c := d.Cover; c != nil {
		w.cover(c)
	}
	for _, s := range d.Sections {
		w.para("Heading1", "", []export.Inline{{Text: s.Title}})
		for _, b := range s.Blocks {
			w.block(b)
		}
	}
	return w.b.String()
}

func (w *writer) block(b export.Block) {
	switch b.Kind {
	case export.BlockHeading:
		w.para("Heading"+strconv.Itoa(min(b.Level, 3)), "", b.Text)
	case export.BlockParagraph:
		w.para("", "", b.Text)
	case export.BlockQuote:
		w.para("Quote", "", b.Text)
	case export.BlockCode:
		for _, l := range strings.Split(export.PlainText(b.Text), "\n") {
			w.para("Code", "", []export.Inline{{Text: l}})
		}
	case export.BlockRule:
		w.b.WriteString(`<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="D0D7DE"/></w:pBdr></w:pPr></w:p>`)
	case export.BlockList:
		w.lists = append(w.lists, listNum{ordered: b.Ordered, start: max(b.Start, 1)})
		num := len(w.lists)
		for _, it := range b.Items {
			w.para("ListParagraph", fmt.Sprintf(`<w:numPr><w:ilvl w:val="%d"/><w:numId w:val="%d"/></w:numPr>`, min(it.Depth, 8), num), it.Text)
		}
	case export.BlockTable:
		w.table(b.Rows)
	}
}

// para writes a paragraph in a style (empty: Normal) with extra paragraph
// properties.
func (w *writer) para(styleID, props string, in []export.Inline) {
	w.b.WriteString("<w:p><w:pPr>")
	if styleID != "" {
		w.b.WriteString(`<w:pStyle w:val="` + styleID + `"/>`)
	}
	w.b.WriteString(props)
	if export.RightToLeft(export.PlainText(in)) {
		w.b.WriteString("<w:bidi/>")
	}
	w.b.WriteString("</w:pPr>")
	w.runs(in)
	w.b.WriteString("</w:p>")
}

func (w *writer) runs(in []export.Inline) {
	for _, r := range in {
		if r.Note != nil {
			w.notes = append(w.notes, r.Note)
			fmt.Fprintf(&w.b, `<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="%d"/></w:r>`, len(w.notes))
			continue
		}
		if r.Text == "" {
			continue
		}
		var rpr strings.Builder
		if r.Href != "" {
			rpr.WriteString(`<w:rStyle w:val="Hyperlink"/>`)
		}
		if r.Bold {
			rpr.WriteString("<w:b/><w:bCs/>")
		}
		if r.Italic {
			rpr.WriteString("<w:i/><w:iCs/>")
		}
		if r.Code {
			rpr.WriteString(`<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>`)
		}
		if export.RightToLeft(r.Text) {
			rpr.WriteString("<w:rtl/>")
		}
		run := "<w:r>"
		if rpr.Len() > 0 {
			run += "<w:rPr>" + rpr.String() + "</w:rPr>"
		}
		run += `<w:t xml:space="preserve">` + esc(r.Text) + "</w:t></w:r>"
		if r.Href != "" {
			w.links = append(w.links, r.Href)
			run = fmt.Sprintf(`<w:hyperlink r:id="rIdL%d">%s</w:hyperlink>`, len(w.links), run)
		}
		w.b.WriteString(run)
	}
}

// table writes rows as a Table Grid table; the first row is a header
// that repeats on every page.
func (w *writer) table(rows [][][]export.Inline) {
	if len(rows) == 0 {
		return
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	w.b.WriteString(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>`)
	for range cols {
		fmt.Fprintf(&w.b, `<w:gridCol w:w="%d"/>`, 9638/cols)
	}
	w.b.WriteString("</w:tblGrid>")
	for i, row := range rows {
		w.b.WriteString("<w:tr>")
		if i == 0 {
			w.b.WriteString("<w:trPr><w:tblHeader/></w:trPr>")
		}
		for c := range cols {
			w.b.WriteString("<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/></w:tcPr>")
			var cell []export.Inline
			if c < len(row) {
				cell = row[c]
			}
			if i == 0 {
				cell = bold(cell)
			}
			w.para("TableText", "", cell)
			w.b.WriteString("</w:tc>")
		}
		w.b.WriteString("</w:tr>")
	}
	w.b.WriteString("</w:tbl>")
	w.para("", "", nil) // Word needs a paragraph between a table and what follows
}

func bold(in []export.Inline) []export.Inline {
	out := make([]export.Inline, len(in))
	for i, r := range in {
		r.Bold = true
		out[i] = r
	}
	return out
}

// cover embeds the cover image at the text width, its description as
// alternative text.
func (w *writer) cover(c *export.Image) {
	wpx, hpx := c.Width, c.Height
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(c.Data)); err == nil {
		wpx, hpx = cfg.Width, cfg.Height
	}
	if wpx <= 0 || hpx <= 0 {
		wpx, hpx = 16, 9
	}
	const emuWidth = 6120000 // 17 cm, the text width
	cx, cy := emuWidth, emuWidth*hpx/wpx
	alt := esc(c.Alt)
	fmt.Fprintf(&w.b, `<w:p><w:pPr><w:pStyle w:val="Cover"/></w:pPr><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">`+
		`<wp:extent cx="%d" cy="%d"/><wp:docPr id="1" name="Cover" descr="%s"/>`+
		`<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>`+
		`<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>`+
		`<pic:nvPicPr><pic:cNvPr id="0" name="cover.png" descr="%s"/><pic:cNvPicPr/></pic:nvPicPr>`+
		`<pic:blipFill><a:blip r:embed="rIdCover"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>`+
		`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="%d" cy="%d"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>`+
		`</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`, cx, cy, alt, alt, cx, cy)
	if c.Alt != "" {
		w.para("Caption", "", []export.Inline{{Text: c.Alt}})
	}
}

func (w *writer) footnotes() string {
	var b strings.Builder
	b.WriteString(xmlHeader + `<w:footnotes ` + namespaces + `>` +
		`<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>` +
		`<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>`)
	for i, n := range w.notes {
		inner := &writer{doc: w.doc}
		text := []export.Inline{{Text: " "}}
		for _, r := range n {
			r.Href = "" // a link in a note would need the notes' own relationships: its text stays
			text = append(text, r)
		}
		inner.para("FootnoteText", "", text)
		p := strings.Replace(inner.b.String(), "</w:pPr>", `</w:pPr><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>`, 1)
		fmt.Fprintf(&b, `<w:footnote w:id="%d">%s</w:footnote>`, i+1, p)
	}
	b.WriteString("</w:footnotes>")
	return b.String()
}

func (w *writer) numbering() string {
	var b strings.Builder
	b.WriteString(xmlHeader + `<w:numbering ` + namespaces + `>`)
	for id, ordered := range []bool{false, true} {
		fmt.Fprintf(&b, `<w:abstractNum w:abstractNumId="%d"><w:multiLevelType w:val="hybridMultilevel"/>`, id)
		for lvl := range 9 {
			indent := 720 * (lvl + 1)
			if ordered {
				fmt.Fprintf(&b, `<w:lvl w:ilvl="%d"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%%%d."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="%d" w:hanging="360"/></w:pPr></w:lvl>`, lvl, lvl+1, indent)
			} else {
				bullet := []string{"•", "◦", "▪"}[lvl%3]
				fmt.Fprintf(&b, `<w:lvl w:ilvl="%d"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="%s"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="%d" w:hanging="360"/></w:pPr></w:lvl>`, lvl, bullet, indent)
			}
		}
		b.WriteString("</w:abstractNum>")
	}
	for i, l := range w.lists {
		abstract := 0
		if l.ordered {
			abstract = 1
		}
		// Each list is its own instance, so numbered lists restart.
		fmt.Fprintf(&b, `<w:num w:numId="%d"><w:abstractNumId w:val="%d"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="%d"/></w:lvlOverride></w:num>`, i+1, abstract, l.start)
	}
	b.WriteString("</w:numbering>")
	return b.String()
}

func (w *writer) rels() string {
	var b strings.Builder
	b.WriteString(xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`<Relationship Id="rIdNumbering" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>` +
		`<Relationship Id="rIdFootnotes" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>` +
		`<Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>`)
	if w.doc.Cover != nil {
		b.WriteString(`<Relationship Id="rIdCover" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/cover.png"/>`)
	}
	for i, l := range w.links {
		fmt.Fprintf(&b, `<Relationship Id="rIdL%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="%s" TargetMode="External"/>`, i+1, esc(l))
	}
	b.WriteString("</Relationships>")
	return b.String()
}

func contentTypes(image bool) string {
	s := xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>`
	if image {
		s += `<Default Extension="png" ContentType="image/png"/>`
	}
	return s + `<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
		`<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
		`<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>` +
		`<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>` +
		`<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`</Types>`
}

const rootRels = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`</Relationships>`

const settings = xmlHeader + `<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
	`<w:footnotePr><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr></w:settings>`

func core(doc *export.Document, created time.Time) string {
	stamp := created.UTC().Format(time.RFC3339)
	return xmlHeader + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<dc:title>` + esc(doc.Title) + `</dc:title><dc:subject>` + esc(doc.Subtitle) + `</dc:subject><dc:creator>Content Factory</dc:creator>` +
		`<dc:language>` + esc(doc.Language) + `</dc:language>` +
		`<dcterms:created xsi:type="dcterms:W3CDTF">` + stamp + `</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">` + stamp + `</dcterms:modified>` +
		`</cp:coreProperties>`
}

// styles are Word's built-in styles by their usual ids and names, so
// Word, LibreOffice and pandoc know them.
func styles(lang string) string {
	if lang == "" {
		lang = "en-US"
	}
	l := esc(lang)
	para := func(id, name, ppr, rpr string) string {
		return `<w:style w:type="paragraph" w:styleId="` + id + `"><w:name w:val="` + name + `"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>` +
			`<w:pPr>` + ppr + `</w:pPr><w:rPr>` + rpr + `</w:rPr></w:style>`
	}
	heading := func(n int, size int, extra string) string {
		return para("Heading"+strconv.Itoa(n), "heading "+strconv.Itoa(n),
			`<w:keepNext/><w:keepLines/><w:spacing w:before="`+strconv.Itoa(480-n*80)+`" w:after="120"/><w:outlineLvl w:val="`+strconv.Itoa(n-1)+`"/>`+extra,
			`<w:b/><w:bCs/><w:color w:val="0B4A8F"/><w:sz w:val="`+strconv.Itoa(size)+`"/><w:szCs w:val="`+strconv.Itoa(size)+`"/>`)
	}
	return xmlHeader + `<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
		`<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Noto Sans CJK JP" w:cs="Arial"/>` +
		`<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="` + l + `" w:eastAsia="` + l + `" w:bidi="` + l + `"/></w:rPr></w:rPrDefault>` +
		`<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
		`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>` +
		para("Title", "Title", `<w:spacing w:before="1200" w:after="240"/>`, `<w:b/><w:color w:val="1F2328"/><w:sz w:val="56"/><w:szCs w:val="56"/>`) +
		para("Subtitle", "Subtitle", `<w:spacing w:after="360"/>`, `<w:color w:val="59636E"/><w:sz w:val="32"/><w:szCs w:val="32"/>`) +
		heading(1, 36, `<w:pageBreakBefore/><w:pBdr><w:bottom w:val="single" w:sz="8" w:space="4" w:color="0B4A8F"/></w:pBdr>`) +
		heading(2, 28, "") +
		heading(3, 24, "") +
		para("ListParagraph", "List Paragraph", `<w:spacing w:after="60"/><w:contextualSpacing/>`, "") +
		para("Quote", "Quote", `<w:ind w:left="567"/>`, `<w:i/><w:color w:val="59636E"/>`) +
		para("Code", "Code", `<w:spacing w:after="0"/><w:shd w:val="clear" w:color="auto" w:fill="F6F8FA"/>`, `<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas"/><w:sz w:val="20"/>`) +
		para("Caption", "caption", `<w:spacing w:after="240"/>`, `<w:i/><w:color w:val="59636E"/><w:sz w:val="18"/><w:szCs w:val="18"/>`) +
		para("Cover", "Cover", `<w:jc w:val="center"/><w:spacing w:before="240"/>`, "") +
		para("TableText", "Table Text", `<w:spacing w:after="0"/>`, `<w:sz w:val="20"/><w:szCs w:val="20"/>`) +
		para("FootnoteText", "footnote text", `<w:spacing w:after="0"/>`, `<w:sz w:val="18"/><w:szCs w:val="18"/>`) +
		`<w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote reference"/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>` +
		`<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:rPr><w:color w:val="0969DA"/><w:u w:val="single"/></w:rPr></w:style>` +
		`<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders>` +
		`<w:top w:val="single" w:sz="4" w:space="0" w:color="D0D7DE"/><w:left w:val="single" w:sz="4" w:space="0" w:color="D0D7DE"/>` +
		`<w:bottom w:val="single" w:sz="4" w:space="0" w:color="D0D7DE"/><w:right w:val="single" w:sz="4" w:space="0" w:color="D0D7DE"/>` +
		`<w:insideH w:val="single" w:sz="4" w:space="0" w:color="D0D7DE"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="D0D7DE"/>` +
		`</w:tblBorders><w:tblCellMar><w:top w:w="57" w:type="dxa"/><w:left w:w="85" w:type="dxa"/><w:bottom w:w="57" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>` +
		`</w:styles>`
}
