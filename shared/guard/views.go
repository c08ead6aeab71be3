package guard

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The views of a text the rules run on. Each undoes one way of hiding an
// instruction from a keyword match; a rule that matches only in a view
// other than the plain one adds that view's signal.

// plain is the text in compatibility normal form (full-width and styled
// letters become plain ones, no-break spaces plain spaces) without
// zero-width and other invisible format characters, with every space but
// a line break made a plain space.
func plain(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
		case unicode.Is(unicode.Cf, r) || r == '\u034F' || (r >= '\uFE00' && r <= '\uFE0F'):
			continue
		case unicode.IsSpace(r):
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// latin folds look-alike letters of other scripts (Cyrillic, Greek,
// Armenian, small capitals) onto the Latin letters they imitate. It does
// so only in a text where some word mixes Latin letters with look-alikes
// (the mark of homoglyph spelling, as in "ignоre" with a Cyrillic о), and
// then in every word made of Latin letters and look-alikes only; a text
// in Russian or Greek stays as it is.
func latin(s string) string {
	if !hasNonLatinLetter(s) {
		return s
	}
	words := splitKeep(s)
	mixed := false
	for _, w := range words {
		if l, a, o := scripts(w); l > 0 && a > 0 && o == 0 {
			mixed = true
			break
		}
	}
	if !mixed {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, w := range words {
		if _, a, o := scripts(w); a > 0 && o == 0 {
			w = strings.Map(func(r rune) rune {
				if f := lookalikes[r]; f != 0 {
					return f
				}
				return r
			}, w)
		}
		b.WriteString(w)
	}
	return b.String()
}

func hasNonLatinLetter(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// splitKeep splits s into runs of letters and runs of everything else.
func splitKeep(s string) []string {
	var out []string
	start, inWord := 0, false
	for i, r := range s {
		w := unicode.IsLetter(r) || unicode.IsMark(r)
		if i > 0 && w != inWord {
			out = append(out, s[start:i])
			start = i
		}
		inWord = w
	}
	return append(out, s[start:])
}

// scripts counts a word's Latin letters, look-alikes and other letters.
func scripts(w string) (latinN, alikeN, otherN int) {
	for _, r := range w {
		switch {
		case lookalikes[r] != 0:
			alikeN++
		case r < 0x250 && unicode.IsLetter(r):
			latinN++
		case unicode.IsLetter(r):
			otherN++
		}
	}
	return latinN, alikeN, otherN
}

// lookalikes maps letters of other scripts to the Latin letter they look
// like (after NFKC, which already maps full-width and mathematical forms).
var lookalikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x',
	'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'һ': 'h', 'ɡ': 'g', 'ո': 'n', 'ս': 'u',
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'У': 'Y', 'Х': 'X',
	'І': 'I', 'Ј': 'J', 'Ѕ': 'S', 'Ԁ': 'D', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'I',
	// Greek
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ε': 'e', 'η': 'n',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	// small capitals and other Latin-extended look-alikes
	'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ɢ': 'g', 'ʜ': 'h', 'ɪ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm',
	'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p', 'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z',
}

// leet maps the digits and symbols of "l33t" spelling inside words that
// also hold letters (so numbers stay numbers).
func leet(s string) string {
	if !strings.ContainsAny(s, "0134578@$") {
		return s
	}
	return leetWord.ReplaceAllStringFunc(s, func(w string) string {
		if !strings.ContainsFunc(w, unicode.IsLetter) {
			return w
		}
		return strings.Map(func(r rune) rune {
			switch r {
			case '0':
				return 'o'
			case '1':
				return 'i'
			case '3':
				return 'e'
			case '4', '@':
				return 'a'
			case '5', '$':
				return 's'
			case '7':
				return 't'
			case '8':
				return 'b'
			}
			return r
		}, w)
	})
}

var leetWord = regexp.MustCompile(`[\pL0134578@$]*[0134578@$][\pL0134578@$]*`)

// despace joins letters written with a separator between each of them
// ("i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e") back into words. The
// separator used most is the one inside words; another one, or a longer
// gap, is the gap between words.
func despace(s string) string {
	return spaced.ReplaceAllStringFunc(s, func(run string) string {
		gaps := separators.FindAllString(run, -1)
		count := map[string]int{}
		for _, g := range gaps {
			count[g]++
		}
		inner, best := "", 0
		for g, n := range count {
			if n > best || (n == best && g < inner) {
				inner, best = g, n
			}
		}
		var b strings.Builder
		for i, part := range separators.Split(run, -1) {
			if i > 0 && gaps[i-1] != inner {
				b.WriteByte(' ')
			}
			b.WriteString(part)
		}
		return b.String()
	})
}

// squeezed returns the letter-spaced runs of s with every separator
// removed, one run a line: "i g n o r e a l l" is "ignoreall", for the
// compact rules.
func squeezed(s string) string {
	runs := spaced.FindAllString(s, maxBlobs)
	for i, r := range runs {
		runs[i] = separators.ReplaceAllString(r, "")
	}
	return strings.Join(runs, "\n")
}

var separators = regexp.MustCompile(`[ ._\-*·/|]{1,3}`)

var spaced = regexp.MustCompile(`(?:[\pL\pN][ ._\-*·/|]{1,3}){4,}[\pL\pN]`)

// rot13 rotates the Latin letters of s by 13.
func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// reverse returns s with its characters in reverse order.
func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// blob is a piece of text that was encoded in the input.
type blob struct {
	encoding string // base64, hex, url, escape
	text     string
}

var (
	base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{20,}={0,2}`)
	hexRun    = regexp.MustCompile(`(?i)(?:0x)?(?:[0-9a-f]{2}[ :,]?){12,}`)
	escapeRun = regexp.MustCompile(`(?i)(?:\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|&#x?[0-9a-f]{2,5};|0x[0-9a-f]{2}[ ,]*){6,}`)
	urlRun    = regexp.MustCompile(`(?:%[0-9A-Fa-f]{2}[^\s%]{0,3}){6,}`)
)

// maxBlobs bounds the encoded pieces decoded from one text.
const maxBlobs = 32

// decodeBlobs finds encoded pieces of text (base64, hex, percent
// encoding, escape sequences) that decode to readable text.
func decodeBlobs(s string) []blob {
	var out []blob
	add := func(enc string, b []byte) {
		if len(out) < maxBlobs && readable(b) {
			out = append(out, blob{enc, string(b)})
		}
	}
	for _, m := range base64Run.FindAllString(s, maxBlobs) {
		if b, ok := unbase64(m); ok {
			add("base64", b)
		}
	}
	for _, m := range hexRun.FindAllString(s, maxBlobs) {
		h := strings.NewReplacer(" ", "", ":", "", ",", "", "0x", "", "0X", "").Replace(m)
		if len(h)%2 == 1 {
			h = h[:len(h)-1]
		}
		if b, err := hex.DecodeString(h); err == nil {
			add("hex", b)
		}
	}
	for _, m := range escapeRun.FindAllString(s, maxBlobs) {
		if b, ok := unescape(m); ok {
			add("escape", b)
		}
	}
	for _, m := range urlRun.FindAllString(s, maxBlobs) {
		if d, err := url.PathUnescape(m); err == nil && d != m {
			add("url", []byte(d))
		}
	}
	return out
}

func unbase64(s string) ([]byte, bool) {
	t := strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(t); err == nil {
			return b, true
		}
	}
	// A run may start or end inside a longer word; try it trimmed to a
	// multiple of four.
	if n := len(t) / 4 * 4; n >= 16 && n != len(t) {
		if b, err := base64.RawStdEncoding.DecodeString(t[:n]); err == nil {
			return b, true
		}
	}
	return nil, false
}

var escapeToken = regexp.MustCompile(`(?i)\\x([0-9a-f]{2})|\\u([0-9a-f]{4})|&#x([0-9a-f]{2,5});|&#([0-9]{2,5});|0x([0-9a-f]{2})`)

func unescape(s string) ([]byte, bool) {
	var b strings.Builder
	for _, m := range escapeToken.FindAllStringSubmatch(s, -1) {
		var v uint64
		var err error
		switch {
		case m[1] != "":
			v, err = strconv.ParseUint(m[1], 16, 32)
		case m[2] != "":
			v, err = strconv.ParseUint(m[2], 16, 32)
		case m[3] != "":
			v, err = strconv.ParseUint(m[3], 16, 32)
		case m[4] != "":
			v, err = strconv.ParseUint(m[4], 10, 32)
		case m[5] != "":
			v, err = strconv.ParseUint(m[5], 16, 32)
		}
		if err != nil {
			return nil, false
		}
		b.WriteRune(rune(v))
	}
	return []byte(b.String()), b.Len() > 0
}

// readable reports whether decoded bytes are text a model would read as
// words: valid UTF-8, mostly letters and spaces, with some spaces.
func readable(b []byte) bool {
	if len(b) < 8 || !utf8.Valid(b) {
		return false
	}
	letters, spaces, other := 0, 0, 0
	for _, r := range string(b) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			letters++
		case unicode.IsSpace(r):
			spaces++
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
		default:
			other++
		}
	}
	n := letters + spaces + other
	return other == 0 && letters*10 >= n*6 && (spaces > 0 || letters >= 8)
}
