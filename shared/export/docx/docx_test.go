package docx_test

import (
	"archive/zip"
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/docx"
	"contentfactory.dev/factory/shared/export/exporttest"
)

var created = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func TestPandocReadsTheHeadingsAndTheFlashcardTable(t *testing.T) {
	b, cover := exporttest.Full(t)
	doc := export.NewDocument(b, "en-US", cover)
	data, err := docx.Render(doc, created)
	require.NoError(t, err)
	path := exporttest.Keep(t, "bundle.docx", data)

	md := exporttest.Run(t, "pandoc", "-s", "-f", "docx", "-t", "markdown", "--wrap=none", path)
	assert.Regexp(t, `(?m)^title: `+regexp.QuoteMeta(doc.Title)+`$`, md, "the title, in Word's Title style")
	for _, s := range doc.Sections {
		assert.Regexp(t, `(?m)^# `+regexp.QuoteMeta(s.Title)+`$`, md, "each format is a Heading 1")
		for _, blk := range s.Blocks {
			if blk.Kind == export.BlockHeading {
				want := strings.Repeat("#", min(blk.Level, 3)) + " "
				text := []rune(strings.TrimSpace(export.PlainText(blk.Text)))
				assert.Contains(t, md, want+string(text[:min(10, len(text))]), "a heading of %s", s.Title)
			}
		}
	}
	var cards *content.Flashcards
	for _, d := range b.Docs {
		if fc, ok := d.Value.(*content.Flashcards); ok {
			cards = fc
		}
	}
	require.NotNil(t, cards)
	// The table: a header row and a row per card, as pandoc reads it.
	html := exporttest.Run(t, "pandoc", "-f", "docx", "-t", "html", path)
	tables := regexp.MustCompile(`(?s)<table>.*?</table>`).FindAllString(html, -1)
	require.Len(t, tables, 1, "one table: the flashcards")
	rows := regexp.MustCompile(`(?s)<tr[^>]*>.*?</tr>`).FindAllString(tables[0], -1)
	require.Len(t, rows, len(cards.Cards)+1)
	assert.Contains(t, rows[0], "Front")
	assert.Contains(t, rows[0], "Difficulty")
	for i, c := range cards.Cards {
		assert.Contains(t, strings.Join(strings.Fields(rows[i+1]), " "), c.Difficulty)
	}
	// Bulleted and numbered lists come back as lists.
	assert.Regexp(t, `(?m)^-   `, md)
	assert.Regexp(t, `(?m)^1\.  `, md)

	// The cover is embedded, with its description as alternative text.
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	assert.Contains(t, names, "word/media/cover.png")
	docXML := read(t, z, "word/document.xml")
	assert.Contains(t, docXML, `descr="`+cover.Alt[:30])
	assert.Contains(t, read(t, z, "word/styles.xml"), `w:styleId="Heading1"`)
}

func TestNotesBecomeFootnotesAndRightToLeftIsMarked(t *testing.T) {
	doc := export.NewDocument(exporttest.ManyScripts(), "ar", nil)
	doc.Sections[0].Blocks = append(doc.Sections[0].Blocks, export.Block{Kind: export.BlockParagraph, Text: []export.Inline{
		{Text: "Tides follow the Moon."}, {Note: []export.Inline{{Text: "Passage p3."}}},
	}})
	data, err := docx.Render(doc, created)
	require.NoError(t, err)
	path := exporttest.Keep(t, "many-scripts.docx", data)
	md := exporttest.Run(t, "pandoc", "-f", "docx", "-t", "markdown", "--wrap=none", path)
	assert.Contains(t, md, "Tides follow the Moon.[^1]")
	assert.Regexp(t, `(?m)^\[\^1\]: Passage p3\.`, md)
	for name, words := range exporttest.Scripts {
		assert.Contains(t, md, strings.Fields(words)[0], name)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	assert.Regexp(t, `<w:bidi/></w:pPr><w:r><w:rPr><w:rtl/></w:rPr><w:t xml:space="preserve">البناء`, read(t, z, "word/document.xml"))
}

func read(t *testing.T, z *zip.Reader, name string) string {
	return string(exporttest.ZipFile(t, z, name))
}
