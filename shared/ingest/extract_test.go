package ingest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/testdocs"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/ingest"
)

var lecture = [][]string{
	{
		"Photosynthesis is the process by which plants turn light into chemical energy. It takes place in the chloroplasts, which hold the green pigment chlorophyll, and it releases oxygen as a by-product.",
		"The light reactions happen in the thylakoid membranes. They split water and make ATP and NADPH.",
	},
	{
		"The Calvin cycle fixes carbon dioxide into sugar in the stroma, using the ATP and NADPH of the light reactions. Café au lait is not involved.",
	},
}

func texts(blocks []content.Block) []string {
	var out []string
	for _, b := range blocks {
		prefix := ""
		if b.Heading {
			prefix = "# "
		}
		out = append(out, prefix+b.Text)
	}
	return out
}

func codeOf(t *testing.T, err error) string {
	t.Helper()
	e, ok := ingest.AsError(err)
	require.True(t, ok, "want an *ingest.Error, got %v", err)
	assert.NotEmpty(t, e.Message)
	return e.Code
}

func TestPDFTextComesWithPageNumbers(t *testing.T) {
	t.Parallel()
	doc, err := ingest.Extract(testdocs.PDF(lecture, testdocs.PDFOptions{}), "application/pdf")
	require.NoError(t, err)
	assert.Equal(t, ingest.TypePDF, doc.MediaType)
	assert.Equal(t, 2, doc.Pages)
	require.Len(t, doc.Blocks, 3, "%q", texts(doc.Blocks))
	for i, want := range []struct {
		page int
		text string
	}{{1, lecture[0][0]}, {1, lecture[0][1]}, {2, lecture[1][0]}} {
		assert.Equal(t, want.page, doc.Blocks[i].Page)
		assert.Equal(t, want.text, doc.Blocks[i].Text, "wrapped lines are joined into the paragraph")
	}
}

// pdftotext (poppler) is an independent reader: the PDFs the tests make
// are real PDFs, and what Extract reads from them is what it reads.
func TestPDFAgreesWithPoppler(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("pdftotext")
	require.NoError(t, err, "install poppler-utils (.ci/run does)")
	data := testdocs.PDF(lecture, testdocs.PDFOptions{})
	path := filepath.Join(t.TempDir(), "lecture.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	require.NoError(t, err)
	doc, err := ingest.Extract(data, ingest.TypePDF)
	require.NoError(t, err)
	assert.Equal(t, strings.Fields(string(out)), strings.Fields(strings.Join(texts(doc.Blocks), " ")))
}

func TestPDFsThatCannotBeRead(t *testing.T) {
	t.Parallel()
	text := testdocs.PDF(lecture, testdocs.PDFOptions{})
	cases := map[string]struct {
		data []byte
		code string
	}{
		"password-protected":        {testdocs.PDF(lecture, testdocs.PDFOptions{UserPassword: "secret", OwnerPassword: "owner"}), ingest.CodeEncrypted},
		"encrypted, no password":    {testdocs.PDF(lecture, testdocs.PDFOptions{Encrypt: true, OwnerPassword: "owner"}), ingest.CodeEncrypted},
		"image only (a scan)":       {testdocs.PDF(lecture, testdocs.PDFOptions{ImageOnly: true}), ingest.CodeNoText},
		"truncated":                 {text[:len(text)/2], ingest.CodeUnreadable},
		"a DOCX called a PDF":       {testdocs.DOCX([]testdocs.Paragraph{{Text: "x"}}, nil), ingest.CodeTypeMismatch},
		"an HTML page called a PDF": {[]byte("<html><body><p>Hello</p></body></html>"), ingest.CodeTypeMismatch},
		"empty":                     {nil, ingest.CodeNoText},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ingest.Extract(c.data, ingest.TypePDF)
			assert.Equal(t, c.code, codeOf(t, err))
		})
	}
}

func TestPDF2IsRead(t *testing.T) {
	t.Parallel()
	data := testdocs.PDF(lecture[1:], testdocs.PDFOptions{})
	copy(data, "%PDF-2.0")
	doc, err := ingest.Extract(data, ingest.TypePDF)
	require.NoError(t, err)
	assert.Equal(t, []string{lecture[1][0]}, texts(doc.Blocks))
}

func TestDOCXParagraphsAndHeadings(t *testing.T) {
	t.Parallel()
	data := testdocs.DOCX([]testdocs.Paragraph{
		{Style: "Title", Text: "Photosynthesis"},
		{Text: "Plants turn light into sugar & oxygen."},
		{Style: "Heading1", Text: "Light reactions"},
		{Text: "Water is split.\tATP is made."},
		{Text: ""},
		{Style: "Heading2", Text: "Calvin cycle"},
		{Text: "Carbon is fixed."},
	}, nil)
	doc, err := ingest.Extract(data, ingest.TypeDOCX)
	require.NoError(t, err)
	assert.Equal(t, []string{"# Photosynthesis", "Plants turn light into sugar & oxygen.", "# Light reactions",
		"Water is split.\tATP is made.", "", "# Calvin cycle", "Carbon is fixed."}, texts(doc.Blocks))
	assert.Equal(t, []int{1, 1, 2}, []int{doc.Blocks[0].Level, doc.Blocks[2].Level, doc.Blocks[5].Level}, "Title, Heading 1, Heading 2")
}

