// Package pdf renders a job's bundle (export.Document) as a PDF: a cover
// page with the title and the cover image, a table of contents with page
// numbers and links, then one chapter per format with its headings,
// lists, tables, page numbers in the footer, bookmarks for every heading,
// and notes as footnotes at the foot of the page that cites them. Text in
// any script is drawn with fonts embedded in the binary (subset in the
// PDF): Latin, Greek, Cyrillic, Hebrew and Arabic (shaped here, see
// shape.go) with DejaVu Sans, Chinese, Japanese and Korean with Droid Sans
// Fallback; a character no embedded font has is drawn as "?" and counted
// (Stats.Missing), never as an empty box.
//
// It uses codeberg.org/go-pdf/fpdf for the PDF objects (fonts, pages,
// links, outline) and lays out the text itself: line breaking (between
// words, and between CJK characters), right-to-left lines, and the space
// footnotes take at the foot of each page.
package pdf

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // cover images are PNG
	"strconv"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"contentfactory.dev/factory/shared/export"
)

// Page geometry in millimetres and type sizes in points.
const (
	pageW, pageH      = 210.0, 297.0
	marginX           = 22.0
	marginTop         = 22.0
	marginBottom      = 24.0
	textW             = pageW - 2*marginX
	bodySize          = 10.5
	noteSize          = 7.5
	leading           = 1.45
	ptMM              = 25.4 / 72
	listIndent        = 6.0
	cellPad           = 1.8
	maxCoverHeight    = 120.0
	contentsPageCount = 1
)

// Stats describe a rendered PDF.
type Stats struct {
	Pages int
	// Missing counts the characters no embedded font has (drawn as "?").
	Missing int
}

// Render lays out the document and writes the PDF. created dates the
// document (its metadata), so the same document renders to the same bytes.
func Render(doc *export.Document, created time.Time) ([]byte, Stats, error) {
	fs, err := faces()
	if err != nil {
		return nil, Stats{}, err
	}
	// The contents list page numbers that are known once the chapters are
	// laid out: a first pass finds them (the contents take one page either
	// way), the second prints them.
	chosen, widths := map[faceChoice]*face{}, map[widthKey]float64{}
	first := &renderer{faces: fs, chosen: chosen, widths: widths, doc: doc, created: created, layoutOnly: true}
	if _, err := first.render(); err != nil {
		return nil, Stats{}, err
	}
	second := &renderer{faces: fs, chosen: chosen, widths: widths, doc: doc, created: created, contents: first.sectionPages}
	out, err := second.render()
	if err != nil {
		return nil, Stats{}, err
	}
	return out, Stats{Pages: second.f.PageCount(), Missing: second.missing}, nil
}

// style is how a piece of text is drawn.
type style struct {
	bold, italic, code bool
	size               float64
	color              [3]int
	href               string
}

var (
	ink     = [3]int{31, 35, 40}
	muted   = [3]int{89, 99, 110}
	accent  = [3]int{9, 72, 150}
	rule    = [3]int{208, 215, 222}
	shade   = [3]int{246, 248, 250}
	noteInk = [3]int{60, 66, 74}
)

// run is text in one face and style, measured.
type run struct {
	text  string
	face  *face
	st    style
	w     float64
	rise  float64 // raised by this much (note numbers), in mm
	notes []note  // notes this run refers to
}

// word is runs with no break opportunity between them.
type word struct {
	runs        []run
	w           float64
	spaceBefore bool
	dir         int
}

// line is words on one line.
type line struct {
	words []word
	w     float64
	notes []note
}

// note is a footnote: its number and text.
type note struct {
	n    int
	text []export.Inline
}

type renderer struct {
	f     *fpdf.Fpdf
	faces map[string]*face
	// chosen remembers the face that draws each rune in each weight:
	// asking a font's character map costs an allocation every time.
	chosen map[faceChoice]*face
	// widths are the words measured so far, in both passes.
	widths map[widthKey]float64
	// layoutOnly lays the pages out without writing the file (the first
	// pass, which finds the pages of the sections): no compression, no
	// font subsets.
	layoutOnly bool
	added      map[*face]bool // the faces embedded so far
	doc        *export.Document
	created    time.Time
	contents   []int // the page of each section, from an earlier pass

	y            float64
	footH        float64 // the height the page's footnotes take
	pageNotes    [][]line
	noteNo       int
	missing      int
	sectionPages []int
	links        []int
}

