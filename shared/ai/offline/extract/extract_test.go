package extract

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func TestFindDefinitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sentence string
		term     string // "" when the sentence defines nothing
		alias    string
		art      string
	}{
		{"Photosynthesis is the process by which green plants turn light into chemical energy.", "Photosynthesis", "", ""},
		{"A chloroplast is an organelle surrounded by two membranes.", "chloroplast", "", "a"},
		{"Fog is simply a cloud that touches the ground.", "Fog", "", ""},
		{"The fluid that surrounds the thylakoids is called the stroma.", "stroma", "", "the"},
		{"Precipitation refers to any form of water that falls from clouds.", "Precipitation", "", ""},
		{"Leader completeness means that every committed entry appears in the logs of future leaders.", "Leader completeness", "", ""},
		{"The Calvin cycle, also called the light-independent reactions, takes place in the stroma.", "Calvin cycle", "light-independent reactions", "the"},
		{"Water is split to replace the electrons, a step known as photolysis, and oxygen is released.", "photolysis", "", ""},
		{"A server only votes for an up-to-date candidate, which is called the election restriction.", "election restriction", "", "the"},
		{"Der Dritte Stand ist die Bezeichnung für alle Bürger und Bauern.", "Dritte Stand", "", ""},
		{"La photosynthèse est un processus biologique des plantes.", "photosynthèse", "", ""},
		{"It is a process that plants use.", "", "", ""},
		{"This means that the rate levels off.", "", "", ""},
		{"Almost every food chain starts with it, and the oxygen we breathe is a result of it.", "", "", ""},
		{"Fossil fuels such as coal and oil are the stored products of photosynthesis.", "", "", ""},
		{"Sie bezeichnet Freiheit und Gleichheit als natürliche Rechte.", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.sentence, func(t *testing.T) {
			t.Parallel()
			defs := findDefinitions(tt.sentence)
			if tt.term == "" {
				assert.Empty(t, defs)
				return
			}
			require.NotEmpty(t, defs)
			assert.Equal(t, tt.term, defs[0].term)
			assert.Equal(t, tt.alias, defs[0].alias)
			assert.Equal(t, tt.art, defs[0].art)
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short enough", 20, "short enough"},
		{"  trimmed first  ", 13, "trimmed first"},
		{"the quick brown fox jumps", 12, "the quick…"},
		{"the quick brown fox jumps", 16, "the quick brown…"},
		{"cut after a comma, then more", 20, "cut after a comma…"},
		{"Französische Revolution im Jahr", 15, "Französische…"},
		{"Supercalifragilistic", 8, "Superca…"},
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.limit)
		assert.Equal(t, tt.want, got, "truncate(%q, %d)", tt.in, tt.limit)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), tt.limit)
	}
}

// TestTruncateNeverCutsWords checks every limit over a sentence: the kept
// text is always whole words of the original.
func TestTruncateNeverCutsWords(t *testing.T) {
	t.Parallel()
	s := "Chlorophyll absorbs mostly blue and red light and reflects green light, which is why leaves look green."
	words := strings.Fields(s)
	for limit := 12; limit <= len(s)+1; limit++ {
		got := truncate(s, limit)
		require.LessOrEqual(t, utf8.RuneCountInString(got), limit)
		kept := strings.Fields(strings.TrimSuffix(got, ellipsis))
		for i, w := range kept {
			if i == len(kept)-1 && strings.HasSuffix(got, ellipsis) {
				require.True(t, strings.HasPrefix(words[i], w) && strings.TrimRight(words[i], ",;:") == strings.TrimRight(w, ",;:"),
					"limit %d: last word %q is a cut of %q", limit, w, words[i])
				continue
			}
			require.Equal(t, words[i], w, "limit %d", limit)
		}
	}
}

func TestFitQuestion(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("very long section title ", 20)
	q := fitQuestion(100, func(p ...string) string { return "How does “" + p[0] + "” relate to “" + p[1] + "”?" }, long, "short")
	assert.LessOrEqual(t, runeLen(q), 100)
	assert.True(t, strings.HasSuffix(q, "”?"), q)
	assert.Contains(t, q, "“short”")
}

