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

// SpokenWords counts the words of text as speech takes time over them:
// its words between white space, and in Chinese and Japanese, written
// without spaces, each run of one script (Tokenize: "光合成", "は").
// For text with spaces between its words it is len(strings.Fields(text)).
func SpokenWords(text string) int { return len(spokenEnds(text)) }

// SpokenHead is the start of text up to the end of its n-th spoken word
// (SpokenWords), all of it when it has no more.
func SpokenHead(text string, n int) string {
	ends := spokenEnds(text)
	switch {
	case n <= 0:
		return ""
	case n >= len(ends):
		return text
	}
	return text[:ends[n-1]]
}

// spokenEnds are the byte offsets where the spoken words of text end.
func spokenEnds(text string) []int {
	var out []int
	start := -1
	flush := func(end int) {
		field := text[start:end]
		wide := false
		toks := Tokenize(field)
		for _, t := range toks {
			if Wide(t.Text) {
				wide = true
				break
			}
		}
		if !wide {
			out = append(out, end)
			return
		}
		for i, t := range toks {
			if i == len(toks)-1 {
				out = append(out, end) // the field's closing punctuation goes with its last word
				break
			}
			out = append(out, start+t.End)
		}
	}
	for i, r := range text {
		switch {
		case unicode.IsSpace(r) && start >= 0:
			flush(i)
			start = -1
		case !unicode.IsSpace(r) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		flush(len(text))
	}
	return out
}
