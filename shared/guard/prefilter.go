package guard

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// anchors returns literals one of which every match of a pattern
// contains, or nil when the pattern has no such set (it then runs on the
// whole view). Of a sequence, the part whose literals are longest is
// taken; of an alternation, the literals of every branch.
func anchors(pattern string) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	lits := required(re.Simplify())
	if minLen(lits) < 2 {
		return nil
	}
	return dedupe(lits)
}

func required(re *syntax.Regexp) []string {
	if ex := exact(re); ex != nil {
		return ex
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		return concat(re.Sub)
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l := required(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	}
	return nil
}

// maxExact bounds the strings a node is expanded into.
const maxExact = 64

// exact returns every string a node matches, when they are few and it
// matches nothing else; nil otherwise.
func exact(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			s = strings.ToLower(s)
		}
		return []string{s}
	case syntax.OpEmptyMatch:
		return []string{""}
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpQuest:
		if ex := exact(re.Sub[0]); ex != nil && len(ex) < maxExact {
			return append(ex, "")
		}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == 8 {
					return nil
				}
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			ex := exact(sub)
			if ex == nil || len(out)+len(ex) > maxExact {
				return nil
			}
			out = append(out, ex...)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			ex := exact(sub)
			if ex == nil {
				return nil
			}
			if out = product(out, ex); out == nil {
				return nil
			}
		}
		return out
	}
	return nil
}

// product is every a followed by every b, nil if there are too many.
func product(a, b []string) []string {
	if len(a)*len(b) > maxExact {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// concat picks the best literals of a sequence: runs of children with
// exact strings are expanded together ("忽" then "略|视" is "忽略|忽视"),
// and of those runs and the other children the one with the longest
// shortest literal wins.
func concat(subs []*syntax.Regexp) []string {
	var best []string
	consider := func(l []string) {
		if l != nil && (best == nil || minLen(l) > minLen(best) || (minLen(l) == minLen(best) && len(l) < len(best))) {
			best = l
		}
	}
	run := []string{""}
	flush := func() {
		consider(run)
		run = []string{""}
	}
	for _, sub := range subs {
		if ex := exact(sub); ex != nil {
			if p := product(run, ex); p != nil {
				run = p
				continue
			}
			flush()
			run = ex
			continue
		}
		flush()
		consider(required(sub))
	}
	flush()
	return best
}

func minLen(l []string) int {
	if len(l) == 0 {
		return 0
	}
	m := -1
	for _, s := range l {
		if n := utf8.RuneCountInString(s); m < 0 || n < m {
			m = n
		}
	}
	return m
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// window is how far around an anchor a match is looked for, in bytes:
// more than the longest match a rule is meant to find.
const window = 320

// matchNear reports whether r matches view, running the expression only
// on the stretches of view around its anchors.
func (r *rule) matchNear(view string) bool {
	if r.anchors == nil {
		return r.re.MatchString(view)
	}
	var spans [][2]int
	for _, a := range r.anchors {
		for from := 0; from < len(view); {
			i := strings.Index(view[from:], a)
			if i < 0 {
				break
			}
			at := from + i
			spans = append(spans, [2]int{max(0, at-window), min(len(view), at+len(a)+window)})
			from = at + len(a)
		}
	}
	if len(spans) == 0 {
		return false
	}
	for _, sp := range merge(spans) {
		lo, hi := sp[0], sp[1]
		// Start at a line start, so ^ in a multi-line pattern means one.
		if j := strings.LastIndexByte(view[max(0, lo-window):lo], '\n'); j >= 0 {
			lo = max(0, lo-window) + j + 1
		}
		for lo > 0 && !utf8.RuneStart(view[lo]) {
			lo--
		}
		for hi < len(view) && !utf8.RuneStart(view[hi]) {
			hi++
		}
		if r.re.MatchString(view[lo:hi]) {
			return true
		}
	}
	return false
}

// merge sorts spans and joins the overlapping ones.
func merge(spans [][2]int) [][2]int {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp[0] <= last[1] {
			last[1] = max(last[1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out
}
