package content

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// questionMarks are the marks a question of a language ends with, and the
// mark it opens with (Spanish "¿"), by base language. A question in a
// language not listed ends with "?".
var questionMarks = map[string]struct{ open, close string }{
	"es":  {open: "¿", close: "?"},
	"ja":  {close: "？?"},
	"zh":  {close: "？?"},
	"cmn": {close: "？?"},
	"yue": {close: "？?"},
	"ar":  {close: "؟?"},
	"fa":  {close: "؟?"},
	"ur":  {close: "؟?"},
}

// BaseLanguage is the base language of a BCP 47 tag ("es" of "es-MX"), ""
// for an invalid tag.
func BaseLanguage(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	b, _ := t.Base()
	return b.String()
}

// QuestionForm checks a question's marks against its language's: the
// closing mark of the script ("?", "？" in Japanese and Chinese, "؟" or "?"
// in Arabic, Persian and Urdu) and, in Spanish, the opening "¿". It
// returns what is wrong, "" when nothing is.
func QuestionForm(lang, question string) string {
	q := strings.TrimSpace(question)
	marks, ok := questionMarks[BaseLanguage(lang)]
	if !ok {
		marks.close = "?"
	}
	last, _ := utf8.DecodeLastRuneInString(q)
	if !strings.ContainsRune(marks.close, last) {
		return fmt.Sprintf("must end with a question mark of the language (%s)", strings.Join(strings.Split(marks.close, ""), " or "))
	}
	if marks.open != "" && !strings.Contains(q, marks.open) {
		return fmt.Sprintf("must open with %q, as questions in this language do", marks.open)
	}
	return ""
}

// questionForms reports the questions of a document whose marks are not
// their language's (the request's).
func questionForms[T any](items []T, path, field string, exp Expect, get func(T) string) Violations {
	if exp.Request == nil {
		return nil
	}
	lang := exp.Request.Language
	if lang == "" {
		lang = DefaultLanguage
	}
	var vs Violations
	for i, it := range items {
		if msg := QuestionForm(lang, get(it)); msg != "" {
			vs = append(vs, Violation{Path: fmt.Sprintf("%s/%d/%s", path, i, field), Message: msg})
		}
	}
	return vs
}

// Voices are the voices of a speech backend.
type Voices interface {
	// Speaks reports whether a language has a distinct voice for each of
	// that many speakers, and the locale it is spoken in.
	Speaks(language string, speakers int) (locale string, ok bool)
}

// CheckVoices refuses a request for podcast audio in a language the
// voices do not speak (to all its speakers): an *InvalidError whose field
// error is language / no_voice. A request without audio passes.
func CheckVoices(v Voices, r *Request) error {
	if !slices.Contains(r.Formats, FormatAudio) {
		return nil
	}
	speakers := len(DefaultSpeakers)
	if r.Podcast != nil && len(r.Podcast.Speakers) > 0 {
		speakers = len(r.Podcast.Speakers)
	}
	if _, ok := v.Speaks(r.Language, speakers); ok {
		return nil
	}
	return &InvalidError{Errors: []FieldError{{Field: "language", Code: "no_voice", Message: fmt.Sprintf(
		"no voice speaks %s to %d speakers, so its podcast audio cannot be made: choose another language, or leave %q out of formats",
		r.Language, speakers, FormatAudio)}}}
}
