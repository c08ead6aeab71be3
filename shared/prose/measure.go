package prose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Stem reduces a lower-case word to a rough stem for comparing words
// across their forms ("tides" and "tide", "rising" and "rise"): it strips
// a few English inflections from words long enough to keep a root. Words
// of other languages mostly stay as they are, which is only less
// forgiving.
func Stem(w string) string {
	n := utf8.RuneCountInString(w)
	if n <= 4 {
		return w
	}
	for _, suf := range []string{"ies", "ing", "ed", "es", "s", "ly"} {
		if strings.HasSuffix(w, suf) && n-utf8.RuneCountInString(suf) >= 4 {
			w = strings.TrimSuffix(w, suf)
			if suf == "ies" {
				w += "y"
			}
			break
		}
	}
	return strings.TrimSuffix(w, "e")
}

// ContentStems returns the stems of the content words of a text, in
// order, repeats included.
func ContentStems(text string) []string {
	var out []string
	for _, t := range Tokenize(text) {
		lower := strings.ToLower(t.Text)
		if ContentWord(lower, t.Text) {
			out = append(out, Stem(lower))
		}
	}
	return out
}

// Words counts the words of a text.
func Words(text string) int { return len(Tokenize(text)) }

// Syllables estimates the syllables of a word: runs of vowels, less a
// silent final e, at least one.
func Syllables(word string) int {
	w := strings.ToLower(word)
	n, prev := 0, false
	for _, r := range w {
		v := strings.ContainsRune("aeiouyàâäéèêëîïôöûüáíóúãõåæøœ", r)
		if v && !prev {
			n++
		}
		prev = v
	}
	if strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && n > 1 {
		n--
	}
	return max(n, 1)
}

// Numbers returns the numbers a text writes with digits ("1789", "3.5").
func Numbers(text string) []string {
	var out []string
	for _, t := range Tokenize(text) {
		if strings.IndexFunc(t.Text, unicode.IsDigit) >= 0 && strings.IndexFunc(t.Text, unicode.IsLetter) < 0 {
			out = append(out, t.Text)
		}
	}
	return out
}
