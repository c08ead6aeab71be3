package pdf

import (
	"strings"
	"unicode"
)

// The PDF library draws one glyph per rune, left to right, with no
// shaping. Arabic is therefore shaped here into its presentation forms
// (each letter in the form its neighbours call for, lam-alef as one
// ligature), and right-to-left words are drawn reversed, in right-to-left
// order (see line.visual). That is legible Arabic and Hebrew without a
// shaping engine; marks (harakat) are left out, and letters with no
// presentation form in Unicode's Forms-B block (Persian and Urdu ones)
// stay in their isolated form.

// arabicForms maps a letter to its isolated, final, initial and medial
// forms; a letter with no initial form joins only to the letter before.
var arabicForms = map[rune][4]rune{
	0x0621: {0xFE80, 0, 0, 0},
	0x0622: {0xFE81, 0xFE82, 0, 0},
	0x0623: {0xFE83, 0xFE84, 0, 0},
	0x0624: {0xFE85, 0xFE86, 0, 0},
	0x0625: {0xFE87, 0xFE88, 0, 0},
	0x0626: {0xFE89, 0xFE8A, 0xFE8B, 0xFE8C},
	0x0627: {0xFE8D, 0xFE8E, 0, 0},
	0x0628: {0xFE8F, 0xFE90, 0xFE91, 0xFE92},
	0x0629: {0xFE93, 0xFE94, 0, 0},
	0x062A: {0xFE95, 0xFE96, 0xFE97, 0xFE98},
	0x062B: {0xFE99, 0xFE9A, 0xFE9B, 0xFE9C},
	0x062C: {0xFE9D, 0xFE9E, 0xFE9F, 0xFEA0},
	0x062D: {0xFEA1, 0xFEA2, 0xFEA3, 0xFEA4},
	0x062E: {0xFEA5, 0xFEA6, 0xFEA7, 0xFEA8},
	0x062F: {0xFEA9, 0xFEAA, 0, 0},
	0x0630: {0xFEAB, 0xFEAC, 0, 0},
	0x0631: {0xFEAD, 0xFEAE, 0, 0},
	0x0632: {0xFEAF, 0xFEB0, 0, 0},
	0x0633: {0xFEB1, 0xFEB2, 0xFEB3, 0xFEB4},
	0x0634: {0xFEB5, 0xFEB6, 0xFEB7, 0xFEB8},
	0x0635: {0xFEB9, 0xFEBA, 0xFEBB, 0xFEBC},
	0x0636: {0xFEBD, 0xFEBE, 0xFEBF, 0xFEC0},
	0x0637: {0xFEC1, 0xFEC2, 0xFEC3, 0xFEC4},
	0x0638: {0xFEC5, 0xFEC6, 0xFEC7, 0xFEC8},
	0x0639: {0xFEC9, 0xFECA, 0xFECB, 0xFECC},
	0x063A: {0xFECD, 0xFECE, 0xFECF, 0xFED0},
	0x0641: {0xFED1, 0xFED2, 0xFED3, 0xFED4},
	0x0642: {0xFED5, 0xFED6, 0xFED7, 0xFED8},
	0x0643: {0xFED9, 0xFEDA, 0xFEDB, 0xFEDC},
	0x0644: {0xFEDD, 0xFEDE, 0xFEDF, 0xFEE0},
	0x0645: {0xFEE1, 0xFEE2, 0xFEE3, 0xFEE4},
	0x0646: {0xFEE5, 0xFEE6, 0xFEE7, 0xFEE8},
	0x0647: {0xFEE9, 0xFEEA, 0xFEEB, 0xFEEC},
	0x0648: {0xFEED, 0xFEEE, 0, 0},
	0x0649: {0xFEEF, 0xFEF0, 0, 0},
	0x064A: {0xFEF1, 0xFEF2, 0xFEF3, 0xFEF4},
}

// lamAlef maps the alef that follows a lam to the ligature's isolated
// form (the final form is the next code point).
var lamAlef = map[rune]rune{0x0622: 0xFEF5, 0x0623: 0xFEF7, 0x0625: 0xFEF9, 0x0627: 0xFEFB}

const tatweel = 0x0640

// isArabicMark reports the combining marks of Arabic, which are dropped.
func isArabicMark(r rune) bool {
	return (r >= 0x064B && r <= 0x065F) || r == 0x0670 || (r >= 0x06D6 && r <= 0x06ED)
}

// joinsNext reports whether a letter connects to the letter after it.
func joinsNext(r rune) bool {
	if r == tatweel {
		return true
	}
	f, ok := arabicForms[r]
	return ok && f[2] != 0
}

// joins reports whether a letter connects to the letter before it.
func joins(r rune) bool {
	if r == tatweel {
		return true
	}
	f, ok := arabicForms[r]
	return ok && f[1] != 0
}

// shapeArabic replaces Arabic letters by their contextual presentation
// forms, in logical order.
func shapeArabic(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) {
		return s
	}
	var in []rune
	for _, r := range s {
		if !isArabicMark(r) {
			in = append(in, r)
		}
	}
	out := make([]rune, 0, len(in))
	for i := 0; i < len(in); i++ {
		r := in[i]
		forms, ok := arabicForms[r]
		if !ok {
			out = append(out, r)
			continue
		}
		prev := i > 0 && joinsNext(in[i-1])
		if r == 0x0644 && i+1 < len(in) {
			if lig, ok := lamAlef[in[i+1]]; ok {
				if prev {
					lig++
				}
				out = append(out, lig)
				i++
				continue
			}
		}
		next := i+1 < len(in) && joins(in[i+1]) && forms[2] != 0
		switch {
		case prev && next:
			out = append(out, forms[3])
		case prev:
			out = append(out, forms[1])
		case next:
			out = append(out, forms[2])
		default:
			out = append(out, forms[0])
		}
	}
	return string(out)
}

// isRTL reports a rune of a right-to-left script.
func isRTL(r rune) bool {
	return unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko)
}

// isLTR reports a rune with a strong left-to-right direction.
func isLTR(r rune) bool { return unicode.IsLetter(r) && !isRTL(r) }

// direction of a text: +1 left to right, -1 right to left, 0 neutral;
// the first strong letter decides.
func direction(s string) int {
	for _, r := range s {
		switch {
		case isRTL(r):
			return -1
		case isLTR(r):
			return 1
		}
	}
	return 0
}

var mirrors = map[rune]rune{'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<', '«': '»', '»': '«'}

// reverseRTL reverses a right-to-left word for drawing left to right,
// mirroring brackets, and keeping runs of digits in their order.
func reverseRTL(s string) string {
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for i := len(rs) - 1; i >= 0; {
		if unicode.IsDigit(rs[i]) {
			j := i
			for j > 0 && (unicode.IsDigit(rs[j-1]) || (j > 1 && (rs[j-1] == '.' || rs[j-1] == ',') && unicode.IsDigit(rs[j-2]))) {
				j--
			}
			out = append(out, rs[j:i+1]...)
			i = j - 1
			continue
		}
		if m, ok := mirrors[rs[i]]; ok {
			out = append(out, m)
		} else {
			out = append(out, rs[i])
		}
		i--
	}
	return string(out)
}

// breaksAround reports a rune a line may break before and after with no
// space: the ideographs, kana and full-width punctuation of CJK text.
func breaksAround(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}
