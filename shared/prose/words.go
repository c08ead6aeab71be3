package prose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is one word of a text and its byte span.
type Token struct {
	Text       string
	Start, End int
}

// Tokenize returns the words of s: letters and digits, with inner hyphens
// and apostrophes kept ("light-dependent", "plant's"). Chinese and
// Japanese, written without spaces, are cut where the script changes: a
// run of Han characters, of Katakana or of Hiragana is one word
// ("光合成", "エネルギー", "は").
func Tokenize(s string) []Token {
	var out []Token
	start := -1
	prev := 0
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if !inWord && start >= 0 && isJoiner(r) && i+utf8.RuneLen(r) < len(s) {
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			inWord = unicode.IsLetter(next) || unicode.IsDigit(next)
		}
		sc := wideScript(r)
		if inWord && start >= 0 && sc != prev && (sc != 0 || prev != 0) && !(r == 'ー' && prev == katakana) {
			out = append(out, Token{Text: s[start:i], Start: start, End: i})
			start = -1
		}
		if r != 'ー' || prev != katakana {
			prev = sc
		}
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			out = append(out, Token{Text: s[start:i], Start: start, End: i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, Token{Text: s[start:], Start: start, End: len(s)})
	}
	return out
}

// The scripts written without spaces between words.
const (
	han = 1 + iota
	hiragana
	katakana
)

// wideScript is the script of a character of Chinese or Japanese, 0 for
// any other.
func wideScript(r rune) int {
	switch {
	case unicode.Is(unicode.Han, r):
		return han
	case unicode.Is(unicode.Hiragana, r):
		return hiragana
	case unicode.Is(unicode.Katakana, r):
		return katakana
	}
	return 0
}

// Wide reports a word of Chinese or Japanese.
func Wide(word string) bool {
	r, _ := utf8.DecodeRuneInString(word)
	return wideScript(r) != 0
}

func isJoiner(r rune) bool { return r == '-' || r == '\'' || r == '’' || r == '‐' }

// ContentWord reports a lower-cased word worth counting as a term: not a
// stop word, not a bare number, at least three letters (or an acronym of
// two, which the caller passes upper case); in Chinese and Japanese a run
// of two or more Han or Katakana characters (Hiragana are particles and
// endings).
func ContentWord(lower, surface string) bool {
	if StopWords[lower] {
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
	r, _ := utf8.DecodeRuneInString(lower)
	switch wideScript(r) {
	case hiragana:
		return false // particles and endings
	case han, katakana:
		return utf8.RuneCountInString(lower) >= 2
	}
	if utf8.RuneCountInString(lower) >= 3 {
		return true
	}
	return letters == 2 && strings.ToUpper(surface) == surface
}

// SetOf makes a set of the words of a space-separated list.
func SetOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// StopWords are English, German and French function words, and a few
// words too vague to be key terms.
var StopWords = SetOf(`
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

// pointers open a text that leans on something outside it ("This pledge
// is known as …", "It was …").
var pointers = SetOf(`this these that those it its they their them he she his her such both
	dies diese dieser dieses er ce cette ces cela ceci`)

// LeansBack reports whether a text opens with a word that points to
// something before it ("This pledge…", "It…", "The latter…"): taken out
// of its paragraph, it cannot stand alone. It returns that word.
func LeansBack(text string) (string, bool) {
	toks := Tokenize(text)
	if len(toks) == 0 {
		return "", false
	}
	first := strings.ToLower(toks[0].Text)
	if pointers[first] || (first == "the" && len(toks) > 1 && (strings.EqualFold(toks[1].Text, "latter") || strings.EqualFold(toks[1].Text, "former"))) {
		return toks[0].Text, true
	}
	return "", false
}
