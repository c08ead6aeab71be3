package extract

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/content"
)

// phrases is one language's table of the phrases the backend writes
// itself (headings, question templates, the podcast's host lines,
// connectives, labels), keyed by the English phrase. A translation keeps
// its English phrase's fmt verbs ("%s", "%d", in order or numbered as
// "%[2]s") and its placeholders ("{t}", "{e}", "%T", …).
type phrases map[string]string

// translations are the tables of the languages the backend writes in
// besides English, by base language, each in the order of english. A
// request in any other language gets the English phrases.
var translations = map[string][]string{
	"de": german,
	"es": spanish,
	"fr": french,
	"ja": japanese,
	"pt": portuguese,
}

// tables are the translations by base language, keyed by the English
// phrase: built on first use, not when a process that links the backend
// starts.
var tables = sync.OnceValue(func() map[string]phrases {
	out := map[string]phrases{}
	for lang, t := range translations {
		if len(t) != len(english) {
			panic(fmt.Sprintf("extract: the %s table has %d phrases, the English one %d", lang, len(t), len(english)))
		}
		out[lang] = phrases{}
		for i, en := range english {
			out[lang][en] = t[i]
		}
	}
	return out
})

// Languages are the base languages the backend has its own phrases for,
// English first; requests in other languages get the English phrases.
func Languages() []string {
	out := []string{"en"}
	for l := range translations {
		out = append(out, l)
	}
	slices.Sort(out[1:])
	return out
}

// EnglishPhrases is the English table: every phrase the backend writes
// itself, in English.
func EnglishPhrases() []string { return slices.Clone(english) }

// phrasesFor is the table of a BCP 47 tag's base language (nil: English).
func phrasesFor(tag string) phrases { return tables()[content.BaseLanguage(tag)] }

// tr is a phrase in the request's language.
func (a *analysis) tr(en string) string {
	if s, ok := a.phrases[en]; ok {
		return s
	}
	return en
}

// trs is a list of phrases in the request's language.
func (a *analysis) trs(en []string) []string {
	out := make([]string, len(en))
	for i, s := range en {
		out[i] = a.tr(s)
	}
	return out
}

// joinList joins items as a list in the request's language: "a", "a and
// b", "a, b and c".
func (a *analysis) joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], a.tr(", ")) + a.tr(" and ") + items[len(items)-1]
}

// sectionName is how templates mention a section inside a sentence: in
// the language's quotation marks.
func (a *analysis) sectionName(title string) string {
	return strings.Replace(a.tr("“%s”"), "%s", strings.TrimSpace(title), 1)
}

// wide reports text written without spaces between words (Chinese,
// Japanese): its last letter is a Han, Hiragana or Katakana character.
func wide(s string) bool {
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if unicode.IsLetter(r) {
			return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
		}
		s = s[:len(s)-n]
	}
	return false
}

// levelPhrase is the request's level in its language.
func (a *analysis) levelPhrase() string { return a.tr(a.level()) }

// questionMark reports text ending with a question mark of any script.
func questionMark(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune("?？؟", r)
}

// Translations is a language's table, in the order of EnglishPhrases (nil
// for a language without one).
func Translations(lang string) []string { return slices.Clone(translations[lang]) }

// phraseCut splits a phrase at its fmt verbs, placeholders and Markdown
// marks, into the fragments a document would show.
var phraseCut = regexp.MustCompile(`%(\[\d+\])?[sd]|\{[a-z]\}|%[TAL]|\n|\*\*`)

// longWord is a word of four letters or more.
var longWord = regexp.MustCompile(`\pL{4,}`)

// EnglishIn returns the fragments of the English table (each phrase cut at
// its verbs and placeholders, the fragments with a word of four letters or
// more) that text holds, leaving out those the table of lang (a BCP 47
// tag) writes too ("expert" is French as well). A document the backend
// wrote in a language it has a table for holds none.
func EnglishIn(lang, text string) []string {
	own := strings.Join(translations[content.BaseLanguage(lang)], "\n")
	var out []string
	for _, p := range english {
		for _, f := range phraseCut.Split(p, -1) {
			f = strings.TrimSpace(f)
			if longWord.MatchString(f) && !strings.Contains(own, f) && strings.Contains(text, f) && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// joinSentences joins sentences with sentenceGap.
func joinSentences(sents []string) string {
	var b strings.Builder
	for i, s := range sents {
		if i > 0 {
			b.WriteString(sentenceGap(sents[i-1]))
		}
		b.WriteString(s)
	}
	return b.String()
}

// sentenceGap is what follows a sentence before the next: a space, or
// nothing after an ideographic stop ("。", "！", "？"), as Japanese and
// Chinese do not space their sentences.
func sentenceGap(prev string) string {
	if r, _ := utf8.DecodeLastRuneInString(prev); strings.ContainsRune("。！？", r) {
		return ""
	}
	return " "
}
