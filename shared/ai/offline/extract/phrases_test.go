package extract_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

func TestEnglishInFindsTheTablesFragments(t *testing.T) {
	assert.Contains(t, extract.EnglishIn("es-ES", "What is meant by lluvia?"), "What is meant by", "a question frame is cut at its verb")
	assert.Equal(t, []string{", what should listeners know first?"}, extract.EnglishIn("ja", "Sam, what should listeners know first?"))
	assert.Empty(t, extract.EnglishIn("fr-FR", "Sam, notre invité expert."), "a word the French table writes too is French")
	assert.NotEmpty(t, extract.EnglishIn("fr-FR", "Our first question: x."))
	assert.Empty(t, extract.EnglishIn("es-ES", "¿Qué es la lluvia?"))
}

// TestDocumentsInTheRequestsLanguage writes every text format of a
// Spanish and a Japanese request and finds none of the English table's
// phrases in them.
func TestDocumentsInTheRequestsLanguage(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"fotosintesis-es", "kougousei-ja"} {
		fx := aitest.FixtureNamed(t, name)
		for _, style := range content.PodcastStyles {
			req := fx.Request
			req.Podcast = &content.PodcastOptions{Style: style, Speakers: fx.Request.Podcast.Speakers, TargetMinutes: fx.Request.Podcast.TargetMinutes}
			if style != content.DefaultPodcastStyle {
				checkNoEnglish(t, fx.Request.Language, name+"/"+style, generate(t, req, content.FormatPodcastScript).JSON)
			}
		}
		// Without a source the material is written from the templates.
		bare := fx.Request
		bare.SourceText, bare.Sources = "", nil
		for _, req := range []content.Request{fx.Request, bare} {
			for _, f := range content.TextFormats() {
				res := generate(t, req, f)
				if res.JSON == nil {
					continue
				}
				checkNoEnglish(t, req.Language, name+"/"+string(f), res.JSON)
				_, err := content.ValidateText(f, res.JSON, content.Expect{Request: &req, Outline: outlineOf(t, req)})
				require.NoError(t, err, "%s %s", name, f)
			}
		}
	}
	// French, German and Portuguese requests without a source are written
	// from the templates and the phrases alone.
	for _, tag := range []string{"fr-FR", "de-DE", "pt-BR"} {
		req := aitest.FixtureNamed(t, "fotosintesis-es").Request
		req.Language, req.Audience, req.SourceText, req.Sources = tag, content.DefaultAudience, "", nil
		req.Podcast = &content.PodcastOptions{Speakers: content.DefaultSpeakers, TargetMinutes: 2}
		for _, f := range content.TextFormats() {
			if res := generate(t, req, f); res.JSON != nil {
				checkNoEnglish(t, tag, tag+"/"+string(f), res.JSON)
			}
		}
	}
}

// checkNoEnglish fails when a document holds a fragment of the English
// table its language's table does not write too, or English words.
func checkNoEnglish(t *testing.T, lang, what string, doc []byte) {
	t.Helper()
	base, _, _ := strings.Cut(lang, "-")
	require.NotEmpty(t, extract.Translations(base), "a table for %s", lang)
	var v any
	require.NoError(t, json.Unmarshal(doc, &v))
	var texts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			texts = append(texts, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if k != "level" && k != "difficulty" { // values of the schema, not phrases
					walk(e)
				}
			}
		}
	}
	walk(v)
	all := strings.Join(texts, "\n")
	assert.Empty(t, extract.EnglishIn(lang, all), "%s holds English phrases of the backend", what)
	for _, w := range []string{" the ", " of the ", " you ", " and the ", " is a "} {
		assert.NotContains(t, all, w, "%s holds English words", what)
	}
}

// TestTablesKeepTheirVerbs checks that every translation keeps its
// English phrase's fmt verbs and placeholders.
func TestTablesKeepTheirVerbs(t *testing.T) {
	verbs := regexp.MustCompile(`%(\[(\d+)\])?([sdTAL])|\{[a-z]\}`)
	count := func(s string) map[string]int {
		out := map[string]int{}
		for _, m := range verbs.FindAllStringSubmatch(s, -1) {
			if m[3] != "" {
				out["%"+m[3]]++
			} else {
				out[m[0]]++
			}
		}
		return out
	}
	en := extract.EnglishPhrases()
	for _, lang := range extract.Languages()[1:] {
		tr := extract.Translations(lang)
		require.Len(t, tr, len(en), lang)
		for i, p := range en {
			assert.Equal(t, count(p), count(tr[i]), "%s: %q is %q", lang, p, tr[i])
			if strings.HasSuffix(p, "?") {
				last := []rune(tr[i])[len([]rune(tr[i]))-1]
				assert.True(t, last == '?' || last == '？', "%s: %q is a question: %q", lang, p, tr[i])
			}
			if p[0] == ' ' && lang != "ja" && !unicode.IsSpace([]rune(tr[i])[0]) {
				t.Errorf("%s: %q is a sentence added to another, %q must start with a space too", lang, p, tr[i])
			}
		}
	}
}

// TestAJapaneseScriptIsSizedInSpokenWords sizes a two-minute Japanese
// podcast by its spoken words (runs of one script, as it has no spaces):
// a few hundred characters, not a sentence counted as one word, and its
// sentences are not spaced.
func TestAJapaneseScriptIsSizedInSpokenWords(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "kougousei-ja").Request
	require.Equal(t, 2, req.Podcast.TargetMinutes)
	s := decode[content.PodcastScript](t, generate(t, req, content.FormatPodcastScript))
	chars := utf8.RuneCountInString(s.Intro + s.Outro)
	for _, turn := range s.Turns {
		chars += utf8.RuneCountInString(turn.Text)
		assert.NotContains(t, turn.Text, "。 ", "Japanese sentences are not spaced")
	}
	// Two minutes of Japanese speech are some 500–800 characters.
	assert.Greater(t, chars, 400)
	assert.Less(t, chars, 1200)
	assert.InDelta(t, 2, content.DefaultPace.Minutes(s), 0.5)
}
