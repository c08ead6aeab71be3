package extract

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// Limits of the question formats.
const (
	maxFAQs      = 15
	maxCards     = 25
	maxQuestions = 15
	questionLen  = 300
)

// faqs answers what a learner would ask: what each defined term is, what
// each section covers, and how to study the material.
func (a *analysis) faqs(o *content.Outline) content.FAQs {
	var out []content.FAQ
	seen := uniqueSet{}
	add := func(q, answer, category string) {
		answer, category = truncate(answer, 3000), truncate(category, 60)
		if len(out) < maxFAQs && runeLen(answer) >= 10 && runeLen(category) >= 2 && seen.add(q) {
			out = append(out, content.FAQ{Question: q, Answer: answer, Category: category})
		}
	}
	for _, d := range a.defs[:min(5, len(a.defs))] {
		add(a.whatIs(d), a.sents[d.sent].text, "Definitions")
	}
	for _, s := range o.Sections[:min(6, len(o.Sections))] {
		q := fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf("What does %s cover?", sectionName(p[0])) }, s.Title)
		answer := asSentence(s.Description)
		if len(s.KeyPoints) > 0 && s.KeyPoints[0] != s.Description {
			answer += " " + asSentence(s.KeyPoints[0])
		}
		add(q, answer, s.Title)
	}
	add("Who is this material for?", fmt.Sprintf("It is written for %s at the %s level.", a.audiencePhrase(), a.level()), "About this material")
	add(fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf("How long does it take to work through %s?", p[0]) }, a.titlePhrase(o.Title)),
		fmt.Sprintf("About %d minutes of study, spread over %d sections.", totalMinutes(o), len(o.Sections)), "Studying")
	add("Where should I start?", fmt.Sprintf("Start with %s: %s", sectionName(o.Sections[0].Title), asSentence(lowerFirst(o.Sections[0].Description))), "Studying")
	add("How can I check that I have understood the material?",
		"Try to do each learning objective without notes: "+strings.Join(lowerAll(o.LearningObjectives), "; ")+".", "Studying")
	return content.FAQs{Title: o.Title, FAQs: out}
}

// whatIs asks for a defined term: "What is chlorophyll?"
func (a *analysis) whatIs(d definition) string {
	verb := "is"
	if d.plural {
		verb = "are"
	}
	t := a.termPhrase(d)
	if a.english() && !d.plural && (d.art == "a" || d.art == "an") {
		t = article(t) + " " + t
	}
	return fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf("What %s %s?", verb, p[0]) }, t)
}

// flashcards quiz definitions, key terms, gaps in key sentences and the
// structure of the material.
func (a *analysis) flashcards(o *content.Outline) content.Flashcards {
	d := &deck{seen: uniqueSet{}, backs: uniqueSet{}}
	for _, def := range a.defs[:min(8, len(a.defs))] {
		d.add(a.whatIs(def), a.sents[def.sent].text, "easy")
		if def.alias != "" {
			d.add(fmt.Sprintf("What is another name for %s?", a.natural(def.term)), def.alias, "medium")
		}
	}
	a.termCards(d)
	a.clozeCards(d)
	for _, s := range o.Sections {
		d.add(fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf("What does %s cover?", sectionName(p[0])) }, s.Title),
			s.Description, "medium")
	}
	for _, s := range o.Sections {
		if len(s.KeyPoints) > 0 {
			d.add(truncate(fmt.Sprintf("Name a key point of %s.", sectionName(s.Title)), questionLen), s.KeyPoints[0], "medium")
		}
	}
	a.structureCards(d, o)
	return content.Flashcards{Title: o.Title, Cards: d.cards}
}

// deck collects unique cards up to the limit.
type deck struct {
	cards []content.Flashcard
	seen  uniqueSet
	backs uniqueSet
}

func (d *deck) add(front, back, difficulty string) {
	front, back = truncate(front, 300), truncate(back, 1000)
	if len(d.cards) < maxCards && runeLen(front) >= 2 && runeLen(back) >= 1 && d.seen.add(front) {
		d.cards = append(d.cards, content.Flashcard{Front: front, Back: back, Difficulty: difficulty})
		d.backs.add(back)
	}
}