func (r *renderer) render() ([]byte, error) {
	f := fpdf.New("P", "mm", "A4", "")
	r.f = f
	f.SetCompression(true)
	f.SetCatalogSort(true)
	f.SetCreationDate(r.created)
	f.SetModificationDate(r.created)
	f.SetTitle(r.doc.Title, true)
	f.SetSubject(r.doc.Subtitle, true)
	f.SetCreator("Content Factory", true)
	f.SetProducer("Content Factory", true)
	if r.doc.Language != "" {
		f.SetLang(r.doc.Language)
	}
	// Each face is embedded when a run first uses it (setFont): a document
	// without Chinese, Japanese or Korean does not parse the 3.4 MB CJK
	// font, the largest part of rendering a short bundle.
	r.added = map[*face]bool{}
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(false, marginBottom)
	f.SetCellMargin(0)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(r.footer)
	for range r.doc.Sections {
		r.links = append(r.links, f.AddLink())
	}

	r.cover()
	r.contentsPage()
	for i, s := range r.doc.Sections {
		r.section(i, s)
	}
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("render the PDF: %w", err)
	}
	if r.layoutOnly {
		return nil, nil
	}
	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, fmt.Errorf("write the PDF: %w", err)
	}
	return out.Bytes(), nil
}

// footer draws the page's footnotes, then its number (not on the cover).
func (r *renderer) footer() {
	f := r.f
	if len(r.pageNotes) > 0 {
		y := pageH - marginBottom - r.footH
		f.SetDrawColor(rule[0], rule[1], rule[2])
		f.SetLineWidth(0.2)
		f.Line(marginX, y+1, marginX+40, y+1)
		y += 2.5
		for _, lines := range r.pageNotes {
			for _, l := range lines {
				h := noteSize * ptMM * leading
				r.drawLine(l, marginX, textW, y, h, 1)
				y += h
			}
		}
		r.pageNotes = nil
	}
	if f.PageNo() == 1 {
		return
	}
	st := style{size: 8.5, color: muted}
	label := []export.Inline{{Text: strconv.Itoa(f.PageNo()) + " / {nb}"}}
	l := r.layout(label, st, textW)
	if len(l) > 0 {
		r.drawLine(l[0], marginX, textW, pageH-marginBottom+8, 4, 0)
	}
	title := r.layout([]export.Inline{{Text: r.doc.Title}}, st, textW/2)
	if len(title) > 0 {
		r.drawLine(title[0], marginX, textW/2, pageH-marginBottom+8, 4, 1)
	}
}

func (r *renderer) newPage() {
	r.f.AddPage()
	r.y = marginTop
	r.footH = 0
}

// bottom is the lowest y text may reach on this page.
func (r *renderer) bottom() float64 { return pageH - marginBottom - r.footH }

// cover draws the title page: title, topic, cover image and its
// description, and the date.
func (r *renderer) cover() {
	r.newPage()
	f := r.f
	f.SetFillColor(accent[0], accent[1], accent[2])
	f.Rect(0, 0, pageW, 8, "F")
	r.y = 40
	r.paragraph([]export.Inline{{Text: r.doc.Title}}, style{bold: true, size: 26, color: ink}, 0)
	if r.doc.Subtitle != "" {
		r.y += 2
		r.paragraph([]export.Inline{{Text: r.doc.Subtitle}}, style{size: 14, color: muted}, 0)
	}
	r.y += 10
	if c := r.doc.Cover; c != nil && len(c.Data) > 0 {
		if err := r.coverImage(c); err != nil {
			// A cover that cannot be read leaves the page without it.
			r.paragraph([]export.Inline{{Text: c.Alt}}, style{size: 9, color: muted}, 0)
		}
	}
	r.y = pageH - marginBottom - 10
	r.paragraph([]export.Inline{{Text: "Content Factory · " + r.created.UTC().Format("2 January 2006")}}, style{size: 9, color: muted}, 0)
}

