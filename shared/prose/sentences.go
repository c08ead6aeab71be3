package prose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a period but seldom end a sentence (compared
// lower case, without the final period).
var abbreviations = SetOf(`e.g i.e cf vs al dr mr mrs ms prof st fig figs no nos vol approx ca
	inc ltd co jr sr dept eq sec ch pp resp
	z.b d.h u.a bzw usw vgl ggf evtl nr bspw sog mme mlle env av apr`)

// closers may follow a sentence's final punctuation.
const closers = `"'”’»)]`

// Sentences splits one paragraph of prose into sentences. A sentence
// ends at ".", "!", "?" or "…" (with any closing quotes or brackets) that is
// followed by white space and then by something that can start a
// sentence, or at "。", "！" or "？", which need no space after them. Decimals ("3.5") and abbreviations ("e.g.", "Dr.", "z. B.")
// do not end sentences. With German text, a one- or two-digit number
// followed by a period is read as an ordinal ("am 14. Juli").
func Sentences(text, lang string) []string {
	text = strings.Join(strings.Fields(text), " ")
	runes := []rune(text)
	var out []string
	start := 0
	for i := 0; i < len(runes); i++ {
		if !isTerminal(runes[i]) {
			continue
		}
		end := i + 1
		for end < len(runes) && (isTerminal(runes[end]) || strings.ContainsRune(closers, runes[end])) {
			end++
		}
		if end < len(runes) && !unicode.IsSpace(runes[end]) && !isWideStop(runes[i]) {
			i = end - 1
			continue
		}
		if end < len(runes) && !endsSentence(runes, start, i, end, lang) {
			i = end - 1
			continue
		}
		if s := strings.TrimSpace(string(runes[start:end])); s != "" {
			out = append(out, s)
		}
		start = end
		i = end - 1
	}
	if s := strings.TrimSpace(string(runes[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func isTerminal(r rune) bool { return strings.ContainsRune(".!?…。！？", r) }

// isWideStop reports the ideographic stops of Chinese and Japanese, which
// end a sentence with no space after them.
func isWideStop(r rune) bool { return strings.ContainsRune("。！？", r) }

// endsSentence decides whether the punctuation at runes[dot] (its run
// ending before end, then a space) closes the sentence begun at start.
func endsSentence(runes []rune, start, dot, end int, lang string) bool {
	next := end
	for next < len(runes) && unicode.IsSpace(runes[next]) {
		next++
	}
	if next >= len(runes) {
		return true
	}
	if unicode.IsLower(runes[next]) {
		return false
	}
	if runes[dot] != '.' || end != dot+1 {
		return true
	}
	word := lastWord(runes[start:dot])
	lower := strings.ToLower(word)
	switch {
	case abbreviations[lower]:
		return false
	case utf8.RuneCountInString(word) == 1 && unicode.IsLetter([]rune(word)[0]):
		return false // an initial: "J. Smith", "z. B."
	case isInitialism(word):
		return false // "U.S", "e.g"
	case strings.HasPrefix(strings.ToLower(lang), "de") && isOrdinal(word):
		return false
	}
	return true
}

// lastWord returns the run of non-space characters at the end of s, without
// opening brackets or quotes.
func lastWord(s []rune) string {
	i := len(s)
	for i > 0 && !unicode.IsSpace(s[i-1]) {
		i--
	}
	return strings.TrimLeft(string(s[i:]), `("'“‘«[`)
}

// isInitialism reports words like "U.S" or "e.g": letters of one or two
// characters joined by periods.
func isInitialism(word string) bool {
	parts := strings.Split(word, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		n := utf8.RuneCountInString(p)
		if n == 0 || n > 2 {
			return false
		}
		for _, r := range p {
			if !unicode.IsLetter(r) {
				return false
			}
		}
	}
	return true
}

func isOrdinal(word string) bool {
	if n := len(word); n == 0 || n > 2 {
		return false
	}
	for _, r := range word {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}