func TestDOCXLeavesOutDeletedRevisions(t *testing.T) {
	t.Parallel()
	doc := `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Tides</w:t></w:r></w:p>
<w:p><w:r><w:t>The Moon </w:t></w:r><w:del><w:r><w:delText>never </w:delText></w:r></w:del><w:r><w:t>pulls</w:t></w:r><w:r><w:br/><w:t>the sea.</w:t></w:r></w:p>
</w:body></w:document>`
	out, err := ingest.Extract(testdocs.Zip(map[string]string{"word/document.xml": doc}), ingest.TypeDOCX)
	require.NoError(t, err)
	assert.Equal(t, []string{"# Tides", "The Moon pulls\nthe sea."}, texts(out.Blocks))
	assert.Equal(t, 1, out.Blocks[0].Level, "outline level 0 is a heading of level 1")
}

func TestDOCXsThatCannotBeRead(t *testing.T) {
	t.Parallel()
	cfb := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bytes.Repeat([]byte{0}, 504)...)
	cases := map[string]struct {
		data []byte
		code string
	}{
		"password-protected (an encrypted package)": {cfb, ingest.CodeEncrypted},
		"a zip that is no DOCX":                     {testdocs.Zip(map[string]string{"notes.txt": "hello"}), ingest.CodeTypeMismatch},
		"a PDF called a DOCX":                       {testdocs.PDF(lecture, testdocs.PDFOptions{}), ingest.CodeTypeMismatch},
		"no text":                                   {testdocs.DOCX([]testdocs.Paragraph{{Text: " "}, {Style: "Heading1", Text: "Only a heading"}}, nil), ingest.CodeNoText},
		"damaged XML":                               {testdocs.Zip(map[string]string{"word/document.xml": `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>cut`}), ingest.CodeUnreadable},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ingest.Extract(c.data, ingest.TypeDOCX)
			assert.Equal(t, c.code, codeOf(t, err))
		})
	}
}

func TestHTMLMainContent(t *testing.T) {
	t.Parallel()
	page := testdocs.Article("How tides work", map[string][]string{
		"The pull of the Moon": {
			"The Moon's gravity pulls on the oceans, and the water bulges towards it on the near side of the Earth. A second bulge forms on the far side, where the Moon pulls the Earth away from the water.",
			"As the Earth turns, a coast passes through both bulges each day, which is why most places see two high tides.",
		},
		"Spring and neap tides": {
			"When the Sun and the Moon line up, at new and full moon, their pulls add up and the tides are highest: these are spring tides. At the quarter moons they pull at right angles and the tides are weakest.",
		},
	}, []string{"The pull of the Moon", "Spring and neap tides"})
	doc, err := ingest.Extract(page, "text/html; charset=utf-8")
	require.NoError(t, err)
	assert.Equal(t, ingest.TypeHTML, doc.MediaType)
	got := strings.Join(texts(doc.Blocks), "\n")
	assert.Contains(t, got, "# The pull of the Moon\nThe Moon's gravity pulls on the oceans")
	assert.Contains(t, got, "# Spring and neap tides\nWhen the Sun and the Moon line up")
	for _, clutter := range []string{"Subscribe", "Shop our store", "All rights reserved", "do not read me", "color: black"} {
		assert.NotContains(t, got, clutter, "not the page's main content")
	}
	assert.Contains(t, doc.Title, "How tides work")
	for _, b := range doc.Blocks {
		if b.Heading && b.Text == "Spring and neap tides" {
			assert.Equal(t, 2, b.Level, "an h2")
		}
	}
}

func TestHTMLInAnotherCharset(t *testing.T) {
	t.Parallel()
	// "Café" in windows-1252, declared by the page itself.
	page := []byte("<html><head><meta charset=\"windows-1252\"></head><body><p>Caf\xe9 au lait is served hot.</p></body></html>")
	doc, err := ingest.Extract(page, ingest.TypeHTML)
	require.NoError(t, err)
	assert.Equal(t, []string{"Café au lait is served hot."}, texts(doc.Blocks))
}

func TestMarkdownAndTextAsTheyAre(t *testing.T) {
	t.Parallel()
	md := "# Tides\n\nThe **Moon** pulls.\n\n## Spring tides\nThey are high."
	doc, err := ingest.Extract([]byte("\xEF\xBB\xBF"+md), ingest.TypeMarkdown)
	require.NoError(t, err)
	assert.Equal(t, []string{"# Tides", "The **Moon** pulls.", "# Spring tides", "They are high."}, texts(doc.Blocks))

	doc, err = ingest.Extract([]byte("Latin-1 caf\xe9 text."), "text/plain; charset=iso-8859-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"Latin-1 café text."}, texts(doc.Blocks))
}

func TestTextThatIsNotText(t *testing.T) {
	t.Parallel()
	pdfBytes := testdocs.PDF(lecture, testdocs.PDFOptions{})
	for name, c := range map[string]struct {
		data []byte
		mt   string
	}{
		"a PDF called text":     {pdfBytes, ingest.TypeText},
		"a DOCX called HTML":    {testdocs.DOCX([]testdocs.Paragraph{{Text: "x"}}, nil), ingest.TypeHTML},
		"a PNG called Markdown": {[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ingest.TypeMarkdown},
	} {
		_, err := ingest.Extract(c.data, c.mt)
		assert.Equal(t, ingest.CodeTypeMismatch, codeOf(t, err), name)
	}
	_, err := ingest.Extract([]byte("hello"), "image/png")
	assert.Equal(t, ingest.CodeUnsupportedType, codeOf(t, err))
	_, err = ingest.Extract([]byte(" \n\t "), ingest.TypeText)
	assert.Equal(t, ingest.CodeNoText, codeOf(t, err))
}
