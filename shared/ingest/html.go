package ingest

import (
	"bytes"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"contentfactory.dev/factory/shared/content"
)

// maxElements bounds the elements of a page the readability pass scores.
const maxElements = 200_000

// readHTML extracts the main content of a web page (Readability's choice
// of the article, without navigation, headers, footers, ads and the
// like) as headings and paragraphs. A page Readability finds no article
// in is read whole, without its scripts, styles, navigation and forms.
func readHTML(data []byte, params string) (Document, error) {
	ct := "text/html"
	if params != "" {
		ct += ";" + params
	}
	r, err := charset.NewReader(bytes.NewReader(data), ct)
	if err != nil {
		return Document{}, fail(CodeUnreadable, "the page's character encoding is unknown: %v", err)
	}
	root, err := html.Parse(r)
	if err != nil {
		return Document{}, fail(CodeUnreadable, "the page cannot be parsed: %v", err)
	}
	p := readability.NewParser()
	p.MaxElemsToParse = maxElements
	article, err := p.ParseDocument(root, nil)
	doc := Document{}
	if err == nil {
		doc.Title = strings.TrimSpace(article.Title())
	}
	if err == nil && article.Node != nil {
		doc.Blocks = htmlBlocks(article.Node)
	}
	if !hasText(doc.Blocks) {
		doc.Blocks = htmlBlocks(root)
	}
	return doc, nil
}

// skipped are elements whose text is not the page's content.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Nav: true, atom.Form: true, atom.Button: true,
	atom.Select: true, atom.Textarea: true, atom.Iframe: true, atom.Head: true,
}

// blockLevel are elements that end the paragraph before them and start
// another.
var blockLevel = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.Header: true, atom.Footer: true, atom.Aside: true, atom.Blockquote: true,
	atom.Pre: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Dl: true,
	atom.Dt: true, atom.Dd: true, atom.Table: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Figure: true, atom.Figcaption: true, atom.Hr: true,
	atom.Address: true, atom.Details: true, atom.Summary: true, atom.Caption: true,
}

var headingLevel = map[atom.Atom]int{
	atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6,
}

// htmlBlocks walks a tree: headings become headings, block-level
// elements end paragraphs, text is collapsed as a browser shows it (pre
// text is kept as it is), br breaks a line.
func htmlBlocks(n *html.Node) []content.Block {
	w := &htmlWalker{}
	w.walk(n)
	w.flush(0)
	return w.blocks
}

type htmlWalker struct {
	blocks []content.Block
	text   strings.Builder
}

// flush ends the text being gathered as a block: a heading of that level,
// or a paragraph for level 0.
func (w *htmlWalker) flush(level int) {
	lines := strings.Split(w.text.String(), "\n")
	w.text.Reset()
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	if t := strings.TrimSpace(strings.Join(lines, "\n")); t != "" {
		w.blocks = append(w.blocks, content.Block{Text: t, Heading: level > 0, Level: level})
	}
}

func (w *htmlWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text.WriteString(n.Data)
		return
	case html.ElementNode:
		switch {
		case skipped[n.DataAtom]:
			return
		case n.DataAtom == atom.Br:
			w.text.WriteString("\n")
			return
		case n.DataAtom == atom.Pre:
			// Preformatted text stays as it is, one block.
			w.flush(0)
			if t := strings.Trim(textOf(n), "\n"); strings.TrimSpace(t) != "" {
				w.blocks = append(w.blocks, content.Block{Text: t})
			}
			return
		case headingLevel[n.DataAtom] > 0, blockLevel[n.DataAtom]:
			w.flush(0)
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				w.walk(c)
			}
			w.flush(headingLevel[n.DataAtom])
			return
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// textOf is the text of a subtree as it is.
func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
