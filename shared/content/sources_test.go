package content_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	var ie *content.InvalidError
	require.ErrorAs(t, err, &ie)
	var out []string
	for _, e := range ie.Errors {
		out = append(out, e.Field+"="+e.Code)
	}
	return out
}

func TestSourcesAreReadFirstAndOnlyWhenGiven(t *testing.T) {
	r, err := content.ParseRequest([]byte(`{"topic": "Tides", "formats": ["faqs"], "sources": [
		{"text": "The Moon pulls the oceans.", "title": " Notes\u202e "},
		{"upload_id": "up_abc"},
		{"url": "https://example.com/tides#spring"}]}`))
	require.NoError(t, err)
	assert.Equal(t, []content.Format{content.FormatSources, content.FormatOutline, content.FormatFAQs, content.FormatPackage}, r.Formats)
	assert.Equal(t, "Notes", r.Sources[0].Title, "normalized like every text")
	all := r.AllSources()
	require.Len(t, all, 3)
	assert.Equal(t, "sources[2]", all[2].Field)
	assert.Equal(t, content.SourceKindURL, all[2].Kind())

	r, err = content.ParseRequest([]byte(`{"topic": "Tides", "source_text": "Shorthand.", "sources": [{"text": "More."}]}`))
	require.NoError(t, err)
	all = r.AllSources()
	require.Len(t, all, 2, "source_text is one text source, read first")
	assert.Equal(t, "source_text", all[0].Field)
	assert.Equal(t, "Shorthand.", all[0].Text)

	r, err = content.ParseRequest([]byte(`{"topic": "Tides", "formats": ["faqs"]}`))
	require.NoError(t, err)
	assert.NotContains(t, r.Formats, content.FormatSources, "no sources, no sources step")
	assert.Equal(t, []content.Format{content.FormatOutline, content.FormatPackage}, content.Closure([]content.Format{content.FormatOutline}),
		"requiring the sources never pulls them into a job")
}

func TestSourceFieldErrors(t *testing.T) {
	long := strings.Repeat("x", content.MaxSourceLen+1)
	_, err := content.ParseRequest(mustJSON(t, map[string]any{"topic": "Tides", "formats": []string{"sources"}}))
	assert.Equal(t, []string{"formats[0]=no_sources"}, fieldCodes(t, err))

	_, err = content.ParseRequest(mustJSON(t, map[string]any{"topic": "Tides", "sources": []map[string]string{
		{},
		{"text": "a", "url": "https://example.com/"},
		{"url": "http://example.com/"},
		{"url": "https://user:pw@example.com/"},
		{"url": "https://example.com/a b"},
		{"text": long},
		{"upload_id": "up_1", "title": strings.Repeat("t", content.MaxSourceTitleLen+1)},
		{"upload_id": strings.Repeat("u", content.MaxUploadIDLen+1)},
	}}))
	assert.Equal(t, []string{
		"sources[0]=invalid_source",
		"sources[1]=invalid_source",
		"sources[2].url=invalid_url",
		"sources[3].url=invalid_url",
		"sources[4].url=invalid_url",
		"sources[5].text=too_long",
		"sources[6].title=too_long",
		"sources[7].upload_id=upload_not_found",
	}, fieldCodes(t, err))
}

func TestCallbackURLStillRefusesFragments(t *testing.T) {
	require.NoError(t, content.CheckSourceURL("https://example.com/a#b"))
	require.Error(t, content.CheckCallbackURL("https://example.com/a#b"))
	require.NoError(t, content.CheckCallbackURL("https://example.com/a"))
}

// checkOffsets holds every passage to its contract: its text is exactly
// its range of the normalized text, and ids are numbered in order.
func checkOffsets(t *testing.T, sp content.Split, first int) {
	t.Helper()
	runes := []rune(sp.Text)
	assert.Equal(t, len(runes), sp.Chars)
	last := -1
	for i, p := range sp.Passages {
		assert.Equal(t, fmt.Sprintf("p%d", first+i), p.ID)
		require.True(t, p.Start < p.End && p.End <= len(runes), "%s: %d..%d", p.ID, p.Start, p.End)
		assert.Equal(t, string(runes[p.Start:p.End]), p.Text, p.ID)
		assert.GreaterOrEqual(t, p.Start, last, "passages follow each other, without overlap")
		last = p.End
		assert.LessOrEqual(t, utf8.RuneCountInString(p.Text), content.MaxPassageLen, p.ID)
		assert.Equal(t, strings.TrimSpace(p.Text), p.Text, "no surrounding space")
	}
}

