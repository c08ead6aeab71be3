package extract

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// term is a key term of the source: a frequent content word, a frequent
// run of two or three content words, or a defined term.
type term struct {
	key     string // lower case
	display string // as the text writes it inside a sentence
	words   int
	count   int
	score   float64
	sents   []int // sentences that contain it, in order
	def     int   // index into analysis.defs, or -1
}

// maxTerms bounds the key terms kept.
const maxTerms = 60

// termStats accumulates the occurrences of one candidate term.
type termStats struct {
	count    int
	sents    []int
	inner    map[string]int // surface forms inside sentences
	initial  map[string]int // surface forms opening a sentence
	capitals bool           // every word capitalized (a name)
}

// findTerms ranks candidate terms by frequency and weight.
func (a *analysis) findTerms() {
	stats := map[string]*termStats{}
	for i, s := range a.sents {
		a.countNGrams(stats, i, s.text)
	}
	minCount := 2
	if len(a.sents) < 6 {
		minCount = 1
	}
	defKeys := map[string]int{}
	for i, d := range a.defs {
		defKeys[normKey(d.term)] = i
	}
	var terms []term
	for key, st := range stats {
		def, defined := defKeys[key]
		if !defined {
			def = -1
		}
		n := len(strings.Fields(key))
		if st.count < minCount && !defined && !(n > 1 && st.capitals && len(st.inner) > 0 && a.namesCapitalized()) {
			continue
		}
		terms = append(terms, term{key: key, words: n, count: st.count, sents: st.sents, def: def,
			display: a.displayForm(st), score: a.termScore(key, st, defined)})
	}
	terms = a.addDefinedTerms(terms, defKeys, stats)
	terms = dropSubsumed(terms)
	slices.SortFunc(terms, func(x, y term) int {
		switch {
		case x.score > y.score:
			return -1
		case x.score < y.score:
			return 1
		}
		return strings.Compare(x.key, y.key)
	})
	a.terms = terms[:min(maxTerms, len(terms))]
}

// namesCapitalized reports whether capitals inside a sentence mark names;
// German capitalizes every noun.
func (a *analysis) namesCapitalized() bool {
	return !strings.HasPrefix(strings.ToLower(a.req.Language), "de")
}

// countNGrams counts the content words of a sentence and the runs of two
// or three of them with only a space between.
func (a *analysis) countNGrams(stats map[string]*termStats, sent int, text string) {
	toks := tokenize(text)
	for i := range toks {
		for n := 1; n <= 3 && i+n <= len(toks); n++ {
			run := toks[i : i+n]
			if !contentRun(text, run) {
				break
			}
			surface := text[run[0].Start:run[n-1].End]
			key := strings.ToLower(surface)
			st := stats[key]
			if st == nil {
				st = &termStats{inner: map[string]int{}, initial: map[string]int{}, capitals: true}
				stats[key] = st
			}
			st.count++
			if len(st.sents) == 0 || st.sents[len(st.sents)-1] != sent {
				st.sents = append(st.sents, sent)
			}
			if i == 0 {
				st.initial[surface]++
			} else {
				st.inner[surface]++
				st.capitals = st.capitals && allCapitalized(run)
			}
		}
	}
}

// contentRun reports a run of content words separated by single spaces.
func contentRun(text string, run []token) bool {
	for j, t := range run {
		if !contentWord(strings.ToLower(t.Text), t.Text) {
			return false
		}
		if j > 0 && text[run[j-1].End:t.Start] != " " {
			return false
		}
		if t.End < len(text) && text[t.End] == '-' {
			return false // the first half of "Menschen- und Bürgerrechte"
		}
	}
	return true
}

