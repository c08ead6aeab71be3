package epub_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/epub"
	"contentfactory.dev/factory/shared/export/exporttest"
)

var created = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// check runs epubcheck and requires no error and no warning.
func check(t *testing.T, path string) string {
	t.Helper()
	out := exporttest.Run(t, "epubcheck", path)
	assert.Regexp(t, `(?m)^Messages: 0 fatals / 0 errors / 0 warnings`, out)
	return out
}

func TestTheBookPassesEpubcheck(t *testing.T) {
	b, cover := exporttest.Full(t)
	doc := export.NewDocument(b, "en-US", cover)
	data, err := epub.Render(doc, "urn:contentfactory:job:test", created)
	require.NoError(t, err)
	check(t, exporttest.Keep(t, "bundle.epub", data))

	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	assert.Equal(t, "mimetype", z.File[0].Name)
	opf := read(t, z, "OEBPS/package.opf")
	assert.Contains(t, opf, `<dc:language>en-US</dc:language>`)
	assert.Contains(t, opf, `properties="cover-image"`)
	navDoc := read(t, z, "OEBPS/nav.xhtml")
	for i, s := range doc.Sections {
		assert.Contains(t, navDoc, ">"+s.Title+"</a>", "the navigation lists %s", s.Title)
		ch := read(t, z, strings.TrimPrefix(chapterFile(i), ""))
		assert.Contains(t, ch, "<h1>"+s.Title+"</h1>", "one chapter per format")
		assert.Contains(t, ch, `lang="en-US"`)
	}
	assert.Regexp(t, `<img src="cover.png" alt="`+regexp.QuoteMeta(cover.Alt[:20]), read(t, z, "OEBPS/cover.xhtml"))
}

func TestABookInManyScriptsWithNotesPassesEpubcheck(t *testing.T) {
	doc := export.NewDocument(exporttest.ManyScripts(), "ar", nil)
	doc.Sections[0].Blocks = append(doc.Sections[0].Blocks,
		export.Block{Kind: export.BlockParagraph, Text: []export.Inline{{Text: "Tides follow the Moon."}, {Note: []export.Inline{{Text: "Passage p3."}}}}},
		export.Block{Kind: export.BlockList, Items: []export.ListItem{{Text: []export.Inline{{Text: "a"}}}, {Depth: 1, Text: []export.Inline{{Text: "b"}}}, {Depth: 2, Text: []export.Inline{{Text: "c"}}}, {Text: []export.Inline{{Text: "d"}}}}},
	)
	data, err := epub.Render(doc, "urn:contentfactory:job:scripts", created)
	require.NoError(t, err)
	check(t, exporttest.Keep(t, "many-scripts.epub", data))
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	ch := read(t, z, chapterFile(0))
	assert.Contains(t, ch, `<aside epub:type="footnote" id="note-1">`)
	assert.Contains(t, ch, `<li dir="rtl">البناء`)
	assert.Contains(t, ch, `lang="ar"`)
	assert.Contains(t, ch, `<body dir="rtl">`, "an Arabic book's pages read right to left")
	assert.Contains(t, read(t, z, "OEBPS/package.opf"), `page-progression-direction="rtl"`)
	assert.Contains(t, ch, `<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ul>`)
	for name, words := range exporttest.Scripts {
		assert.Contains(t, string(ch)+read(t, z, chapterFile(1)), strings.Fields(words)[0], name)
	}
}

func chapterFile(i int) string {
	return fmt.Sprintf("OEBPS/chapter-%02d.xhtml", i+1)
}

func read(t *testing.T, z *zip.Reader, name string) string {
	return string(exporttest.ZipFile(t, z, name))
}
