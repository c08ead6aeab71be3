package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/prose"
)

// ellipsis marks text that was shortened to fit a schema limit.
const ellipsis = "…"

// runeLen counts characters the way the content schema does: trimmed.
func runeLen(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }

// truncate shortens s to at most limit characters. It cuts at the last word
// boundary that fits and marks the cut with an ellipsis; only a single word
// longer than the limit is cut inside the word, since nothing else fits.
func truncate(s string, limit int) string {
	s = strings.TrimSpace(s)
	if limit <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	cut := limit - 1 // room for the ellipsis
	i := cut
	for i > 0 && !unicode.IsSpace(runes[i]) {
		i--
	}
	if i == 0 {
		return string(runes[:cut]) + ellipsis
	}
	head := strings.TrimRightFunc(string(runes[:i]), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—(/", r)
	})
	return head + ellipsis
}

// fitQuestion builds a question from a template whose %s verbs take parts,
// shortening the parts (longest first) until the question fits limit.
// The question always ends with its question mark.
func fitQuestion(limit int, build func(parts ...string) string, parts ...string) string {
	q := build(parts...)
	mark := "?"
	if r, _ := utf8.DecodeLastRuneInString(q); strings.ContainsRune("?？؟", r) {
		mark = string(r)
	}
	for runeLen(q) > limit {
		if len(parts) == 0 {
			return truncate(strings.TrimSuffix(q, mark), limit-1) + mark
		}
		i := 0
		for j, p := range parts {
			if utf8.RuneCountInString(p) > utf8.RuneCountInString(parts[i]) {
				i = j
			}
		}
		target := utf8.RuneCountInString(parts[i]) - (runeLen(q) - limit)
		if target < 4 {
			return truncate(strings.TrimSuffix(q, mark), limit-1) + mark
		}
		parts[i] = truncate(parts[i], target)
		q = build(parts...)
	}
	return q
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst lower-cases the first letter of s unless the first word looks
// like an acronym or a name (a second capital letter).
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	next, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsUpper(next) || unicode.IsDigit(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// asSentence makes s read as a sentence: capitalized, ending with a stop
// (an ideographic one after Chinese or Japanese).
func asSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = capitalize(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	switch {
	case strings.ContainsRune(".!?…。！？؟", last):
	case wide(s):
		s += "。"
	default:
		s += "."
	}
	return s
}

// wordCount counts the words of s as speech takes time over them (in
// Japanese and Chinese, runs of one script).
func wordCount(s string) int { return prose.SpokenWords(s) }

// normKey is the comparison key the content validator uses for
// uniqueness: lower case, white space collapsed.
func normKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// uniqueSet tracks values already used, compared by normKey.
type uniqueSet map[string]bool

// add records s and reports whether it was new.
func (u uniqueSet) add(s string) bool {
	k := normKey(s)
	if k == "" || u[k] {
		return false
	}
	u[k] = true
	return true
}

// count is the number of values used.
func (u uniqueSet) count() int { return len(u) }

// has reports whether s was used.
func (u uniqueSet) has(s string) bool { return u[normKey(s)] }

// fresh returns the sentences of text not said before in the document
// (said records them), joined; "" when every one was.
func (a *analysis) fresh(said uniqueSet, text string) string {
	var keep []string
	for _, sent := range splitSentences(text, a.req.Language) {
		if wordCount(sent) < 5 || said.add(sent) {
			keep = append(keep, sent)
		}
	}
	return joinSentences(keep)
}

// builder assembles Markdown or prose up to a character limit, dropping
// whole pieces that would not fit.
type builder struct {
	b     strings.Builder
	limit int
	n     int
}

// add appends piece if it fits and reports whether it did.
func (b *builder) add(piece string) bool {
	n := utf8.RuneCountInString(piece)
	if b.n+n > b.limit {
		return false
	}
	b.b.WriteString(piece)
	b.n += n
	return true
}

func (b *builder) String() string { return strings.TrimSpace(b.b.String()) }

// clampInt bounds v to [lo, hi].
func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// article returns "a" or "an" for an English word.
func article(word string) string {
	if word == "" {
		return "a"
	}
	switch unicode.ToLower([]rune(word)[0]) {
	case 'a', 'e', 'i', 'o', 'u':
		return "an"
	}
	return "a"
}