func allCapitalized(run []token) bool {
	for _, t := range run {
		r, _ := utf8.DecodeRuneInString(t.Text)
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// displayForm is the most frequent surface form inside sentences, or the
// sentence-opening form made natural.
func (a *analysis) displayForm(st *termStats) string {
	if form := mostFrequent(st.inner); form != "" {
		return form
	}
	return a.natural(mostFrequent(st.initial))
}

func mostFrequent(forms map[string]int) string {
	best, bestN := "", 0
	for f, n := range forms {
		if n > bestN || (n == bestN && f < best) {
			best, bestN = f, n
		}
	}
	return best
}

func (a *analysis) termScore(key string, st *termStats, defined bool) float64 {
	words := strings.Fields(key)
	idf := 0.0
	topic := false
	for _, w := range words {
		idf += a.idf[w]
		topic = topic || a.topicWords[w]
	}
	idf /= float64(len(words))
	score := float64(st.count) * idf * (1 + 0.5*float64(len(words)-1))
	if topic {
		score *= 1.3
	}
	if defined {
		score = score*2 + 3
	}
	return score
}

// addDefinedTerms adds the defined terms no n-gram counted (longer ones,
// or ones holding stop words).
func (a *analysis) addDefinedTerms(terms []term, defKeys map[string]int, stats map[string]*termStats) []term {
	for _, d := range a.defs {
		key := normKey(d.term)
		if _, ok := stats[key]; ok {
			continue
		}
		var sents []int
		for i, s := range a.sents {
			if strings.Contains(strings.ToLower(s.text), key) {
				sents = append(sents, i)
			}
		}
		terms = append(terms, term{key: key, display: a.natural(d.term), words: len(strings.Fields(key)),
			count: max(1, len(sents)), sents: sents, def: defKeys[key], score: 3 + float64(len(sents))})
	}
	return terms
}

// dropSubsumed removes a term that nearly always occurs inside a longer
// kept term ("cycle" inside "Calvin cycle"), unless it is defined.
func dropSubsumed(terms []term) []term {
	var out []term
	for _, t := range terms {
		subsumed := false
		for _, longer := range terms {
			if longer.words > t.words && containsWords(longer.key, t.key) && float64(longer.count) >= 0.75*float64(t.count) {
				subsumed = true
				break
			}
		}
		if !subsumed || t.def >= 0 {
			out = append(out, t)
		}
	}
	return out
}

// containsWords reports whether phrase holds part as whole words.
func containsWords(phrase, part string) bool {
	return strings.Contains(" "+phrase+" ", " "+part+" ")
}

// termsIn returns the key terms occurring in any of the sentences, best
// first.
func (a *analysis) termsIn(sents []int) []term {
	in := map[int]bool{}
	for _, i := range sents {
		in[i] = true
	}
	var out []term
	for _, t := range a.terms {
		for _, i := range t.sents {
			if in[i] {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// subjectSentence returns a sentence that opens with the term (after an
// article) followed by "is" or "are", which says what the term is:
// "Stomata are tiny pores …". It returns -1 when there is none.
func (a *analysis) subjectSentence(t term) int {
	want := strings.Fields(t.key)
	for _, i := range t.sents {
		toks := tokenize(a.sents[i].text)
		if len(toks) > 0 {
			switch strings.ToLower(toks[0].Text) {
			case "the", "a", "an", "der", "die", "das", "le", "la", "les":
				toks = toks[1:]
			}
		}
		if len(toks) <= len(want) || !copulas[strings.ToLower(toks[len(want)].Text)] {
			continue
		}
		match := true
		for j, w := range want {
			if strings.ToLower(toks[j].Text) != w {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// copulas link a subject to what it is.
var copulas = setOf("is are was were ist sind war waren est sont était étaient")

// explained returns the key terms, other than defined ones and the topic,
// that some sentence opens with, and that sentence.
func (a *analysis) explained() []termSentence {
	var out []termSentence
	for _, t := range a.terms {
		if t.def >= 0 || mentions(a.req.Topic, t.key) {
			continue
		}
		if i := a.subjectSentence(t); i >= 0 {
			out = append(out, termSentence{t, i})
		}
	}
	return out
}

// termSentence is a term and the sentence that explains it.
type termSentence struct {
	term term
	sent int
}