func TestSplitPassagesKeepsParagraphsHeadingsAndPages(t *testing.T) {
	para := func(n int, word string) string { return strings.TrimSpace(strings.Repeat(word+" is a word. ", n)) }
	blocks := []content.Block{
		{Text: "Light reactions", Heading: true, Page: 1},
		{Text: para(30, "Photon"), Page: 1},
		{Text: "Short one.", Page: 1},
		{Text: "Short two.", Page: 1},
		{Text: para(30, "Électron"), Page: 2}, // a new page starts a new passage
		{Text: "  ", Page: 2},
		{Text: "Calvin cycle", Heading: true, Page: 2},
		{Text: para(400, "Carbon"), Page: 2}, // longer than a passage: cut at sentences
	}
	sp := content.SplitPassages("s2", blocks, 7)
	checkOffsets(t, sp, 7)
	require.GreaterOrEqual(t, len(sp.Passages), 5)
	p := sp.Passages
	assert.Equal(t, "Light reactions", p[0].Heading)
	assert.Equal(t, 1, p[0].Page)
	assert.Equal(t, "s2", p[0].Source)
	assert.True(t, strings.HasPrefix(p[0].Text, "Photon is a word."))
	assert.Equal(t, "Short one.\n\nShort two.", p[1].Text, "short paragraphs of one section and page are joined")
	assert.Equal(t, 2, p[2].Page)
	assert.True(t, strings.HasPrefix(p[2].Text, "Électron"))
	for _, q := range p[3:] {
		assert.Equal(t, "Calvin cycle", q.Heading)
		assert.True(t, strings.HasSuffix(q.Text, "word."), "cut at a sentence end: %q", q.Text[len(q.Text)-20:])
	}
	assert.Contains(t, sp.Text, "Light reactions\n\nPhoton", "headings are part of the text, not of a passage")
	require.Len(t, sp.Headings, 2)
	for _, h := range sp.Headings {
		assert.Equal(t, h.Text, string([]rune(sp.Text)[h.Start:h.Start+len([]rune(h.Text))]), "a heading's offset points at it")
		assert.Equal(t, "s2", h.Source)
	}
	assert.Len(t, sp.SHA256, 64)
	assert.Equal(t, sp, content.SplitPassages("s2", blocks, 7), "deterministic")
}

func TestSplitPassagesCutsASentenceWithoutEnd(t *testing.T) {
	sp := content.SplitPassages("s1", []content.Block{{Text: strings.Repeat("word ", 1000)}}, 1)
	checkOffsets(t, sp, 1)
	assert.Greater(t, len(sp.Passages), 2)
	sp = content.SplitPassages("s1", []content.Block{{Text: strings.Repeat("x", 4000)}}, 1)
	checkOffsets(t, sp, 1)
	assert.Len(t, sp.Passages, 3, "no space at all: cut at the limit")
}

func TestTextBlocksReadMarkdownStructure(t *testing.T) {
	md := "# Tides\n\nThe Moon pulls.\nThe water follows.\n\nSpring tides\n---\n\n```\n# not a heading\n\ncode\n```\n\n### Neap ###\nWeak tides."
	assert.Equal(t, []content.Block{
		{Text: "Tides", Heading: true, Level: 1},
		{Text: "The Moon pulls.\nThe water follows."},
		{Text: "Spring tides", Heading: true, Level: 2},
		{Text: "```\n# not a heading\n\ncode\n```"},
		{Text: "Neap", Heading: true, Level: 3},
		{Text: "Weak tides."},
	}, content.TextBlocks(md))
	assert.Equal(t, []content.Block{{Text: "#hashtag is not a heading"}}, content.TextBlocks("#hashtag is not a heading"))
}