// coverImage draws the cover, re-encoded as JPEG (PNG may be 16-bit or
// interlaced, which the PDF writer does not take; JPEG is also smaller).
func (r *renderer) coverImage(c *export.Image) error {
	// The first pass needs only the picture's size.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(c.Data))
	if err != nil {
		return fmt.Errorf("decode the cover: %w", err)
	}
	w, h := textW, textW*float64(cfg.Height)/float64(cfg.Width)
	if h > maxCoverHeight {
		w, h = w*maxCoverHeight/h, maxCoverHeight
	}
	if !r.layoutOnly {
		img, _, err := image.Decode(bytes.NewReader(c.Data))
		if err != nil {
			return fmt.Errorf("decode the cover: %w", err)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 88}); err != nil {
			return fmt.Errorf("encode the cover: %w", err)
		}
		opts := fpdf.ImageOptions{ImageType: "JPG"}
		r.f.RegisterImageOptionsReader("cover", opts, &buf)
		r.f.ImageOptions("cover", marginX+(textW-w)/2, r.y, w, h, false, opts, 0, "")
	}
	r.y += h + 3
	if c.Alt != "" {
		r.paragraph([]export.Inline{{Text: c.Alt}}, style{italic: true, size: 8.5, color: muted}, 0)
	}
	return r.f.Error()
}

// contentsPage lists the sections with their pages, each a link.
func (r *renderer) contentsPage() {
	r.newPage()
	r.heading(export.Label(r.doc.Language, "Contents"), 1)
	for i, s := range r.doc.Sections {
		st := style{size: 12, color: ink}
		h := 12 * ptMM * 2
		top := r.y
		lines := r.layout([]export.Inline{{Text: s.Title}}, st, textW-20)
		if len(lines) == 0 {
			continue
		}
		r.drawLine(lines[0], marginX, textW-20, top, h, 1)
		page := ""
		if i < len(r.contents) {
			page = strconv.Itoa(r.contents[i])
		}
		numW := 8.0 // the first pass has no numbers yet; the leader is then a guess
		if num := r.layout([]export.Inline{{Text: page}}, st, 20); len(num) > 0 {
			r.drawLine(num[0], marginX+textW-20, 20, top, h, -1)
			numW = num[0].w
		}
		r.f.SetDrawColor(rule[0], rule[1], rule[2])
		r.f.SetLineWidth(0.3)
		r.f.SetDashPattern([]float64{0.4, 1.2}, 0)
		r.f.Line(marginX+lines[0].w+2, top+h*0.7, marginX+textW-numW-2, top+h*0.7)
		r.f.SetDashPattern(nil, 0)
		r.f.Link(marginX, top, textW, h, r.links[i])
		r.y += h
	}
}

// section draws one format's chapter, from a new page.
func (r *renderer) section(i int, s export.Section) {
	r.newPage()
	r.sectionPages = append(r.sectionPages, r.f.PageNo())
	r.f.SetLink(r.links[i], r.y, -1)
	r.heading(s.Title, 1)
	for _, b := range s.Blocks {
		r.block(b)
	}
}

// headingSizes are the type sizes of heading levels 1 to 4.
var headingSizes = [5]float64{0, 20, 14, 12, 10.5}

func (r *renderer) heading(text string, level int) {
	r.headingInlines([]export.Inline{{Text: text}}, level)
}

func (r *renderer) headingInlines(in []export.Inline, level int) {
	level = min(max(level, 1), 4)
	size := headingSizes[level]
	st := style{bold: true, size: size, color: ink}
	if level == 1 {
		st.color = accent
	}
	before := map[int]float64{1: 0, 2: 6, 3: 4, 4: 3}[level]
	lines := r.layout(in, st, textW)
	h := size * ptMM * 1.3
	// A heading keeps with two lines of what follows it.
	if r.y+before+float64(len(lines))*h+2*bodySize*ptMM*leading > r.bottom() && r.y > marginTop {
		r.newPage()
		before = 0
	}
	r.y += before
	r.setFont(r.faces["sansB"], size) // the outline's text is encoded in the current font's way
	r.f.Bookmark(export.PlainText(in), level-1, r.y)
	for _, l := range lines {
		r.drawLine(l, marginX, textW, r.y, h, r.paraDir(in))
		r.y += h
	}
	if level == 1 {
		r.f.SetDrawColor(accent[0], accent[1], accent[2])
		r.f.SetLineWidth(0.6)
		r.f.Line(marginX, r.y+1, marginX+textW, r.y+1)
		r.y += 4
	}
	r.y += 1.5
}

