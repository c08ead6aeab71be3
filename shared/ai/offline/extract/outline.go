package extract

import (
	"fmt"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// outline builds the master outline from the analysed sections.
func (a *analysis) outline() content.Outline {
	o := content.Outline{
		Title:              a.title,
		Overview:           a.overview(),
		LearningObjectives: a.objectives(),
		Audience:           a.audience(),
		Level:              a.level(),
	}
	for _, s := range a.sections {
		o.Sections = append(o.Sections, a.outlineSection(s))
	}
	return o
}

// overview says what the material is, for whom, and what its sections
// take up; the sections themselves quote the sources.
func (a *analysis) overview() string {
	b := builder{limit: 4000}
	b.add(fmt.Sprintf(a.tr("This %s-level material on %s is written for %s."), a.levelPhrase(), a.topicPhrase(), a.audiencePhrase()))
	if !a.hasSource() {
		b.add(a.tr(" It moves from the foundations and core vocabulary of the subject through how it works, its context and its applications to common misconceptions and a closing review."))
		return b.String()
	}
	var titles []string
	for _, s := range a.sections {
		titles = append(titles, a.sectionName(s.title))
	}
	b.add(fmt.Sprintf(a.tr(" It takes up %s, in that order."), a.joinList(titles)))
	return b.String()
}

// central is the source's three most central sentences, as many as fit
// in limit bytes.
func (a *analysis) central(limit int) string {
	b := builder{limit: limit}
	for i, text := range a.texts(a.top(a.all(), 3, nil)) {
		if i > 0 {
			text = " " + text
		}
		if !b.add(text) {
			break
		}
	}
	return b.String()
}

// objectiveVerbs are the verbs of learning objectives at each level.
var objectiveVerbs = map[string][]string{
	"beginner":     {"Describe", "Identify", "Explain", "Outline"},
	"intermediate": {"Explain", "Describe", "Summarize", "Discuss"},
	"advanced":     {"Analyze", "Evaluate", "Explain", "Discuss"},
}

// objectives names what a learner can do afterwards: define the main
// terms, master each section, and tie the whole together.
func (a *analysis) objectives() []string {
	verbs := objectiveVerbs[a.level()]
	var out []string
	seen := uniqueSet{}
	add := func(s string) {
		if s = truncate(s, 300); len(out) < 10 && seen.add(s) {
			out = append(out, s)
		}
	}
	for _, d := range a.defs[:min(3, len(a.defs))] {
		if mentions(a.req.Topic, d.term) {
			add(fmt.Sprintf(a.tr("Define %s in your own words"), a.termPhrase(d)))
		} else {
			add(fmt.Sprintf(a.tr("Define %s and explain its role in %s"), a.termPhrase(d), a.topicPhrase()))
		}
	}
	n := 0
	for _, s := range a.sections {
		if s.intro || n == 5 {
			continue
		}
		verb := a.tr(verbs[n%len(verbs)])
		switch {
		case s.objective != "":
			add(s.objective)
		case s.named:
			add(fmt.Sprintf(a.tr("%s %s"), verb, a.natural(s.title)))
		default:
			add(fmt.Sprintf(a.tr("%s the key ideas of “%s”"), verb, s.title))
		}
		n++
	}
	add(fmt.Sprintf(a.tr("Summarize how the parts of %s fit together"), a.topicPhrase()))
	add(fmt.Sprintf(a.tr("Answer review questions on %s without notes"), a.topicPhrase()))
	return out
}

// termPhrase writes a defined term inside a sentence, with "the" when the
// source used it: "the Calvin cycle", "chlorophyll".
func (a *analysis) termPhrase(d definition) string {
	t := a.natural(d.term)
	if d.art == "the" && a.english() {
		return "the " + t
	}
	return t
}

// mentions reports whether a phrase contains a term's words, ignoring a
// plural "s": "black holes" mentions "black hole".
func mentions(phrase, term string) bool {
	return containsWords(stemWords(phrase), stemWords(term))
}

func stemWords(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		if len(w) > 3 {
			words[i] = strings.TrimSuffix(w, "s")
		}
	}
	return strings.Join(words, " ")
}

// outlineSection describes a section by its opening sentence and makes its
// best other sentences the key points.
func (a *analysis) outlineSection(s section) content.OutlineSection {
	if s.templated() {
		return content.OutlineSection{Title: s.title, Description: s.desc, KeyPoints: s.points, Minutes: a.templateMinutes()}
	}
	desc := a.sents[s.sents[0]].text
	if runeLen(desc) < 10 || wordCount(desc) < 3 {
		desc = a.coverage(s.sents)
	}
	rest := s.sents[1:]
	if len(rest) == 0 {
		rest = s.sents
	}
	var points []string
	for _, text := range a.texts(a.top(rest, 4, func(i int) bool { return runeLen(a.sents[i].text) >= 3 })) {
		points = append(points, truncate(text, 500))
	}
	if len(points) == 0 {
		points = []string{truncate(desc, 500)}
	}
	words := 0
	for _, i := range s.sents {
		words += wordCount(a.sents[i].text)
	}
	return content.OutlineSection{
		Title:       s.title,
		Description: truncate(desc, 2000),
		KeyPoints:   points,
		Minutes:     clampInt((words+99)/100+1, 1, 120),
	}
}

// coverage names the key terms of some sentences: "This section covers
// chlorophyll, light and pigments."
func (a *analysis) coverage(sents []int) string {
	var names []string
	for _, t := range a.termsIn(sents) {
		if len(names) == 3 {
			break
		}
		names = append(names, t.display)
	}
	if len(names) == 0 {
		return fmt.Sprintf(a.tr("This section continues the material on %s."), a.topicPhrase())
	}
	return fmt.Sprintf(a.tr("This section covers %s."), a.joinList(names))
}
