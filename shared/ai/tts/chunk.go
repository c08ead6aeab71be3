package tts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split cuts text into pieces of at most max bytes of UTF-8, the unit of
// Cloud Text-to-Speech's input limit. It cuts between sentences, packing
// as many whole sentences into a piece as fit; a sentence longer than max
// is cut between words; only a single word longer than max (which no
// spoken text has) is cut between characters. White space between the
// pieces' words is normalized to single spaces.
func Split(text string, max int) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	add := func(piece string) {
		switch {
		case cur.Len() == 0:
			cur.WriteString(piece)
		case cur.Len()+1+len(piece) <= max:
			cur.WriteByte(' ')
			cur.WriteString(piece)
		default:
			flush()
			cur.WriteString(piece)
		}
	}
	for _, s := range Sentences(text) {
		if len(s) <= max {
			add(s)
			continue
		}
		// A sentence too long for one request: pack its words.
		for _, w := range strings.Fields(s) {
			if len(w) <= max {
				add(w)
				continue
			}
			flush()
			for w != "" {
				n := runeCut(w, max)
				out = append(out, w[:n])
				w = w[n:]
			}
		}
	}
	flush()
	return out
}

// runeCut returns the largest index ≤ max that is a rune boundary of s.
func runeCut(s string, max int) int {
	if len(s) <= max {
		return len(s)
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if n == 0 {
		_, n = utf8.DecodeRuneInString(s)
	}
	return n
}

// sentenceEnd reports runes that end a sentence when followed by space
// (or, for the full-width ones, by anything).
func sentenceEnd(r rune) (needsSpace, ok bool) {
	switch r {
	case '.', '!', '?', '…', ';':
		return true, true
	case '。', '！', '？', '；', '।', '؟':
		return false, true
	}
	return false, false
}

// Sentences splits text into sentences with normalized white space. A
// sentence ends at ".", "!", "?", "…" or ";" followed by white space
// (closing quotes and brackets stay with it), or at a full-width stop.
func Sentences(text string) []string {
	words := strings.Fields(text)
	var out []string
	var cur []string
	for _, w := range words {
		cur = append(cur, w)
		if endsSentence(w) {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	// Full-width stops end sentences inside a "word" (no spaces in CJK).
	var split []string
	for _, s := range out {
		split = append(split, splitFullWidth(s)...)
	}
	return split
}

func endsSentence(w string) bool {
	w = strings.TrimRightFunc(w, func(r rune) bool {
		return unicode.In(r, unicode.Pe, unicode.Pf) || r == '"' || r == '\''
	})
	r, _ := utf8.DecodeLastRuneInString(w)
	needsSpace, ok := sentenceEnd(r)
	return ok && needsSpace
}

func splitFullWidth(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if needsSpace, ok := sentenceEnd(r); ok && !needsSpace {
			end := i + utf8.RuneLen(r)
			if piece := strings.TrimSpace(s[start:end]); piece != "" {
				out = append(out, piece)
			}
			start = end
		}
	}
	if piece := strings.TrimSpace(s[start:]); piece != "" {
		out = append(out, piece)
	}
	return out
}