func (r *renderer) block(b export.Block) {
	body := style{size: bodySize, color: ink}
	switch b.Kind {
	case export.BlockHeading:
		r.headingInlines(b.Text, b.Level)
	case export.BlockParagraph:
		r.paragraph(b.Text, body, 0)
		r.y += 2.2
	case export.BlockQuote:
		top := r.y
		r.paragraph(b.Text, style{italic: true, size: bodySize, color: muted}, 5)
		r.f.SetDrawColor(rule[0], rule[1], rule[2])
		r.f.SetLineWidth(0.8)
		if r.y > top {
			r.f.Line(marginX+1, top, marginX+1, r.y)
		}
		r.y += 2.2
	case export.BlockCode:
		for _, l := range strings.Split(export.PlainText(b.Text), "\n") {
			r.paragraph([]export.Inline{{Text: l, Code: true}}, style{code: true, size: 9, color: ink}, 4)
		}
		r.y += 2.2
	case export.BlockRule:
		r.y += 2
		r.f.SetDrawColor(rule[0], rule[1], rule[2])
		r.f.SetLineWidth(0.3)
		r.f.Line(marginX, r.y, marginX+textW, r.y)
		r.y += 4
	case export.BlockList:
		for i, it := range b.Items {
			marker := "•"
			if b.Ordered {
				marker = strconv.Itoa(b.Start+i) + "."
			}
			r.paragraph(it.Text, body, listIndent*float64(it.Depth+1), marker)
			r.y += 0.8
		}
		r.y += 1.6
	case export.BlockTable:
		r.table(b.Rows)
		r.y += 3
	}
}

// paragraph lays out and draws text from the current position, breaking
// pages between lines. indent is from the start side; a marker (a bullet
// or a number) is drawn before the first line.
func (r *renderer) paragraph(in []export.Inline, st style, indent float64, marker ...string) {
	w := textW - indent
	lines := r.layout(in, st, w)
	h := st.size * ptMM * leading
	dir := r.paraDir(in)
	for i, l := range lines {
		noteH := r.notesHeight(l.notes)
		if r.y+h > r.bottom()-noteH && r.y > marginTop {
			r.newPage()
		}
		x := marginX + indent
		if dir < 0 {
			x = marginX
		}
		r.drawLine(l, x, w, r.y, h, dir)
		if i == 0 && len(marker) > 0 {
			m := r.layout([]export.Inline{{Text: marker[0]}}, style{size: st.size, color: muted}, listIndent)
			if len(m) > 0 {
				if dir < 0 {
					r.drawLine(m[0], marginX+w+1, listIndent-1, r.y, h, 1)
				} else {
					r.drawLine(m[0], x-listIndent+0.5, listIndent-1, r.y, h, 1)
				}
			}
		}
		r.addNotes(l.notes)
		r.y += h
	}
}

// paraDir is a paragraph's direction: its first strong letter's, or the
// document language's.
func (r *renderer) paraDir(in []export.Inline) int {
	if d := direction(export.PlainText(in)); d != 0 {
		return d
	}
	if export.RightToLeftLanguage(r.doc.Language) {
		return -1
	}
	return 1
}

// notesLayout lays a footnote out at the foot's width.
func (r *renderer) notesLayout(n note) []line {
	text := append([]export.Inline{{Text: strconv.Itoa(n.n) + " "}}, n.text...)
	return r.layout(text, style{size: noteSize, color: noteInk}, textW)
}

