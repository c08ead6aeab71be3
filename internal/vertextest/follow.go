package vertextest

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Answer is the fake model's answer to a prompt with a response schema:
// a document generated from the schema (Generate) that then does what the
// prompt asks where the schema cannot say it (see follow).
func Answer(s *Schema, prompt string, rng *rand.Rand) ([]byte, error) {
	doc, err := Generate(s, rng)
	if err != nil {
		return nil, err
	}
	return follow(doc, s, prompt, rng), nil
}

// follow makes a generated document do what the prompt asks of it where
// the schema cannot say it, as a model would: a podcast script as many
// words long as the prompt says is right ("about N is right"), a
// timeline's events in chronological order, on dates that exist, each
// citing a passage when the schema lists passages, and, for a request in
// Spanish, questions opened with "¿". Other documents are returned as
// they are.
func follow(doc []byte, sch *Schema, prompt string, rng *rand.Rand) []byte {
	var m map[string]any
	if json.Unmarshal(doc, &m) != nil {
		return doc
	}
	changed := false
	if l := requestLanguage.FindStringSubmatch(prompt); l != nil && strings.EqualFold(l[1], "es") {
		openQuestions(m)
		changed = true
	}
	switch {
	case m["turns"] != nil && m["speakers"] != nil:
		if n := wordsAsked(prompt); n > 0 {
			sizeScript(m, n, rng)
		}
	case m["events"] != nil:
		dateEvents(m, sch, rng)
	case !changed:
		return doc
	}
	out, err := json.Marshal(m)
	if err != nil {
		return doc
	}
	return out
}

// requestLanguage finds the base language in the prompt's request block.
var requestLanguage = regexp.MustCompile(`"language":\s*"([A-Za-z]{2,3})\b`)

// openQuestions opens every "question" value of a document with "¿" (in
// place of its first letter, so that it keeps its length).
func openQuestions(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if q, ok := e.(string); ok && k == "question" && !strings.HasPrefix(q, "¿") {
				_, n := utf8.DecodeRuneInString(q)
				x[k] = "¿" + q[n:]
				continue
			}
			openQuestions(e)
		}
	case []any:
		for _, e := range x {
			openQuestions(e)
		}
	}
}

var wordsRight = regexp.MustCompile(`about (\d+) is right`)

// wordsAsked is the length in words a podcast prompt asks for (0: none).
func wordsAsked(prompt string) int {
	if m := wordsRight.FindStringSubmatch(prompt); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// wordsPerTurn is how long the fake's turns are.
const wordsPerTurn = 40

// sizeScript rewrites the intro, the turns and the outro to total words,
// the turns taken by the declared speakers in order, each citing what a
// generated turn cited.
func sizeScript(m map[string]any, words int, rng *rand.Rand) {
	var names []string
	sp, _ := m["speakers"].([]any)
	for _, s := range sp {
		if o, ok := s.(map[string]any); ok {
			if n, ok := o["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	g := &generator{rng: rng}
	line := func(n int) string {
		w := make([]string, 0, n)
		for len(w) < n {
			w = append(w, strings.Fields(g.sentence())...)
		}
		s := strings.Join(w[:n], " ")
		return strings.TrimRight(s, ".") + "."
	}
	edge := min(wordsPerTurn/2, max(words/8, 5))
	m["intro"], m["outro"] = line(edge), line(edge)
	left := max(words-2*edge, 4*5)
	n := max(4, len(names), (left+wordsPerTurn/2)/wordsPerTurn)
	// The new turns cite what the generated ones cited, in turn.
	var cites []any
	old, _ := m["turns"].([]any)
	for _, t := range old {
		if o, ok := t.(map[string]any); ok && o["citations"] != nil {
			cites = append(cites, o["citations"])
		}
	}
	turns := make([]any, 0, n)
	for i := range n {
		size := left / (n - i)
		left -= size
		turn := map[string]any{"speaker": names[i%len(names)], "text": line(max(size, 3))}
		if len(cites) > 0 {
			turn["citations"] = cites[i%len(cites)]
		}
		turns = append(turns, turn)
	}
	m["turns"] = turns
}

// dateEvents puts the events on dates that exist, in order, years apart,
// some with a month or a day, some lasting a few years.
func dateEvents(m map[string]any, sch *Schema, rng *rand.Rand) {
	events, _ := m["events"].([]any)
	var passages []string
	if e := sch.Properties["events"]; e != nil && e.Items != nil {
		if c := e.Items.Properties["citations"]; c != nil && c.Items != nil {
			passages = c.Items.Enum
		}
	}
	year := 1700 + rng.IntN(200)
	for i, ev := range events {
		o, ok := ev.(map[string]any)
		if !ok {
			continue
		}
		year += 1 + rng.IntN(20)
		date := map[string]any{"year": year}
		switch rng.IntN(3) {
		case 1:
			date["month"] = 1 + rng.IntN(12)
		case 2:
			date["month"], date["day"] = 1+rng.IntN(12), 1+rng.IntN(28)
		}
		if rng.IntN(4) == 0 {
			date["end"] = map[string]any{"year": year + 1 + rng.IntN(5)}
		}
		o["date"] = date
		if c, _ := o["citations"].([]any); len(c) == 0 && len(passages) > 0 {
			o["citations"] = []any{passages[i%len(passages)]}
		}
	}
}
