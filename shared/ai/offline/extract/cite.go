package extract

import (
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// maxCitations bounds the passages one item cites (the schema allows 8).
const maxCitations = 8

// citeMinRecall is the share of a sentence's content words a passage must
// hold to be cited for it when no passage holds the sentence word for
// word: a sentence the extractor shortened or joined still comes from
// the passage that holds most of its words.
const citeMinRecall = 0.75

// citer finds the passages the extractor took a sentence from.
type citer struct {
	ids   []string
	words []string          // each passage's words, lower case, joined by spaces
	stems []map[string]bool // each passage's content stems
	lang  string
}

func newCiter(set *content.SourceSet, lang string) *citer {
	c := &citer{lang: lang}
	if set == nil {
		return c
	}
	for _, p := range set.Passages {
		c.ids = append(c.ids, p.ID)
		c.words = append(c.words, " "+wordLine(p.Text)+" ")
		st := map[string]bool{}
		for _, w := range prose.ContentStems(p.Text) {
			st[w] = true
		}
		c.stems = append(c.stems, st)
	}
	return c
}

// wordLine is a text's words, lower case, joined by single spaces: two
// texts with the same words compare equal whatever their punctuation.
func wordLine(s string) string {
	toks := prose.Tokenize(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = strings.ToLower(t.Text)
	}
	return strings.Join(out, " ")
}

// cite sets the citations of every item of a document (a pointer to its
// format's struct) to the passages its sentences were taken from: the
// passage that holds a sentence word for word, else the one that holds
// most of its content words when that is at least citeMinRecall of them.
// A sentence the extractor wrote itself (a template) cites nothing; an
// item none of whose sentences is found keeps the citations its generator
// gave it (a quiz question cites the passages its question was made from).
func (c *citer) cite(doc any) {
	if len(c.ids) == 0 {
		return
	}
	for _, it := range content.CitedItems(doc) {
		var ids []string
		for _, text := range it.Texts {
			for _, s := range prose.Sentences(text, c.lang) {
				if i := c.source(s); i >= 0 && !slices.Contains(ids, c.ids[i]) && len(ids) < maxCitations {
					ids = append(ids, c.ids[i])
				}
			}
		}
		if len(ids) > 0 || len(it.Cited.Citations) == 0 {
			it.Cited.Citations = ids
		}
	}
}

// source returns the index of the passage a sentence comes from, or -1.
func (c *citer) source(sentence string) int {
	line := wordLine(strings.ReplaceAll(sentence, "_____", " "))
	if strings.Count(line, " ") >= 2 {
		for i, w := range c.words {
			if strings.Contains(w, " "+line+" ") {
				return i
			}
		}
	}
	stems := prose.ContentStems(sentence)
	if len(stems) < 2 {
		return -1
	}
	slices.Sort(stems)
	stems = slices.Compact(stems)
	best, bestRecall := -1, 0.0
	for i, have := range c.stems {
		n := 0
		for _, w := range stems {
			if have[w] {
				n++
			}
		}
		if r := float64(n) / float64(len(stems)); r > bestRecall {
			best, bestRecall = i, r
		}
	}
	if bestRecall < citeMinRecall {
		return -1
	}
	return best
}
