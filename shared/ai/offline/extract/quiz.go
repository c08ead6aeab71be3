package extract

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// Limits of the question formats.
const (
	maxFAQs      = 15
	maxCards     = 25
	maxQuestions = 15
	questionLen  = 300
)

// faqs answers what a learner would ask: what each defined and key term
// is, what the sections cover, and how to study the material. The
// questions about sections rotate their wording, and those about the
// material itself only fill a short list.
func (a *analysis) faqs(o *content.Outline) content.FAQs {
	var out []content.FAQ
	seen, said := uniqueSet{}, uniqueSet{}
	add := func(q, answer, category string) {
		if seen.has(q) {
			return
		}
		// An answer says only what no earlier answer said.
		answer, category = truncate(a.fresh(said, answer), 3000), truncate(category, 60)
		if len(out) < maxFAQs && runeLen(answer) >= 10 && runeLen(category) >= 2 && seen.add(q) {
			out = append(out, content.FAQ{Question: q, Answer: answer, Category: category})
		}
	}
	for _, d := range a.defs[:min(5, len(a.defs))] {
		add(a.whatIs(d), a.standalone(d.sent), a.tr("Definitions"))
	}
	for _, ts := range a.explained() {
		if len(out) >= 8 {
			break
		}
		add(fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(a.tr("What is meant by %s?"), p[0]) }, ts.term.display),
			a.standalone(ts.sent), a.tr("Key terms"))
	}
	for i, s := range o.Sections[:min(6, len(o.Sections))] {
		frame := sectionFrames[i%len(sectionFrames)]
		q := fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(a.tr(frame), a.sectionName(p[0])) }, s.Title)
		answer := asSentence(s.Description)
		if len(s.KeyPoints) > 0 && s.KeyPoints[0] != s.Description {
			answer = joinSentences([]string{answer, asSentence(s.KeyPoints[0])})
		}
		add(q, answer, s.Title)
	}
	add(a.tr("Where should I start?"), fmt.Sprintf(a.tr("Start with %s: %s"), a.sectionName(o.Sections[0].Title), asSentence(lowerFirst(o.Sections[0].Description))), a.tr("Studying"))
	add(a.tr("How can I check that I have understood the material?"),
		fmt.Sprintf(a.tr("Try to do each learning objective without notes: %s."), strings.Join(lowerAll(o.LearningObjectives), a.tr("; "))), a.tr("Studying"))
	if len(out) < minFAQs {
		add(a.tr("Who is this material for?"), fmt.Sprintf(a.tr("The material is written for %s at the %s level."), a.audiencePhrase(), a.levelPhrase()), a.tr("About this material"))
		add(fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(a.tr("How long does it take to work through %s?"), p[0]) }, a.titlePhrase(o.Title)),
			fmt.Sprintf(a.tr("About %d minutes of study, spread over %d sections."), totalMinutes(o), len(o.Sections)), a.tr("Studying"))
	}
	return content.FAQs{Title: o.Title, FAQs: out}
}

// Fewest items of the question formats (their schemas' minimums).
const (
	minFAQs  = 5
	minCards = 10
)

// sectionFrames are the wordings of a question about a section, taken in
// turn so that no one wording repeats down a list.
var sectionFrames = []string{"What does %s cover?", "What is %s about?", "What does %s explain?"}

// whatIs asks for a defined term: "What is chlorophyll?"
func (a *analysis) whatIs(d definition) string {
	return a.askTerm(d, a.tr("What is %s?"), a.tr("What are %s?"))
}

// askTerm asks a question about a defined term in the singular or the
// plural frame.
func (a *analysis) askTerm(d definition, singular, plural string) string {
	frame := singular
	if d.plural {
		frame = plural
	}
	t := a.termPhrase(d)
	if a.english() && !d.plural && (d.art == "a" || d.art == "an") {
		t = article(t) + " " + t
	}
	return fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(frame, p[0]) }, t)
}

// flashcards quiz definitions, key terms and gaps in key sentences; cards
// about the sections and the material itself only fill a short deck.
func (a *analysis) flashcards(o *content.Outline) content.Flashcards {
	d := &deck{seen: uniqueSet{}, backs: uniqueSet{}}
	for _, def := range a.defs[:min(8, len(a.defs))] {
		d.add(a.whatIs(def), a.standalone(def.sent), "easy")
		if def.alias != "" {
			d.add(fmt.Sprintf(a.tr("What is another name for %s?"), a.natural(def.term)), def.alias, "medium")
		}
	}
	a.termCards(d)
	a.clozeCards(d)
	for i, s := range o.Sections {
		if len(d.cards) >= minCards {
			break
		}
		frame := sectionFrames[i%len(sectionFrames)]
		d.add(fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(a.tr(frame), a.sectionName(p[0])) }, s.Title), s.Description, "medium")
	}
	if len(d.cards) < minCards {
		a.structureCards(d, o)
	}
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
	if d.backs.has(back) {
		return // one answer, one card
	}
	if len(d.cards) < maxCards && runeLen(front) >= 2 && runeLen(back) >= 1 && d.seen.add(front) {
		d.cards = append(d.cards, content.Flashcard{Front: front, Back: back, Difficulty: difficulty})
		d.backs.add(back)
	}
}

