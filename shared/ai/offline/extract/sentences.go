package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a period but seldom end a sentence (compared
// lower case, without the final period).
var abbreviations = setOf(`e.g i.e cf vs al dr mr mrs ms prof st fig figs no nos vol approx ca
	inc ltd co jr sr dept eq sec ch pp resp
	z.b d.h u.a bzw usw vgl ggf evtl nr bspw sog mme mlle env av apr`)

// closers may follow a sentence's final punctuation.
const closers = `"'”’»)]`

// splitSentences splits one paragraph of prose into sentences. A sentence
// ends at ".", "!", "?" or "…" (with any closing quotes or brackets) that is
// followed by white space and then by something that can start a
// sentence. Decimals ("3.5") and abbreviations ("e.g.", "Dr.", "z. B.")
// do not end sentences. With German text, a one- or two-digit number
// followed by a period is read as an ordinal ("am 14. Juli").
func splitSentences(text, lang string) []string {
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
		if end < len(runes) && !unicode.IsSpace(runes[end]) {
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

// token is one word of a sentence and its byte span.
type token struct {
	text       string
	start, end int
}

// tokenize returns the words of s: letters and digits, with inner hyphens
// and apostrophes kept ("light-dependent", "plant's").
func tokenize(s string) []token {
	var out []token
	start := -1
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if !inWord && start >= 0 && isJoiner(r) && i+utf8.RuneLen(r) < len(s) {
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			inWord = unicode.IsLetter(next) || unicode.IsDigit(next)
		}
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			out = append(out, token{text: s[start:i], start: start, end: i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, token{text: s[start:], start: start, end: len(s)})
	}
	return out
}

func isJoiner(r rune) bool { return r == '-' || r == '\'' || r == '’' || r == '‐' }

// contentWord reports a lower-cased word worth counting as a term: not a
// stop word, not a bare number, at least three letters (or an acronym of
// two, which the caller passes upper case).
func contentWord(lower, surface string) bool {
	if stopWords[lower] {
		return false
	}
	letters := 0
	for _, r := range lower {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		return false
	}
	if utf8.RuneCountInString(lower) >= 3 {
		return true
	}
	return letters == 2 && strings.ToUpper(surface) == surface
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// stopWords are English, German and French function words, and a few
// words too vague to be key terms.
var stopWords = setOf(`
a about above after again against all almost also although always am among an and another any are around as at
be became because been before being below between both but by can cannot could did do does doing done down during
each either else enough even ever every few for from further get gets got had has have having he her here hers
herself him himself his how however i if in into is it its itself just less like made make makes many may me
might more most much must my myself near need needs neither never no nor not now of off often on once one only
onto or other others otherwise our ours ourselves out over own per perhaps quite rather really same several shall
she should since so some something sometimes still such than that the their theirs them themselves then there
these they this those though through thus to too toward towards under until up upon us use used uses using very
via was we well were what when where whether which while who whom whose why will with within without would yet
you your yours yourself yourselves let lets first second third new old way ways thing things lot lots part parts
called known also example examples include includes including usually typically generally mostly simply another
around each every kind kinds type types number numbers time times less least mainly instead already yes okay
der die das des dem den ein eine einer eines einem einen und oder aber doch sondern denn dass daß ist sind war
waren wird werden wurde wurden sein seine seiner seinem seinen ihr ihre ihrer ihrem ihren er sie es wir ihr man
mit von vom zu zum zur auf aus bei nach vor über unter durch für gegen ohne um an am im in ins als wie auch noch
nur schon sehr mehr nicht kein keine keiner auch so dann wenn weil damit dies diese dieser dieses diesem diesen
jener jede jeder jedes alle allem allen aller etwa bis seit hat haben hatte hatten kann können konnte sich wo
le la les un une des du de d l et ou mais donc car ni que qui quoi dont où est sont était étaient être a ont
avait avaient avoir il elle ils elles on nous vous je tu se sa son ses leur leurs ce cet cette ces au aux en
dans par pour sur sous avec sans entre vers chez plus moins très aussi ne pas comme tout tous toute toutes
`)
