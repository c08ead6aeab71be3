package export

import (
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"contentfactory.dev/factory/shared/content"
)

// Document is a bundle as the page-based exports (PDF, DOCX, EPUB) lay it
// out: a title page and one section per text format. It is read from the
// bundle's Markdown (Markdown renders each format once; these exports take
// its syntax tree), so a document item that gains a footnote in the
// Markdown (a citation, say) becomes a Note in every export with no change
// to them.
type Document struct {
	Title    string
	Subtitle string
	// Language is the request's BCP 47 tag.
	Language string
	Cover    *Image
	Sections []Section
}

// Image is a picture with its alternative text.
type Image struct {
	Data          []byte
	MIMEType      string
	Alt           string
	Width, Height int
}

// Section is one format's document.
type Section struct {
	Format content.Format
	Title  string
	Blocks []Block
}

// BlockKind says what a block is.
type BlockKind int

// The kinds of blocks.
const (
	BlockParagraph BlockKind = iota
	BlockHeading
	BlockList
	BlockTable
	BlockCode
	BlockQuote
	BlockRule
)

// Block is one block of a section.
type Block struct {
	Kind BlockKind
	// Level of a heading: 2 to 4 (the section's own title is 1).
	Level int
	// Text of a paragraph, heading, quote or code block.
	Text []Inline
	// Items of a list.
	Items   []ListItem
	Ordered bool
	Start   int
	// Rows of a table; the first is its header.
	Rows [][][]Inline
}

// ListItem is one item of a list; Depth is 0 for the outer list.
type ListItem struct {
	Depth int
	Text  []Inline
}

// Inline is a run of text in one style, or a note.
type Inline struct {
	Text         string
	Bold, Italic bool
	Code         bool
	Href         string
	// Note, when set, makes this a note reference at this place: Text is
	// empty and Note is the note's text. Renderers number notes.
	Note []Inline
}

// PlainText is the text of inlines without styles or notes.
func PlainText(in []Inline) string {
	var b strings.Builder
	for _, r := range in {
		b.WriteString(r.Text)
	}
	return b.String()
}

// treeParser reads the bundle's Markdown with the extensions its renderer
// may use: tables (flashcards) and footnotes (notes).
var treeParser = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Footnote))

// NewDocument lays out a bundle for the page-based exports.
func NewDocument(b Bundle, language string, cover *Image) *Document {
	src := Markdown(b)
	root := treeParser.Parser().Parse(text.NewReader(src))
	tb := &treeBuilder{src: src, notes: map[int][]Inline{}}
	// Footnotes are listed at the end of the tree: read them first.
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		if l, ok := n.(*east.FootnoteList); ok {
			for f := l.FirstChild(); f != nil; f = f.NextSibling() {
				if fn, ok := f.(*east.Footnote); ok {
					tb.notes[fn.Index] = tb.blockText(fn)
				}
			}
		}
	}
	doc := &Document{Title: oneLine(b.Title), Language: language, Cover: cover}
	if b.Topic != "" && b.Topic != b.Title {
		doc.Subtitle = oneLine(b.Topic)
	}
	next := 0 // the next format whose section title is awaited
	var cur *Section
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level <= 2 {
			title := PlainText(tb.inlines(h))
			if h.Level == 2 && next < len(b.Docs) && title == FormatTitle(b.Language, b.Docs[next].Format) {
				doc.Sections = append(doc.Sections, Section{Format: b.Docs[next].Format, Title: title})
				cur = &doc.Sections[len(doc.Sections)-1]
				next++
				continue
			}
			if cur == nil {
				continue // the title and the contents: the exports draw their own
			}
		}
		if cur == nil {
			continue
		}
		cur.Blocks = append(cur.Blocks, tb.blocks(n, 0)...)
	}
	return doc
}

type treeBuilder struct {
	src   []byte
	notes map[int][]Inline
}

// blocks converts one block node; depth is the list nesting.
func (tb *treeBuilder) blocks(n ast.Node, depth int) []Block {
	switch n := n.(type) {
	case *ast.Heading:
		return []Block{{Kind: BlockHeading, Level: min(max(n.Level-1, 2), 4), Text: tb.inlines(n)}}
	case *ast.Paragraph, *ast.TextBlock:
		if in := tb.inlines(n); len(in) > 0 {
			return []Block{{Kind: BlockParagraph, Text: in}}
		}
	case *ast.List:
		b := Block{Kind: BlockList, Ordered: n.IsOrdered(), Start: n.Start}
		tb.listItems(n, depth, &b)
		return []Block{b}
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		var sb strings.Builder
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			sb.Write(seg.Value(tb.src))
		}
		return []Block{{Kind: BlockCode, Text: []Inline{{Text: strings.TrimRight(sb.String(), "\n"), Code: true}}}}
	case *ast.Blockquote:
		return []Block{{Kind: BlockQuote, Text: tb.blockText(n)}}
	case *ast.ThematicBreak:
		return []Block{{Kind: BlockRule}}
	case *east.Table:
		b := Block{Kind: BlockTable}
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var row [][]Inline
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				row = append(row, tb.inlines(c))
			}
			b.Rows = append(b.Rows, row)
		}
		return []Block{b}
	}
	return nil // raw HTML and footnote lists: not content here
}