// termCards show a key term and ask for the sentence that explains it.
func (a *analysis) termCards(d *deck) {
	for _, ts := range a.explained()[:min(8, len(a.explained()))] {
		d.add(capitalize(ts.term.display), a.standalone(ts.sent), "medium")
	}
}

// clozeCards blank a key term out of a sentence that uses it, preferring
// sentences no other card shows.
func (a *analysis) clozeCards(d *deck) {
	n := 0
	gapped := map[int]bool{} // one gap per sentence: two would quiz the same line
	for _, t := range a.terms {
		if n == 8 {
			return
		}
		sents := a.ranked(t.sents, nil)
		slices.SortStableFunc(sents, func(x, y int) int {
			return boolInt(d.backs.has(a.sents[x].text)) - boolInt(d.backs.has(a.sents[y].text))
		})
		for _, i := range sents {
			if gapped[i] {
				continue
			}
			if gap, ok := blankOut(a.standalone(i), t.key); ok && runeLen(gap) <= 280 {
				gapped[i] = true
				d.add(a.tr("Fill in the gap: ")+gap, t.display, "hard")
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
			// A term the rest of the sentence writes again (or in another
			// form) would give the answer away.
			rest := text[:toks[i].Start] + " " + text[toks[i+len(want)-1].End:]
			for _, w := range want {
				if slices.Contains(prose.ContentStems(rest), prose.Stem(w)) {
					return "", false
				}
			}
			return text[:toks[i].Start] + "_____" + text[toks[i+len(want)-1].End:], true
		}
	}
	return "", false
}

// structureCards ask about the material itself, so that even a topic
// without a source text yields a full deck.
func (a *analysis) structureCards(d *deck, o *content.Outline) {
	title := a.sectionName(o.Title)
	d.add(fmt.Sprintf(a.tr("Who is %s written for?"), title), fmt.Sprintf(a.tr("%s, at the %s level."), capitalize(a.audiencePhrase()), a.levelPhrase()), "easy")
	d.add(fmt.Sprintf(a.tr("Which section opens %s?"), title), o.Sections[0].Title, "easy")
	d.add(fmt.Sprintf(a.tr("Which section closes %s?"), title), o.Sections[len(o.Sections)-1].Title, "easy")
	d.add(fmt.Sprintf(a.tr("How many sections does %s have?"), title), strconv.Itoa(len(o.Sections)), "easy")
	for i, obj := range o.LearningObjectives {
		if len(d.cards) >= minCards {
			return
		}
		d.add(fmt.Sprintf(a.tr("What is learning objective %d of %s?"), i+1, title), obj, "medium")
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

// The wordings of the reading questions, each list taken in turn down the
// sections so that no wording repeats for every section.
var (
	mainFrames = []string{"What is the main idea of %s?", "What is %s mostly about?",
		"Which sentence of %s carries its main point?", "How would you sum up %s in one sentence?"}
	detailFrames = []string{"Which details or examples in %s support its main point?", "What evidence does %s give for what it says?",
		"Which example in %s makes its point clearest?"}
	bridgeFrames = []string{"How does %s prepare the ground for %s?", "What does %s set up that %s builds on?",
		"How does %s lead into %s?"}
	explainFrames = []string{"How would you explain %s to a classmate in two sentences?", "Which idea of %s could you teach someone else, and how?",
		"What in %s would you explain with an example of your own?", "What in %s would you ask your teacher about?"}
)

// sectionQuestions are four questions about section i, most important
// first.
func (a *analysis) sectionQuestions(o *content.Outline, i int) []string {
	s := o.Sections[i]
	one := func(frames []string) string {
		format := a.tr(frames[i%len(frames)])
		return fitQuestion(questionLen, func(p ...string) string { return fmt.Sprintf(format, a.sectionName(p[0])) }, s.Title)
	}
	second := one(detailFrames)
	if defs := a.defsIn(a.material(s)); len(defs) > 0 {
		term := a.natural(defs[0].term)
		second = fitQuestion(questionLen, func(p ...string) string {
			return fmt.Sprintf(a.tr("How does %s define %s, and why does it matter?"), a.sectionName(p[0]), p[1])
		}, s.Title, term)
	}
	third := one([]string{"What questions does %s leave open?"})
	if i+1 < len(o.Sections) {
		next, format := o.Sections[i+1].Title, a.tr(bridgeFrames[i%len(bridgeFrames)])
		third = fitQuestion(questionLen, func(p ...string) string {
			return fmt.Sprintf(format, a.sectionName(p[0]), a.sectionName(p[1]))
		}, s.Title, next)
	}
	return []string{one(mainFrames), second, third, one(explainFrames)}
}