func (r *renderer) notesHeight(ns []note) float64 {
	h := 0.0
	for _, n := range ns {
		h += float64(len(r.notesLayout(n))) * noteSize * ptMM * leading
	}
	if h > 0 && len(r.pageNotes) == 0 {
		h += 3 // the separator
	}
	return h
}

func (r *renderer) addNotes(ns []note) {
	for _, n := range ns {
		h := r.notesHeight([]note{n})
		r.pageNotes = append(r.pageNotes, r.notesLayout(n))
		r.footH += h
	}
}

// table draws rows of cells with borders, the first row as a header,
// repeated on every page the table continues on.
func (r *renderer) table(rows [][][]export.Inline) {
	if len(rows) == 0 {
		return
	}
	cols := 0
	for _, row := range rows {
		cols = max(cols, len(row))
	}
	widths := r.columnWidths(rows, cols)
	var drawRow func(row [][]export.Inline, header bool)
	drawRow = func(row [][]export.Inline, header bool) {
		st := style{size: 9.5, color: ink, bold: header}
		h := st.size * ptMM * 1.35
		cells := make([][]line, cols)
		n := 1
		for c := range cols {
			if c < len(row) {
				cells[c] = r.layout(row[c], st, widths[c]-2*cellPad)
				n = max(n, len(cells[c]))
			}
		}
		rowH := float64(n)*h + 2*cellPad
		if r.y+rowH > r.bottom() && r.y > marginTop {
			r.newPage()
			if !header {
				drawRow(rows[0], true)
			}
		}
		x := marginX
		r.f.SetDrawColor(rule[0], rule[1], rule[2])
		r.f.SetLineWidth(0.25)
		for c := range cols {
			if header {
				r.f.SetFillColor(shade[0], shade[1], shade[2])
				r.f.Rect(x, r.y, widths[c], rowH, "FD")
			} else {
				r.f.Rect(x, r.y, widths[c], rowH, "D")
			}
			for i, l := range cells[c] {
				r.drawLine(l, x+cellPad, widths[c]-2*cellPad, r.y+cellPad+float64(i)*h, h, r.paraDir(row[c]))
			}
			x += widths[c]
		}
		r.y += rowH
	}
	drawRow(rows[0], true)
	for _, row := range rows[1:] {
		drawRow(row, false)
	}
}

// columnWidths gives narrow columns (numbers, difficulty) what their
// longest cell needs and shares the rest of the width among the others.
func (r *renderer) columnWidths(rows [][][]export.Inline, cols int) []float64 {
	need := make([]float64, cols)
	for _, row := range rows {
		for c, cell := range row {
			for _, l := range r.layout(cell, style{size: 9.5, bold: true}, 1000) {
				need[c] = max(need[c], l.w+2*cellPad+1)
			}
		}
	}
	widths := make([]float64, cols)
	rest, wide := textW, 0
	for c := range cols {
		if need[c] <= 28 {
			widths[c] = need[c]
			rest -= need[c]
		} else {
			wide++
		}
	}
	for c := range cols {
		if need[c] > 28 {
			widths[c] = rest / float64(wide)
		}
	}
	if wide == 0 { // every column is narrow: spread them
		for c := range cols {
			widths[c] = textW / float64(cols)
		}
	}
	return widths
}

// layout breaks text into lines of at most width millimetres.
func (r *renderer) layout(in []export.Inline, st style, width float64) []line {
	words := r.words(in, st)
	space := r.measure(r.faces["sans"], st, " ")
	var out []line
	var cur line
	for _, w := range words {
		gap := 0.0
		if w.spaceBefore && len(cur.words) > 0 {
			gap = space
		}
		if cur.w+gap+w.w > width && len(cur.words) > 0 {
			out = append(out, cur)
			cur, gap = line{}, 0
		}
		for w.w > width && len(w.runs) > 0 { // a word longer than the line is cut
			head, tail := r.cut(w, width-cur.w-gap)
			if len(head.runs) == 0 {
				if len(cur.words) == 0 {
					break
				}
				out = append(out, cur)
				cur, gap = line{}, 0
				continue
			}
			cur.words = append(cur.words, head)
			cur.w += gap + head.w
			out = append(out, cur)
			cur, gap, w = line{}, 0, tail
		}
		cur.words = append(cur.words, w)
		cur.w += gap + w.w
		for _, rn := range w.runs {
			cur.notes = append(cur.notes, rn.notes...)
		}
	}
	if len(cur.words) > 0 {
		out = append(out, cur)
	}
	return out
}