func TestBlankOut(t *testing.T) {
	t.Parallel()
	got, ok := blankOut("The Calvin cycle takes place in the stroma.", "calvin cycle")
	require.True(t, ok)
	assert.Equal(t, "The _____ takes place in the stroma.", got)
	_, ok = blankOut("Recycling is not a cycle.", "calvin cycle")
	assert.False(t, ok)
	_, ok = blankOut("A bicycle is fun.", "cycle")
	assert.False(t, ok, "only whole words are blanked")
}

func TestParseSourceHeadings(t *testing.T) {
	t.Parallel()
	blocks := parseSource("# Title\n\nIntro text here.\n\n## First part\n\n- item one\n- item two\n\nSetext heading\n--------------\n\n```\ncode is skipped\n```\nBody **bold** and [a link](http://x).")
	var headings, units []string
	for _, b := range blocks {
		if b.heading {
			headings = append(headings, b.title)
			continue
		}
		units = append(units, b.units()...)
	}
	assert.Equal(t, []string{"Title", "First part", "Setext heading"}, headings)
	assert.Equal(t, []string{"Intro text here.", "item one", "item two", "Body bold and a link."}, units)
}

func TestParseSourceTitleLines(t *testing.T) {
	t.Parallel()
	text := "Evaporation\n\nWater turns into vapour when it is heated by the Sun.\n\nClouds\n\nVapour condenses into droplets."
	var headings []string
	for _, b := range parseSource(text) {
		if b.heading {
			headings = append(headings, b.title)
		}
	}
	assert.Equal(t, []string{"Evaporation", "Clouds"}, headings)

	wrapped := "Photosynthesis is the process by which green plants\nuse sunlight to make sugar.\n\nIt happens in leaves\nand releases oxygen."
	for _, b := range parseSource(wrapped) {
		assert.False(t, b.heading, "a hard-wrapped line is not a title: %q", b.title)
	}
}

// TestSectionsCoverTheSource checks that clustered sections are runs of
// consecutive sentences that together hold the whole source.
func TestSectionsCoverTheSource(t *testing.T) {
	t.Parallel()
	para := []string{
		"Volcanoes form where magma reaches the surface. Magma is molten rock below the crust. Lava is magma that has erupted.",
		"Earthquakes shake the ground when faults slip. A fault is a crack in the crust along which rocks move.",
		"Mountains rise where plates collide. The Himalayas are still growing today.",
		"Erosion wears mountains down over millions of years. Rivers and glaciers carry the rock away.",
		"Plate tectonics ties all of this together. The plates move a few centimetres a year.",
	}
	req := &content.Request{Topic: "Geology", SourceText: strings.Join(para, "\n\n"), Language: "en-US", Level: "beginner"}
	a := analyze(req, content.TextSources(req))
	require.GreaterOrEqual(t, len(a.sections), minSections)
	require.LessOrEqual(t, len(a.sections), maxSections)
	next := 0
	for _, s := range a.sections {
		for _, i := range s.sents {
			require.Equal(t, next, i, "section %q", s.title)
			next++
		}
	}
	require.Equal(t, len(a.sents), next)
}

func TestMergeSectionsKeepsLimit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 40 {
		b.WriteString("## Part " + string(rune('A'+i%26)) + strings.Repeat("x", i/26) + "\n\n")
		b.WriteString("Sentence number one of this part talks about topic " + string(rune('a'+i%26)) + ". And another one follows.\n\n")
	}
	req := &content.Request{Topic: "Many parts", SourceText: b.String(), Language: "en"}
	a := analyze(req, content.TextSources(req))
	require.Len(t, a.sections, maxSections)
	total := 0
	for _, s := range a.sections {
		total += len(s.sents)
	}
	require.Equal(t, len(a.sents), total, "merging keeps every sentence")
}
