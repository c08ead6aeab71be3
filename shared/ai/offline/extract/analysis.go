package extract

import (
	"math"
	"slices"
	"strings"
	"unicode"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// Section counts an outline must have.
const (
	minSections = 3
	maxSections = 15
)

// analysis is everything the generators know about a request: the source
// split into sentences and sections, its ranked sentences, key terms and
// definitions. It is rebuilt for every document from the same request, so
// all formats of a job agree with each other.
type analysis struct {
	req *content.Request
	// phrases are the request's language's (nil: English).
	phrases phrases
	// set is the job's sources (nil: none), which items cite; norms are
	// its passages' texts as cite compares them.
	set   *content.SourceSet
	norms []string
	// pace is how fast the podcast's voices speak.
	pace       content.Pace
	title      string
	sents      []sentence
	defs       []definition
	terms      []term
	sections   []section
	lowerForms map[string]bool // words seen in lower case inside a sentence
	upperForms map[string]bool // words seen capitalized inside a sentence
	topicWords map[string]bool
	idf        map[string]float64
}

// sentence is one sentence of the source text.
type sentence struct {
	text  string
	para  int
	first bool     // first sentence of its paragraph
	words []string // content words, lower case, in order
	score float64
}

// section is a part of the material: a stretch of the source, or a
// templated part when the source is missing or too short.
type section struct {
	title  string
	sents  []int
	desc   string   // templated sections only
	points []string // templated sections only
	intro  bool     // text before the first heading
	named  bool     // titled after its key terms rather than a heading
	// objective is a templated section's learning objective.
	objective string
}

func (s section) templated() bool { return len(s.sents) == 0 }

// analyze reads a request's topic and source text.
// analyze reads the job's sources (their passages, nil for none) for a
// request.
func analyze(req *content.Request, set *content.SourceSet) *analysis {
	a := &analysis{
		req:        req,
		phrases:    phrasesFor(req.Language),
		set:        set,
		pace:       content.DefaultPace,
		title:      truncate(capitalize(req.Topic), 200),
		lowerForms: map[string]bool{},
		upperForms: map[string]bool{},
		topicWords: map[string]bool{},
		idf:        map[string]float64{},
	}
	for i, t := range tokenize(req.Topic) {
		lower := strings.ToLower(t.Text)
		if contentWord(lower, t.Text) {
			a.topicWords[lower] = true
		}
		if i > 0 && lower != t.Text {
			a.upperForms[lower] = true
		}
	}
	blocks := parseSource(passageText(set))
	blockSents := a.readBlocks(blocks)
	a.findDefinitions()
	a.weigh()
	a.findTerms()
	a.buildSections(blocks, blockSents)
	return a
}

func (a *analysis) hasSource() bool { return len(a.sents) > 0 }

// readBlocks splits every paragraph into sentences and returns, for each
// block, the indexes of its sentences.
func (a *analysis) readBlocks(blocks []block) [][]int {
	out := make([][]int, len(blocks))
	para := 0
	for i, b := range blocks {
		if b.heading {
			continue
		}
		first := true
		for _, unit := range b.units() {
			for _, text := range splitSentences(unit, a.req.Language) {
				if !hasLetter(text) {
					continue
				}
				out[i] = append(out[i], len(a.sents))
				a.sents = append(a.sents, a.newSentence(text, para, first))
				first = false
			}
		}
		para++
	}
	return out
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

func (a *analysis) newSentence(text string, para int, first bool) sentence {
	s := sentence{text: text, para: para, first: first}
	for i, t := range tokenize(text) {
		lower := strings.ToLower(t.Text)
		switch {
		case i == 0:
		case lower == t.Text:
			a.lowerForms[lower] = true
		default:
			a.upperForms[lower] = true
		}
		if contentWord(lower, t.Text) {
			s.words = append(s.words, lower)
		}
	}
	return s
}

// findDefinitions collects the first definition of every term.
func (a *analysis) findDefinitions() {
	seen := uniqueSet{}
	for i, s := range a.sents {
		for _, d := range findDefinitions(s.text) {
			if seen.add(d.term) {
				d.sent = i
				a.defs = append(a.defs, d)
			}
		}
	}
}

// weigh scores every sentence: how much weight its words carry in the
// text (TF-IDF over sentences), how much it shares with the topic, where it
// stands, and whether it defines a term.
func (a *analysis) weigh() {
	n := len(a.sents)
	if n == 0 {
		return
	}
	df, tf := map[string]int{}, map[string]int{}
	for _, s := range a.sents {
		for _, w := range s.words {
			tf[w]++
		}
		for _, w := range distinct(s.words) {
			df[w]++
		}
	}
	for w, d := range df {
		a.idf[w] = math.Log(1 + float64(n)/float64(d))
	}
	defined := map[int]bool{}
	for _, d := range a.defs {
		defined[d.sent] = true
	}
	raw := make([]float64, n)
	best := 0.0
	for i, s := range a.sents {
		for _, w := range distinct(s.words) {
			raw[i] += float64(tf[w]) * a.idf[w]
		}
		raw[i] /= 1 + math.Log(1+float64(len(s.words)))
		best = max(best, raw[i])
	}
	for i := range a.sents {
		a.sents[i].score = a.sentenceScore(i, raw[i]/max(best, 1e-9), defined[i])
	}
}

func (a *analysis) sentenceScore(i int, weight float64, defines bool) float64 {
	s := a.sents[i]
	score := weight
	if len(a.topicWords) > 0 {
		shared := 0
		for _, w := range distinct(s.words) {
			if a.topicWords[w] {
				shared++
			}
		}
		score += 0.8 * float64(shared) / float64(len(a.topicWords))
	}
	if s.first {
		score += 0.3
	}
	score += 0.3 * (1 - float64(i)/float64(len(a.sents)))
	if defines {
		score += 0.4
	}
	words := wordCount(s.text)
	switch {
	case words < 4:
		score -= 0.6
	case words > 60:
		score -= 0.3
	}
	if questionMark(s.text) {
		score -= 0.4
	}
	return score
}

func distinct(words []string) []string {
	out := slices.Clone(words)
	slices.Sort(out)
	return slices.Compact(out)
}

// natural writes a phrase the way it appears inside a sentence. Its first
// word loses its capital when the text writes it in lower case, or only
// ever capitalizes it at the start of a sentence or in a heading; a word
// capitalized inside sentences is a name and keeps it. In other languages,
// which capitalize differently, only a leading function word ("La
// fotosíntesis") loses its capital.
func (a *analysis) natural(phrase string) string {
	first, _, _ := strings.Cut(phrase, " ")
	if !a.english() {
		if stopWords[strings.ToLower(first)] {
			return lowerFirst(phrase) // an article: "la fotosíntesis"
		}
		return phrase
	}
	key := strings.ToLower(first)
	switch {
	case a.lowerForms[key], stopWords[key]:
		return lowerFirst(phrase)
	case a.upperForms[key]:
		return phrase
	}
	return lowerFirst(phrase)
}

// titlePhrase is a title as it reads inside a sentence.
func (a *analysis) titlePhrase(title string) string {
	if normKey(title) == normKey(a.req.Topic) {
		return a.topicPhrase()
	}
	return a.natural(title)
}

// english reports whether the request is in English (or names no
// language).
func (a *analysis) english() bool {
	lang := strings.ToLower(a.req.Language)
	return lang == "" || lang == "en" || strings.HasPrefix(lang, "en-")
}

// topicPhrase is the topic as it reads inside a sentence. Without a source
// text to tell common words from names, only a leading function word
// ("The history of …") loses its capital.
func (a *analysis) topicPhrase() string {
	first, _, _ := strings.Cut(a.req.Topic, " ")
	if a.hasSource() || stopWords[strings.ToLower(first)] {
		return a.natural(a.req.Topic)
	}
	return a.req.Topic
}

// ranked returns sentence indexes by descending score (ties: earlier
// first), keeping those accepted by keep.
func (a *analysis) ranked(from []int, keep func(int) bool) []int {
	var out []int
	for _, i := range from {
		if keep == nil || keep(i) {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(x, y int) int {
		switch {
		case a.sents[x].score > a.sents[y].score:
			return -1
		case a.sents[x].score < a.sents[y].score:
			return 1
		}
		return x - y
	})
	return out
}

// indexOf returns the indexes of the sentences with the given texts.
func (a *analysis) indexOf(texts []string) []int {
	want := map[string]bool{}
	for _, t := range texts {
		want[t] = true
	}
	var out []int
	for i, s := range a.sents {
		if want[s.text] {
			out = append(out, i)
		}
	}
	return out
}

// all returns the indexes of every sentence.
func (a *analysis) all() []int {
	out := make([]int, len(a.sents))
	for i := range out {
		out[i] = i
	}
	return out
}

// top returns up to k of the best sentences, in text order.
func (a *analysis) top(from []int, k int, keep func(int) bool) []int {
	best := a.ranked(from, keep)
	best = best[:min(k, len(best))]
	slices.Sort(best)
	return best
}

// standalone returns sentence i as a text that stands on its own: one
// that opens by pointing back ("This pledge is known as …", "It …") comes
// with the sentence before it in its paragraph, so that an answer, a
// takeaway or an explanation made of it says what it points to.
func (a *analysis) standalone(i int) string {
	s := a.sents[i]
	if _, leans := prose.LeansBack(s.text); leans && i > 0 && !s.first && a.sents[i-1].para == s.para {
		return a.sents[i-1].text + " " + s.text
	}
	return s.text
}

// texts returns the sentences' texts.
func (a *analysis) texts(idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = a.sents[j].text
	}
	return out
}

// level is the requested level, or the default.
func (a *analysis) level() string {
	if slices.Contains(content.Levels, a.req.Level) {
		return a.req.Level
	}
	return content.DefaultLevel
}

// audiencePhrase is the audience as it reads after "for": "a general
// audience", "high school students".
func (a *analysis) audiencePhrase() string {
	aud := a.audience()
	if !a.english() {
		return aud
	}
	words := strings.Fields(strings.ToLower(aud))
	switch words[0] {
	case "the", "a", "an", "my", "our", "your", "their", "any", "every", "all", "anyone", "everyone":
		return aud
	}
	switch words[len(words)-1] {
	case "audience", "reader", "learner", "student", "beginner", "person", "professional", "engineer",
		"developer", "teacher", "team", "class", "group", "user", "listener", "viewer", "newcomer":
		return article(aud) + " " + aud
	case "public":
		return "the " + aud
	}
	return aud
}

// audience is the requested audience when it fits the outline's limits.
func (a *analysis) audience() string {
	if n := runeLen(a.req.Audience); n >= 2 && n <= 200 && a.req.Audience != content.DefaultAudience {
		return a.req.Audience
	}
	return a.tr(content.DefaultAudience)
}
