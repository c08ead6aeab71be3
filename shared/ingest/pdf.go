package ingest

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/ledongthuc/pdf"

	"contentfactory.dev/factory/shared/content"
)

// readPDF extracts the text of every page of a PDF, as paragraphs with
// their page numbers. An encrypted PDF is refused, also one that opens
// without a password: its author restricted it, and the reader's
// decryption is not to be trusted with it.
func readPDF(data []byte) (doc Document, err error) {
	defer func() {
		// The reader reports some damage by panicking.
		if r := recover(); r != nil {
			doc, err = Document{}, fail(CodeUnreadable, "the PDF is damaged: %v", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(asPDF1(data)), int64(len(data)))
	if err != nil {
		msg := err.Error()
		if err == pdf.ErrInvalidPassword || strings.Contains(msg, "encrypt") {
			return Document{}, encryptedPDF()
		}
		return Document{}, fail(CodeUnreadable, "the PDF cannot be read: %s", msg)
	}
	if !r.Trailer().Key("Encrypt").IsNull() {
		return Document{}, encryptedPDF()
	}
	doc = Document{Pages: r.NumPage()}
	for i := 1; i <= doc.Pages; i++ {
		for _, para := range layout(r.Page(i).Content().Text) {
			doc.Blocks = append(doc.Blocks, content.Block{Text: para, Page: i})
		}
	}
	return doc, nil
}

func encryptedPDF() *Error {
	return fail(CodeEncrypted, "the PDF is encrypted (password-protected or restricted); save an unprotected copy and send that")
}

// asPDF1 presents a PDF 2.0 file with a 1.7 header, which the reader
// requires; the structures it reads are the same.
func asPDF1(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("%PDF-2.")) {
		return data
	}
	out := bytes.Clone(data)
	copy(out, "%PDF-1.7")
	return out
}

// line is a run of glyphs on one baseline.
type line struct {
	y, size float64
	// end is where the last glyph ends; runX is where the string being
	// drawn starts, for fonts without widths.
	end, runX float64
	text      strings.Builder
}

// layout turns a page's glyphs, in the order the page draws them, into
// paragraphs: glyphs on one baseline make a line (a space where the gap
// between two is wider than a fifth of the font size); lines further
// apart than the page's usual line spacing, or a move back up the page
// (a new column), start a paragraph. A hyphen that ends a line before a
// lower-case letter joins the word it splits.
func layout(glyphs []pdf.Text) []string {
	var lines []*line
	var cur *line
	for _, g := range glyphs {
		if g.S == "" || g.S == "\n" {
			continue
		}
		size := math.Max(math.Abs(g.FontSize), 1)
		sameLine := cur != nil && math.Abs(g.Y-cur.y) <= 0.4*size
		x, adv := g.X, g.W
		if adv <= 0 {
			// A font without widths (a standard font without metrics):
			// every glyph of a string carries the string's start, so the
			// glyphs after the first continue from an estimated advance.
			adv = 0.5 * size
			if sameLine && g.X == cur.runX {
				x = cur.end
			}
		}
		if !sameLine || x < cur.end-2*size {
			cur = &line{y: g.Y, size: size, end: math.Inf(-1), runX: math.NaN()}
			lines = append(lines, cur)
		}
		if g.W <= 0 {
			cur.runX = g.X
		}
		if x-cur.end > 0.2*size && cur.text.Len() > 0 && !endsSpace(cur.text.String()) && g.S != " " {
			cur.text.WriteByte(' ')
		}
		cur.text.WriteString(g.S)
		cur.end = x + adv
	}
	return paragraphs(lines)
}

func endsSpace(s string) bool {
	return s != "" && unicode.IsSpace(rune(s[len(s)-1]))
}

// paragraphs groups lines: a gap more than 1.4 times the usual spacing of
// the page's lines (or 1.8 font sizes when there is no usual one), or a
// move up the page, ends a paragraph.
func paragraphs(lines []*line) []string {
	var gaps []float64
	for i := 1; i < len(lines); i++ {
		if d := lines[i-1].y - lines[i].y; d > 0 {
			gaps = append(gaps, d)
		}
	}
	usual := 0.0
	if len(gaps) > 0 {
		slices.Sort(gaps)
		usual = gaps[len(gaps)/2]
	}
	var out []string
	var para strings.Builder
	flush := func() {
		if s := strings.TrimSpace(para.String()); s != "" {
			out = append(out, s)
		}
		para.Reset()
	}
	for i, l := range lines {
		text := strings.TrimSpace(l.text.String())
		if text == "" {
			continue
		}
		if i > 0 {
			d := lines[i-1].y - l.y
			limit := 1.8 * l.size
			if usual > 0 {
				limit = math.Min(1.4*usual, 3*l.size)
			}
			if d <= 0 || d > limit {
				flush()
			}
		}
		joinLine(&para, text)
	}
	flush()
	return out
}

// joinLine appends a line to a paragraph: with a space, or, after a
// hyphen that splits a word, without the hyphen.
func joinLine(para *strings.Builder, text string) {
	s := para.String()
	if s == "" {
		para.WriteString(text)
		return
	}
	first := []rune(text)[0]
	if n := len(s); n >= 2 && s[n-1] == '-' && unicode.IsLetter(rune(s[n-2])) && unicode.IsLower(first) {
		para.Reset()
		para.WriteString(s[:n-1])
		para.WriteString(text)
		return
	}
	para.WriteString(" ")
	para.WriteString(text)
}
