package pdf_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/exporttest"
	"contentfactory.dev/factory/shared/export/pdf"
)

var created = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// fonts lists the fonts pdffonts reports: name and whether embedded.
func fonts(t *testing.T, path string) map[string]bool {
	out := exporttest.Run(t, "pdffonts", path)
	got := map[string]bool{}
	for _, l := range strings.Split(out, "\n")[2:] {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		name := f[0]
		if i := strings.Index(name, "+"); i >= 0 {
			name = name[i+1:]
		}
		name = strings.ToLower(strings.TrimPrefix(name, "utf8")) // the PDF library's prefix and case
		// name type [type...] encoding emb sub uni object ID
		got[name] = f[len(f)-5] == "yes"
	}
	return got
}

func TestTheWholeBundleOpensWithEveryTitleAndEmbeddedFonts(t *testing.T) {
	b, cover := exporttest.Full(t)
	doc := export.NewDocument(b, "en-US", cover)
	data, st, err := pdf.Render(doc, created)
	require.NoError(t, err)
	assert.Zero(t, st.Missing)
	path := exporttest.Keep(t, "bundle.pdf", data)

	info := exporttest.Run(t, "pdfinfo", path)
	assert.Regexp(t, `(?m)^Pages:\s+`+strconv.Itoa(st.Pages)+`$`, info)
	assert.Regexp(t, `(?m)^Title:\s+`+regexp.QuoteMeta(b.Title)+`$`, info)
	assert.GreaterOrEqual(t, st.Pages, 2+len(b.Docs), "a cover, the contents and a chapter per format")

	text := exporttest.Run(t, "pdftotext", "-layout", path, "-")
	flat := strings.Join(strings.Fields(text), " ")
	for _, d := range b.Docs {
		title := content.MustLookup(d.Format).Title
		assert.Contains(t, text, title)
	}
	for _, s := range doc.Sections {
		for _, blk := range s.Blocks {
			if blk.Kind == export.BlockHeading {
				assert.Contains(t, flat, strings.Join(strings.Fields(export.PlainText(blk.Text)), " "), "heading of %s", s.Title)
			}
		}
	}
	// Page numbers: the contents list every chapter's page, and the
	// footers number the pages.
	pages := strings.Split(text, "\f")
	require.GreaterOrEqual(t, len(pages), st.Pages)
	for i, s := range doc.Sections {
		m := regexp.MustCompile(regexp.QuoteMeta(s.Title) + `\s+(\d+)\s*\n`).FindStringSubmatch(pages[1])
		require.NotNil(t, m, "the contents list %s with a page", s.Title)
		n, _ := strconv.Atoi(m[1])
		assert.Contains(t, pages[n-1], s.Title, "chapter %d (%s) starts on the page the contents give", i+1, s.Title)
	}
	assert.Contains(t, pages[2], "3 / "+strconv.Itoa(st.Pages))
	// The flashcards table: every card's front.
	for _, d := range b.Docs {
		switch v := d.Value.(type) {
		case *content.Flashcards:
			for _, c := range v.Cards {
				assert.Contains(t, flat, strings.Join(strings.Fields(c.Front), " ")[:min(20, len(c.Front))])
			}
		case *content.Quiz: // every question and its options
			for _, q := range v.Questions {
				assert.Contains(t, flat, strings.Join(strings.Fields(q.Question), " ")[:min(20, len(q.Question))])
				for i, o := range q.Options {
					assert.Contains(t, flat, content.AnswerLetters[i]+". "+strings.Join(strings.Fields(o.Text), " ")[:min(12, len(o.Text))])
				}
			}
		case *content.Timeline: // every event's date
			for _, e := range v.Events {
				assert.Contains(t, flat, e.Date.String())
			}
		}
	}

	for name, emb := range fonts(t, path) {
		assert.True(t, emb, "font %s is embedded", name)
	}
	assert.Contains(t, fonts(t, path), "dejavusans")

	exporttest.Run(t, "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "4", path, strings.TrimSuffix(path, ".pdf"))
}

func TestEveryScriptIsDrawnWithAnEmbeddedFont(t *testing.T) {
	b := exporttest.ManyScripts()
	doc := export.NewDocument(b, "ja", nil)
	data, st, err := pdf.Render(doc, created)
	require.NoError(t, err)
	assert.Zero(t, st.Missing, "every character has a glyph in an embedded font")
	path := exporttest.Keep(t, "many-scripts.pdf", data)

	fs := fonts(t, path)
	assert.True(t, fs["droidsansfallback"], "the CJK font is embedded: %v", fs)
	assert.True(t, fs["dejavusans"] && fs["dejavusansb"], "%v", fs)
	for name, emb := range fs {
		assert.True(t, emb, "font %s is embedded", name)
	}

	text := norm.NFKC.String(exporttest.Run(t, "pdftotext", path, "-"))
	flat := strings.Join(strings.Fields(text), "")
	for _, name := range []string{"Japanese", "Chinese", "Korean", "Greek", "Russian"} {
		assert.Contains(t, flat, strings.Join(strings.Fields(exporttest.Scripts[name]), ""), name)
	}
	// Right-to-left words are drawn in visual order: each word is there,
	// read either way.
	for _, name := range []string{"Arabic", "Hebrew"} {
		for _, w := range strings.Fields(exporttest.Scripts[name]) {
			if len([]rune(w)) < 3 {
				continue
			}
			rev := []rune(w)
			for a, z := 0, len(rev)-1; a < z; a, z = a+1, z-1 {
				rev[a], rev[z] = rev[z], rev[a]
			}
			assert.True(t, strings.Contains(flat, w) || strings.Contains(flat, string(rev)), "%s word %q in %q", name, w, flat)
		}
	}
	exporttest.Run(t, "pdftoppm", "-png", "-r", "70", "-f", "3", "-l", "4", path, strings.TrimSuffix(path, ".pdf"))
}

func TestNotesGoToTheFootOfThePageThatCitesThem(t *testing.T) {
	doc := &export.Document{Title: "Notes", Sections: []export.Section{{Format: content.FormatOnePager, Title: "One-pager", Blocks: []export.Block{
		{Kind: export.BlockParagraph, Text: []export.Inline{{Text: "Tides follow the Moon."}, {Note: []export.Inline{{Text: "Passage p3: the Moon's pull."}}}, {Text: " And the Sun."}, {Note: []export.Inline{{Text: "Passage p7."}}}}},
	}}}}
	data, _, err := pdf.Render(doc, created)
	require.NoError(t, err)
	path := exporttest.Keep(t, "notes.pdf", data)
	pages := strings.Split(exporttest.Run(t, "pdftotext", "-layout", path, "-"), "\f")
	require.GreaterOrEqual(t, len(pages), 3)
	body := pages[2]
	assert.Regexp(t, `Tides follow the Moon\.1 And the Sun\.2`, strings.Join(strings.Fields(body), " "))
	i, j := strings.Index(body, "the Moon."), strings.Index(body, "1 Passage p3: the Moon's pull.")
	require.Positive(t, j, body)
	assert.Less(t, i, j, "the note is below the text")
	assert.Contains(t, body, "2 Passage p7.")
}

func TestTheSameDocumentRendersTheSameBytes(t *testing.T) {
	b := exporttest.ManyScripts()
	one, _, err := pdf.Render(export.NewDocument(b, "ja", nil), created)
	require.NoError(t, err)
	two, _, err := pdf.Render(export.NewDocument(b, "ja", nil), created)
	require.NoError(t, err)
	assert.Equal(t, one, two)
}