// termCards show a key term and ask for the sentence that explains it.
func (a *analysis) termCards(d *deck) {
	for _, ts := range a.explained()[:min(6, len(a.explained()))] {
		d.add(capitalize(ts.term.display), a.sents[ts.sent].text, "medium")
	}
}

// clozeCards blank a key term out of a sentence that uses it, preferring
// sentences no other card shows.
func (a *analysis) clozeCards(d *deck) {
	n := 0
	for _, t := range a.terms {
		if n == 5 {
			return
		}
		sents := a.ranked(t.sents, nil)
		slices.SortStableFunc(sents, func(x, y int) int {
			return boolInt(d.backs.has(a.sents[x].text)) - boolInt(d.backs.has(a.sents[y].text))
		})
		for _, i := range sents {
			if gap, ok := blankOut(a.sents[i].text, t.key); ok && runeLen(gap) <= 280 {
				d.add("Fill in the gap: "+gap, t.display, "hard")
				n++
				break
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// blankOut replaces the first whole-word occurrence of a term (compared in
// lower case) with a gap.
func blankOut(text, key string) (string, bool) {
	want := strings.Fields(key)
	toks := tokenize(text)
	for i := 0; i+len(want) <= len(toks); i++ {
		match := true
		for j, w := range want {
			if strings.ToLower(toks[i+j].Text) != w {
				match = false
				break
			}
		}
		if match {
			return text[:toks[i].Start] + "_____" + text[toks[i+len(want)-1].End:], true
		}
	}
	return "", false
}

// structureCards ask about the material itself, so that even a topic
// without a source text yields a full deck.
func (a *analysis) structureCards(d *deck, o *content.Outline) {
	title := sectionName(o.Title)
	d.add(fmt.Sprintf("Who is %s written for?", title), fmt.Sprintf("%s, at the %s level.", capitalize(a.audiencePhrase()), a.level()), "easy")
	d.add(fmt.Sprintf("Which section opens %s?", title), o.Sections[0].Title, "easy")
	d.add(fmt.Sprintf("Which section closes %s?", title), o.Sections[len(o.Sections)-1].Title, "easy")
	d.add(fmt.Sprintf("How many sections does %s have?", title), strconv.Itoa(len(o.Sections)), "easy")
	for i, obj := range o.LearningObjectives {
		d.add(fmt.Sprintf("What is learning objective %d of %s?", i+1, title), obj, "medium")
	}
}

// readingGuide asks questions to read each section with, in the outline's
// order, naming each section exactly.
func (a *analysis) readingGuide(o *content.Outline) content.ReadingGuide {
	n := len(o.Sections)
	var out []content.ReadingQuestion
	seen := uniqueSet{}
	for i, s := range o.Sections {
		per := maxQuestions / n
		if i < maxQuestions%n {
			per++
		}
		for _, q := range a.sectionQuestions(o, i)[:clampInt(per, 1, 4)] {
			if len(out) < maxQuestions && seen.add(q) {
				out = append(out, content.ReadingQuestion{Question: q, Section: s.Title})
			}
		}
	}
	return content.ReadingGuide{Title: o.Title, Questions: out}
}

// sectionQuestions are four questions about section i, most important
// first.
func (a *analysis) sectionQuestions(o *content.Outline, i int) []string {
	s := o.Sections[i]
	one := func(format string) string {
		return fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(format, sectionName(p[0])) }, s.Title)
	}
	second := one("Which details or examples in %s support its main point?")
	if defs := a.defsIn(a.material(s)); len(defs) > 0 {
		term := a.natural(defs[0].term)
		second = fitQuestion(questionLen, func(p ...string) string {
			return fmt.Sprintf("How does %s define %s, and why does it matter?", sectionName(p[0]), p[1])
		}, s.Title, term)
	}
	third := one("What questions does %s leave open?")
	if i+1 < len(o.Sections) {
		next := o.Sections[i+1].Title
		third = fitQuestion(questionLen, func(p ...string) string {
			return fmt.Sprintf("How does %s prepare the ground for %s?", sectionName(p[0]), sectionName(p[1]))
		}, s.Title, next)
	}
	return []string{
		one("What is the main idea of %s?"),
		second,
		third,
		one("How would you explain %s to a classmate in two sentences?"),
	}
}
