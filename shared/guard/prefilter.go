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

// anchorSet finds the anchors of a set of rules in a view in one pass
// over it, instead of one substring search per anchor (a thousand
// searches of the whole view): it looks at each byte pair of the view
// and tries only the anchors that start with it.
type anchorSet struct {
	anchors []string
	// ids are the anchors of each rule of the set, by the rule's index.
	ids [][]int32
	// pairs has a bit for each first byte pair of an anchor; byPair
	// lists the anchors by their first byte pair.
	pairs  [1 << 16 / 64]uint64
	byPair map[uint16][]int32
}

func newAnchorSet(set []rule) *anchorSet {
	a := &anchorSet{ids: make([][]int32, len(set)), byPair: map[uint16][]int32{}}
	seen := map[string]int32{}
	for i, r := range set {
		for _, lit := range r.anchors {
			id, ok := seen[lit]
			if !ok {
				id = int32(len(a.anchors))
				seen[lit] = id
				a.anchors = append(a.anchors, lit)
				// anchors are at least two runes, so two bytes or more.
				k := uint16(lit[0])<<8 | uint16(lit[1])
				a.pairs[k>>6] |= 1 << (k & 63)
				a.byPair[k] = append(a.byPair[k], id)
			}
			a.ids[i] = append(a.ids[i], id)
		}
	}
	return a
}

// find returns where each anchor occurs in view, by anchor id: the
// occurrences a search from the left finds, each after the end of the
// one before.
func (a *anchorSet) find(view string) [][]int {
	hits := make([][]int, len(a.anchors))
	next := make([]int, len(a.anchors)) // where an anchor's next occurrence may start
	for i := 0; i+1 < len(view); i++ {
		k := uint16(view[i])<<8 | uint16(view[i+1])
		if a.pairs[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, id := range a.byPair[k] {
			if lit := a.anchors[id]; i >= next[id] && strings.HasPrefix(view[i:], lit) {
				hits[id] = append(hits[id], i)
				next[id] = i + len(lit)
			}
		}
	}
	return hits
}

// matchNear reports whether r matches view, running the expression only
// on the stretches of view around its anchors: hits are where every
// anchor of r's set occurs in view (find), ids the set's ids of r's
// anchors.
func (r *rule) matchNear(view string, hits [][]int, ids []int32) bool {
	if r.anchors == nil {
		return r.re.MatchString(view)
	}
	var spans [][2]int
	for j, a := range r.anchors {
		for _, at := range hits[ids[j]] {
			spans = append(spans, [2]int{max(0, at-window), min(len(view), at+len(a)+window)})
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