// cut splits a word so that its head fits in width.
func (r *renderer) cut(w word, width float64) (head, tail word) {
	head.spaceBefore, head.dir, tail.dir = w.spaceBefore, w.dir, w.dir
	for i, rn := range w.runs {
		rs := []rune(rn.text)
		k := 0
		for k < len(rs) && head.w+r.measure(rn.face, rn.st, string(rs[:k+1])) <= width {
			k++
		}
		if k == len(rs) {
			head.runs = append(head.runs, rn)
			head.w += rn.w
			continue
		}
		if k > 0 {
			h := rn
			h.text, h.notes = string(rs[:k]), nil
			h.w = r.measure(rn.face, rn.st, h.text)
			head.runs = append(head.runs, h)
			head.w += h.w
		}
		t := rn
		t.text = string(rs[k:])
		t.w = r.measure(rn.face, rn.st, t.text)
		tail.runs = append([]run{t}, w.runs[i+1:]...)
		for _, x := range tail.runs {
			tail.w += x.w
		}
		return head, tail
	}
	return head, tail
}

func (r *renderer) measure(fc *face, st style, s string) float64 {
	key := widthKey{fc, st.size, s}
	if w, ok := r.widths[key]; ok {
		return w
	}
	r.setFont(fc, st.size)
	w := r.f.GetStringWidth(s)
	r.widths[key] = w
	return w
}

// widthKey is a string in a face at a size, whose width measure knows:
// selecting the face to measure writes to the page, so each word is
// measured once per document.
type widthKey struct {
	fc   *face
	size float64
	s    string
}

// words splits inlines into words of measured runs: shaped, each run in
// the first face that has its characters, notes numbered.
func (r *renderer) words(in []export.Inline, base style) []word {
	var out []word
	var cur *word
	start := func(space bool) {
		out = append(out, word{spaceBefore: space})
		cur = &out[len(out)-1]
	}
	pendingSpace := false
	for _, it := range in {
		st := base
		st.bold = st.bold || it.Bold
		st.italic = st.italic || it.Italic
		st.code = st.code || it.Code
		if it.Italic && st.color == ink {
			st.color = muted // no italic face is embedded: emphasis is set off in grey
		}
		if it.Href != "" {
			st.href, st.color = it.Href, accent
		}
		if it.Note != nil {
			r.noteNo++
			n := note{n: r.noteNo, text: it.Note}
			rn := run{text: strconv.Itoa(n.n), face: r.faces["sans"], st: style{size: base.size * 0.62, color: accent}, rise: base.size * ptMM * 0.35, notes: []note{n}}
			rn.w = r.measure(rn.face, rn.st, rn.text)
			if cur == nil {
				start(false)
			}
			cur.runs = append(cur.runs, rn)
			cur.w += rn.w
			continue
		}
		for _, ch := range shapeArabic(it.Text) {
			switch {
			case unicode.IsSpace(ch):
				pendingSpace, cur = true, nil
				continue
			case unicode.Is(unicode.Cf, ch) || (ch >= 0xFE00 && ch <= 0xFE0F):
				continue // joiners and variation selectors: nothing to draw
			}
			if cur == nil || breaksAround(ch) || (len(cur.runs) > 0 && breaksAround(lastRune(cur))) {
				start(pendingSpace)
				pendingSpace = false
			}
			fc := r.faceFor(ch, st)
			if fc == nil {
				if unicode.Is(unicode.Mn, ch) {
					continue // a mark no font has: the letter is still legible
				}
				r.missing++
				ch, fc = '?', r.faces["sans"]
			}
			if k := len(cur.runs) - 1; k >= 0 && cur.runs[k].face == fc && cur.runs[k].st == st && cur.runs[k].notes == nil {
				cur.runs[k].text += string(ch)
			} else {
				cur.runs = append(cur.runs, run{text: string(ch), face: fc, st: st})
			}
		}
	}
	for i := range out {
		w := &out[i]
		var text strings.Builder
		for _, rn := range w.runs {
			text.WriteString(rn.text)
		}
		w.dir = direction(text.String())
		if w.dir < 0 { // drawn left to right: reversed
			for a, b := 0, len(w.runs)-1; a < b; a, b = a+1, b-1 {
				w.runs[a], w.runs[b] = w.runs[b], w.runs[a]
			}
			for k := range w.runs {
				w.runs[k].text = reverseRTL(w.runs[k].text)
			}
		}
		w.w = 0
		for k := range w.runs {
			if w.runs[k].w == 0 {
				w.runs[k].w = r.measure(w.runs[k].face, w.runs[k].st, w.runs[k].text)
			}
			w.w += w.runs[k].w
		}
	}
	return out
}

