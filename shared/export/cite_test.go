package export

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func citedBundle() Bundle {
	set := &content.SourceSet{
		Sources: []content.SourceDoc{{ID: "s1", Title: "Tide tables"}, {ID: "s2", URL: "https://example.org/moon"}},
		Passages: []content.Passage{
			{ID: "p1", Source: "s1", Text: "Tides rise and fall twice a day."},
			{ID: "p2", Source: "s1", Page: 4, Text: "The Moon's pull *raises* a bulge of water [1]."},
			{ID: "p3", Source: "s2", Heading: "Spring tides", Text: "When Sun and Moon align, the range is largest."},
		},
	}
	return Bundle{Title: "Tides", Topic: "Tides", Sources: set, Docs: []Doc{
		{Format: content.FormatOnePager, Value: &content.OnePager{Title: "Tides", ExecutiveSummary: "Tides are long waves.",
			KeyTakeaways: []content.Takeaway{
				{Text: "The Moon raises a bulge of water.", Cited: content.Cited{Citations: []string{"p2", "p1"}, Grounding: content.Supported}},
				{Text: "Spring tides come when Sun and Moon align.", Cited: content.Cited{Citations: []string{"p3"}}},
				{Text: "Tides never happen on lakes.", Cited: content.Cited{Citations: []string{"p1", "p9"}, Grounding: content.Unsupported}},
			},
			MainContent: "Body."}},
		{Format: content.FormatFlashcards, Value: &content.Flashcards{Title: "Tides", Cards: []content.Flashcard{
			{Front: "How often do tides rise?", Back: "Twice a day.", Difficulty: "easy", Cited: content.Cited{Citations: []string{"p1"}}},
		}}},
	}}
}

func TestMarkdownCitesPassagesAsNumberedFootnotes(t *testing.T) {
	t.Parallel()
	md := string(Markdown(citedBundle()))
	assert.Contains(t, md, "- The Moon raises a bulge of water.[^p2][^p1]\n")
	assert.Contains(t, md, "- Tides never happen on lakes. *(not supported by its sources)*[^p1]\n", "an id the job does not have is not linked")
	assert.Contains(t, md, "| Twice a day.[^p1] |")
	assert.NotContains(t, md, "[^p9]")
	// Each cited passage once, in the order first cited, with its source.
	defs := regexp.MustCompile(`(?m)^\[\^(p[0-9]+)\]: `).FindAllStringSubmatch(md, -1)
	var ids []string
	for _, d := range defs {
		ids = append(ids, d[1])
	}
	assert.Equal(t, []string{"p2", "p1", "p3"}, ids)
	assert.Contains(t, md, `[^p2]: Tide tables, p. 4 (p2): The Moon's pull \*raises\* a bulge of water \[1\].`)
	assert.Contains(t, md, "[^p3]: https://example.org/moon, Spring tides (p3): When Sun and Moon align, the range is largest.")

	none := citedBundle()
	none.Sources = nil
	assert.NotContains(t, string(Markdown(none)), "[^", "without sources nothing is linked")
}

func TestHTMLCitationsLinkToThePassageText(t *testing.T) {
	t.Parallel()
	doc := string(HTML(citedBundle()))
	_, body, ok := strings.Cut(doc, "<body>")
	require.True(t, ok)
	assertInert(t, body)
	refs := regexp.MustCompile(`<a href="#(fn:[0-9]+)"[^>]*>([0-9]+)</a>`).FindAllStringSubmatch(body, -1)
	require.Len(t, refs, 5, "p2, p1 | p3 | p1 | p1")
	assert.Equal(t, "1", refs[0][2], "numbered in the order first cited")
	assert.Equal(t, "2", refs[1][2])
	assert.Equal(t, "3", refs[2][2])
	for _, r := range refs {
		assert.Contains(t, body, `<li id="`+r[1]+`"`, "the link %s reaches its note", r[1])
	}
	note := regexp.MustCompile(`(?s)<li id="fn:1"[^>]*>(.*?)</li>`).FindStringSubmatch(body)
	require.NotNil(t, note)
	assert.Contains(t, note[1], "The Moon&#39;s pull *raises* a bulge of water [1].")
	assert.Contains(t, note[1], "Tide tables, p. 4")
}

func TestPageExportsTakeCitationsAsNotes(t *testing.T) {
	t.Parallel()
	doc := NewDocument(citedBundle(), "en", nil)
	require.NotEmpty(t, doc.Sections)
	var notes []string
	for _, b := range doc.Sections[0].Blocks {
		for _, it := range b.Items {
			for _, in := range it.Text {
				if in.Note != nil {
					notes = append(notes, PlainText(in.Note))
				}
			}
		}
	}
	require.Len(t, notes, 4)
	assert.Contains(t, notes[0], "The Moon's pull *raises* a bulge of water [1].")
}