// listItems flattens a list: an item's paragraphs join into one text and
// nested lists follow it one level deeper.
func (tb *treeBuilder) listItems(l *ast.List, depth int, b *Block) {
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		item := ListItem{Depth: depth}
		var nested []*ast.List
		for c := it.FirstChild(); c != nil; c = c.NextSibling() {
			if sub, ok := c.(*ast.List); ok {
				nested = append(nested, sub)
				continue
			}
			if len(item.Text) > 0 {
				item.Text = append(item.Text, Inline{Text: " "})
			}
			switch c.(type) {
			case *ast.Paragraph, *ast.TextBlock:
				item.Text = append(item.Text, tb.inlines(c)...)
			default:
				item.Text = append(item.Text, tb.blockText(c)...)
			}
		}
		b.Items = append(b.Items, item)
		for _, sub := range nested {
			tb.listItems(sub, depth+1, b)
		}
	}
}

// blockText is the inline text of every paragraph under n, joined.
func (tb *treeBuilder) blockText(n ast.Node) []Inline {
	var out []Inline
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		var in []Inline
		switch c.(type) {
		case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
			in = tb.inlines(c)
		default:
			for _, b := range tb.blocks(c, 0) {
				in = append(in, b.Text...)
				for _, it := range b.Items {
					in = append(in, Inline{Text: " "})
					in = append(in, it.Text...)
				}
			}
		}
		if len(out) > 0 && len(in) > 0 {
			out = append(out, Inline{Text: " "})
		}
		out = append(out, in...)
	}
	return out
}

// inlines converts the inline children of n.
func (tb *treeBuilder) inlines(n ast.Node) []Inline {
	var out []Inline
	var walk func(n ast.Node, style Inline)
	add := func(s string, style Inline) {
		if s == "" {
			return
		}
		style.Text = s
		if k := len(out) - 1; k >= 0 && out[k].Note == nil && sameStyle(out[k], style) {
			out[k].Text += s
			return
		}
		out = append(out, style)
	}
	walk = func(n ast.Node, style Inline) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				v := c.Value(tb.src)
				if !c.IsRaw() { // as the HTML renderer reads it: "\*" is "*", "&amp;" "&"
					v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
				}
				add(string(v), style)
				if c.SoftLineBreak() || c.HardLineBreak() {
					add(" ", style)
				}
			case *ast.String:
				add(string(c.Value), style)
			case *ast.CodeSpan:
				s := style
				s.Code = true
				walk(c, s)
			case *ast.Emphasis:
				s := style
				if c.Level >= 2 {
					s.Bold = true
				} else {
					s.Italic = true
				}
				walk(c, s)
			case *ast.Link:
				s := style
				s.Href = safeHref(string(c.Destination))
				walk(c, s)
			case *ast.AutoLink:
				s := style
				s.Href = safeHref(string(c.URL(tb.src)))
				add(string(c.Label(tb.src)), s)
			case *ast.Image:
				walk(c, style) // its alternative text; no image is loaded
			case *east.FootnoteLink:
				if note, ok := tb.notes[c.Index]; ok && len(note) > 0 {
					out = append(out, Inline{Note: note})
				}
			case *ast.RawHTML:
				// left out, as in the HTML export
			default:
				walk(c, style)
			}
		}
	}
	walk(n, Inline{})
	return out
}

func sameStyle(a, b Inline) bool {
	return a.Bold == b.Bold && a.Italic == b.Italic && a.Code == b.Code && a.Href == b.Href
}

// safeHref keeps http, https and mailto links, as the HTML export does.
func safeHref(u string) string {
	low := strings.ToLower(strings.TrimSpace(u))
	if strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "mailto:") {
		return strings.TrimSpace(u)
	}
	return ""
}

// RightToLeft reports text whose first strong letter belongs to a
// right-to-left script.
func RightToLeft(s string) bool {
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

// rightToLeftLanguages are the base languages written right to left.
var rightToLeftLanguages = map[string]bool{"ar": true, "he": true, "iw": true, "fa": true, "ur": true, "ps": true,
	"sd": true, "yi": true, "dv": true, "ug": true, "ckb": true, "syr": true}

// RightToLeftLanguage reports a BCP 47 tag of a language written right to
// left (Arabic, Hebrew, Persian, Urdu, …).
func RightToLeftLanguage(tag string) bool {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	return rightToLeftLanguages[base]
}

// Direction is the HTML dir of a document in a language: "rtl" or "ltr".
func Direction(tag string) string {
	if RightToLeftLanguage(tag) {
		return "rtl"
	}
	return "ltr"
}
