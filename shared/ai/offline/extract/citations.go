package extract

import (
	"slices"
	"strings"
)

// cite returns the ids of the passages the texts were taken from, in
// passage order: the passage that holds each text (compared without case
// or extra space), or, for a text the extractor reworded (Markdown
// removed, lines joined), the passage sharing most of its words when it
// shares at least half. Texts that are the extractor's own words cite
// nothing; so does a job without sources.
func (a *analysis) cite(texts ...string) []string {
	out := []string{}
	if a.set == nil {
		return out
	}
	if a.norms == nil {
		a.norms = make([]string, len(a.set.Passages))
		for i, p := range a.set.Passages {
			a.norms[i] = normKey(p.Text)
		}
	}
	found := map[int]bool{}
	for _, t := range texts {
		if i := a.passageOf(t); i >= 0 {
			found[i] = true
		}
	}
	idx := make([]int, 0, len(found))
	for i := range found {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx[:min(len(idx), maxCitations)] {
		out = append(out, a.set.Passages[i].ID)
	}
	return out
}

// passageOf is the index of the passage a text comes from, or -1.
func (a *analysis) passageOf(text string) int {
	key := normKey(text)
	if key == "" {
		return -1
	}
	for i, n := range a.norms {
		if strings.Contains(n, key) {
			return i
		}
	}
	words := distinct(strings.Fields(key))
	best, most := -1, 0
	for i, n := range a.norms {
		have := 0
		for _, w := range words {
			if strings.Contains(n, w) {
				have++
			}
		}
		if have > most {
			best, most = i, have
		}
	}
	if most*2 < len(words) {
		return -1
	}
	return best
}