func lastRune(w *word) rune {
	t := []rune(w.runs[len(w.runs)-1].text)
	return t[len(t)-1]
}

// faceFor picks the face that draws ch in the style.
func (r *renderer) faceFor(ch rune, st style) *face {
	key := faceChoice{ch, st.bold}
	if fc, ok := r.chosen[key]; ok {
		return fc
	}
	var found *face
	for _, fc := range fallback(r.faces, st.bold) {
		if fc.has(ch) {
			found = fc
			break
		}
	}
	r.chosen[key] = found
	return found
}

// setFont draws with a face from now on, embedding it first if no run
// has used it yet.
func (r *renderer) setFont(fc *face, size float64) {
	if !r.added[fc] {
		r.f.AddUTF8FontFromBytes(fc.family, fc.style, fc.data)
		r.added[fc] = true
	}
	r.f.SetFont(fc.family, fc.style, size)
}

// faceChoice is a rune in a weight, whose face faceFor chose.
type faceChoice struct {
	ch   rune
	bold bool
}

// drawLine draws a line at top in a box of width w: dir 1 from the left,
// -1 from the right, 0 centred. Words in the other direction than the
// line's are drawn in their own order, as the bidirectional algorithm
// would at the level of words.
func (r *renderer) drawLine(l line, x, w, top, h float64, dir int) {
	words := visualOrder(l.words, dir)
	space := 0.0
	if len(words) > 0 {
		space = r.measure(r.faces["sans"], words[0].runs[0].st, " ")
	}
	pos := x
	switch {
	case dir < 0:
		pos = x + w - l.w
	case dir == 0:
		pos = x + (w-l.w)/2
	}
	for i, wd := range words {
		if i > 0 && spacedPair(words, i, dir) {
			pos += space
		}
		for _, rn := range wd.runs {
			r.setFont(rn.face, rn.st.size)
			r.f.SetTextColor(rn.st.color[0], rn.st.color[1], rn.st.color[2])
			base := top + h/2 + rn.st.size*ptMM*0.35 - rn.rise
			r.f.Text(pos, base, rn.text)
			if rn.st.href != "" {
				r.f.LinkString(pos, top, rn.w, h, rn.st.href)
			}
			pos += rn.w
		}
	}
}

// spacedPair reports whether a space separates the i-th visual word from
// the one before: the logically later of the two says.
func spacedPair(words []word, i, dir int) bool {
	if dir < 0 {
		return words[i-1].spaceBefore
	}
	return words[i].spaceBefore
}

// visualOrder puts words in drawing order: a left-to-right line keeps
// them, reversing runs of right-to-left words; a right-to-left line is
// reversed, keeping runs of left-to-right words in their order.
func visualOrder(words []word, dir int) []word {
	out := make([]word, len(words))
	copy(out, words)
	against := func(w word) bool { return (dir >= 0 && w.dir < 0) || (dir < 0 && w.dir > 0) }
	if dir < 0 {
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	for i := 0; i < len(out); {
		if !against(out[i]) {
			i++
			continue
		}
		j := i
		for j+1 < len(out) && (against(out[j+1]) || (out[j+1].dir == 0 && j+2 < len(out) && against(out[j+2]))) {
			j++
		}
		for a, b := i, j; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
		i = j + 1
	}
	return out
}
