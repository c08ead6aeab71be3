package extract

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// Sizes of the quiz.
const (
	maxQuizQuestions = 12
	quizQuestionLen  = 500
	quizOptionLen    = 300
	quizReasonLen    = 600
)

// mcq is a multiple-choice question before its options are placed: the
// right option, three wrong ones, each with its reason, and what the
// question is about (to find the learning objective it checks) and taken
// from (to cite).
type mcq struct {
	question    string
	right       content.QuizOption
	wrong       []content.QuizOption
	explanation string
	difficulty  string
	about       string
	from        []string
}

// quiz asks, in turn, what the defined terms are, which key term completes
// a sentence of the source, which section covers what, and, to be
// complete for any source, about the material's objectives, audience and
// level. Every distractor is an answer to another question of the same
// kind (another term's definition, another term, another section), so it
// is plausible and wrong for the reason it gives. The correct options
// rotate over A to D.
func (a *analysis) quiz(o *content.Outline) content.Quiz {
	kinds := [][]mcq{a.definitionMCQs(), a.clozeMCQs(), a.coverageMCQs(o), a.objectiveMCQs(o), a.aboutMCQs(o)}
	var chosen []mcq
	seen := uniqueSet{}
	for round := 0; len(chosen) < maxQuizQuestions; round++ {
		added := false
		for _, k := range kinds {
			if round < len(k) && len(chosen) < maxQuizQuestions && seen.add(k[round].question) {
				chosen = append(chosen, k[round])
				added = true
			}
		}
		if !added {
			break
		}
	}
	h := fnv.New32a()
	h.Write([]byte(o.Title))
	shift := int(h.Sum32() % 4)
	q := content.Quiz{Title: o.Title}
	for i, m := range chosen {
		pos := (i + shift) % 4
		opts := append(append(append([]content.QuizOption{}, m.wrong[:pos]...), m.right), m.wrong[pos:]...)
		q.Questions = append(q.Questions, content.QuizQuestion{
			Question: m.question, Options: opts, Answer: content.AnswerLetters[pos],
			Explanation: truncate(m.explanation, 2000), Difficulty: m.difficulty,
			Objective: a.objectiveFor(o, m.about, i), Cited: content.Cited{Citations: a.cite(m.from...)},
		})
	}
	return q
}

// newMCQ checks a question's parts and returns it when it has a right
// option and three distinct wrong ones that stand on their own.
func newMCQ(question string, right content.QuizOption, wrong []content.QuizOption, explanation, difficulty, about string, from ...string) (mcq, bool) {
	m := mcq{question: question, explanation: explanation, difficulty: difficulty, about: about, from: from}
	fit := func(o content.QuizOption) (content.QuizOption, bool) {
		o.Text, o.Reason = truncate(o.Text, quizOptionLen), truncate(o.Reason, quizReasonLen)
		return o, runeLen(o.Text) >= 1 && runeLen(o.Reason) >= 10 && !content.CatchAll(o.Text)
	}
	seen := uniqueSet{}
	var ok bool
	if m.right, ok = fit(right); !ok || !seen.add(m.right.Text) {
		return mcq{}, false
	}
	for _, w := range wrong {
		if w, ok := fit(w); ok && len(m.wrong) < 3 && seen.add(w.Text) {
			m.wrong = append(m.wrong, w)
		}
	}
	n := runeLen(question)
	if len(m.wrong) < 3 || n < 10 || n > quizQuestionLen || !questionMark(question) || runeLen(explanation) < 20 {
		return mcq{}, false
	}
	return m, true
}

// others returns up to n items of a list after index i, in turn.
func others[T any](list []T, i, n int) []T {
	var out []T
	for k := 1; k < len(list) && len(out) < n; k++ {
		out = append(out, list[(i+k)%len(list)])
	}
	return out
}

// anyArticle is an English article before a gap, which would give the
// answer away ("an _____").
var anyArticle = regexp.MustCompile(`\b([Aa])n? _____`)

// definitionMCQs ask what a defined term is; the distractors are the
// definitions of other terms.
func (a *analysis) definitionMCQs() []mcq {
	var defs []definition
	for _, d := range a.defs {
		if wordCount(d.body) >= 3 && len(defs) < 8 {
			defs = append(defs, d)
		}
	}
	if len(defs) < 4 {
		return nil
	}
	var out []mcq
	for i, d := range defs {
		term := a.natural(d.term)
		var wrong []content.QuizOption
		for _, o := range others(defs, i, 6) {
			wrong = append(wrong, content.QuizOption{Text: capitalize(asSentence(o.body)),
				Reason: fmt.Sprintf(a.tr("That describes %s, not %s."), a.natural(o.term), term)})
		}
		sent := a.sents[d.sent].text
		if m, ok := newMCQ(a.whatIs(d), content.QuizOption{Text: capitalize(asSentence(d.body)), Reason: fmt.Sprintf(a.tr("That is how the material defines %s."), term)},
			wrong, a.tr("The material says: ")+sent, "easy", sent, sent); ok {
			out = append(out, m)
		}
	}
	return out
}

// clozeMCQs blank a key term out of a source sentence and ask which term
// completes it; the distractors are other key terms.
func (a *analysis) clozeMCQs() []mcq {
	var terms []term
	for _, t := range a.terms {
		if askable(t) || t.def >= 0 {
			terms = append(terms, t)
		}
	}
	if len(terms) < 4 {
		return nil
	}
	var out []mcq
	for i, t := range terms[:min(len(terms), 8)] {
		for _, si := range a.ranked(t.sents, nil) {
			sent := a.sents[si].text
			gap, ok := blankOut(sent, t.key)
			if !ok || runeLen(gap) > 400 {
				continue
			}
			gap = anyArticle.ReplaceAllString(gap, "${1}(n) _____")
			var wrong []content.QuizOption
			for _, o := range others(terms, i, len(terms)) {
				if containsWords(normKey(sent), o.key) || containsWords(o.key, t.key) || containsWords(t.key, o.key) {
					continue // it is in the sentence, or it is the same term
				}
				wrong = append(wrong, content.QuizOption{Text: o.display,
					Reason: fmt.Sprintf(a.tr("The sentence is about %s; %s is another idea of the material, which does not fit here."), a.natural(t.display), a.natural(o.display))})
			}
			q := fitQuestion(quizQuestionLen, func(p ...string) string {
				return fmt.Sprintf(a.tr("Which term completes the sentence “%s”?"), p[0])
			}, gap)
			if m, ok := newMCQ(q, content.QuizOption{Text: t.display, Reason: fmt.Sprintf(a.tr("The material writes %s in this sentence."), a.natural(t.display))},
				wrong, a.tr("The material says: ")+sent, "hard", sent, sent); ok {
				out = append(out, m)
			}
			break
		}
	}
	return out
}

// coverageMCQs give what a section covers and ask which section that is;
// the distractors are the other sections (or, for a short outline, the
// parts a course on the topic often has that this one does not).
func (a *analysis) coverageMCQs(o *content.Outline) []mcq {
	type part struct{ title, desc string }
	var parts []part
	for _, s := range o.Sections {
		parts = append(parts, part{s.Title, s.Description})
	}
	inOutline := len(parts)
	for _, s := range a.templateSections() {
		if len(parts) >= 4 {
			break
		}
		if !sameTitle(parts, s.title, func(p part) string { return p.title }) {
			parts = append(parts, part{s.title, ""})
		}
	}
	if len(parts) < 4 {
		return nil
	}
	var out []mcq
	for i, s := range o.Sections {
		var wrong []content.QuizOption
		for k, p := range others(parts, i, len(parts)) {
			reason := fmt.Sprintf(a.tr("The description is of %s; %s covers this: %s"), s.Title, p.title, asSentence(p.desc))
			if (i+k+1)%len(parts) >= inOutline || p.desc == "" {
				reason = fmt.Sprintf(a.tr("The material has no section called %s; the description is of %s."), p.title, s.Title)
			}
			wrong = append(wrong, content.QuizOption{Text: p.title, Reason: reason})
		}
		q := fitQuestion(quizQuestionLen, func(p ...string) string {
			return fmt.Sprintf(a.tr("Which section of the material covers this: %s?"), p[0])
		},
			strings.TrimRight(lowerFirst(s.Description), ".!?"))
		material := a.texts(a.material(s))
		if m, ok := newMCQ(q, content.QuizOption{Text: s.Title, Reason: fmt.Sprintf(a.tr("That is what %s covers."), s.Title)}, wrong,
			fmt.Sprintf("%s: %s", s.Title, asSentence(s.Description)), "medium", s.Title+" "+s.Description, material[:min(len(material), 2)]...); ok {
			out = append(out, m)
		}
	}
	return out
}

func sameTitle[T any](items []T, title string, get func(T) string) bool {
	for _, it := range items {
		if normKey(get(it)) == normKey(title) {
			return true
		}
	}
	return false
}

// objectiveMCQs ask which goal the material sets; the distractors are
// goals a course on the topic could set and this one does not.
func (a *analysis) objectiveMCQs(o *content.Outline) []mcq {
	var foreign []string
	for _, s := range a.templateSections() {
		if !sameTitle(o.LearningObjectives, s.objective, func(x string) string { return x }) {
			foreign = append(foreign, s.objective)
		}
	}
	var out []mcq
	title := a.sectionName(o.Title)
	for i, obj := range o.LearningObjectives[:min(len(o.LearningObjectives), len(objectiveQuestions))] {
		var wrong []content.QuizOption
		for k := 0; k < len(foreign) && len(wrong) < 3; k++ {
			wrong = append(wrong, content.QuizOption{Text: foreign[(i+k)%len(foreign)], Reason: fmt.Sprintf(a.tr("A reasonable goal, but the material aims for “%s”, not “%s”."), strings.TrimSuffix(obj, "."), strings.TrimSuffix(foreign[(i+k)%len(foreign)], "."))})
		}
		q := fitQuestion(quizQuestionLen, func(p ...string) string { return fmt.Sprintf(a.tr(objectiveQuestions[i]), p[0]) }, title)
		if m, ok := newMCQ(q, content.QuizOption{Text: obj, Reason: fmt.Sprintf(a.tr("The outline lists “%s” among its learning objectives."), strings.TrimSuffix(obj, "."))}, wrong,
			fmt.Sprintf(a.tr("The material sets %d learning objectives, among them: %s."), len(o.LearningObjectives), strings.TrimSuffix(obj, ".")), "easy", obj); ok {
			out = append(out, m)
		}
	}
	return out
}

// objectiveQuestions ask for a learning objective of the material (%s).
var objectiveQuestions = []string{
	"Which of these is a learning objective of %s?",
	"Which goal does %s set for learners?",
	"What should a learner be able to do after %s?",
	"Which of these skills does %s aim to teach?",
	"Which outcome is %s designed to achieve?",
}

// otherAudiences and levels are the distractors of the questions about
// the material itself.
var otherAudiences = []string{"Young children", "Specialist researchers", "Policy makers", "A general audience", "Professional engineers", "High school students"}

// aboutMCQs ask who the material is for and at what level it is written.
func (a *analysis) aboutMCQs(o *content.Outline) []mcq {
	title := a.sectionName(o.Title)
	var wrong []content.QuizOption
	for _, aud := range a.trs(otherAudiences) {
		if normKey(aud) != normKey(o.Audience) && normKey(aud) != normKey(a.audiencePhrase()) {
			wrong = append(wrong, content.QuizOption{Text: aud, Reason: fmt.Sprintf(a.tr("The material is written for %s, not for %s."), a.audiencePhrase(), lowerFirst(aud))})
		}
	}
	var out []mcq
	if m, ok := newMCQ(fitQuestion(quizQuestionLen, func(p ...string) string { return fmt.Sprintf(a.tr("Who is %s written for?"), p[0]) }, title),
		content.QuizOption{Text: capitalize(o.Audience), Reason: a.tr("The outline names this audience.")}, wrong,
		fmt.Sprintf(a.tr("The outline says the material is for %s, at the %s level."), a.audiencePhrase(), a.tr(o.Level)), "easy", "audience"); ok {
		out = append(out, m)
	}
	var lv []content.QuizOption
	for _, l := range []string{"beginner", "intermediate", "advanced", "expert"} {
		if l != o.Level {
			lv = append(lv, content.QuizOption{Text: capitalize(a.tr(l)), Reason: fmt.Sprintf(a.tr("The material is written at the %s level, not the %s level."), a.tr(o.Level), a.tr(l))})
		}
	}
	if m, ok := newMCQ(fitQuestion(quizQuestionLen, func(p ...string) string { return fmt.Sprintf(a.tr("At what level is %s written?"), p[0]) }, title),
		content.QuizOption{Text: capitalize(a.tr(o.Level)), Reason: a.tr("The outline gives this level.")}, lv,
		fmt.Sprintf(a.tr("The outline sets the %s level for %s."), a.tr(o.Level), a.audiencePhrase()), "easy", "level"); ok {
		out = append(out, m)
	}
	return out
}

// objectiveFor is the learning objective a question checks: the one
// sharing most words with what it is about, else the objectives in turn.
func (a *analysis) objectiveFor(o *content.Outline, about string, i int) string {
	words := map[string]bool{}
	for _, t := range tokenize(about) {
		if lower := strings.ToLower(t.Text); contentWord(lower, t.Text) {
			words[lower] = true
		}
	}
	best, most := i%len(o.LearningObjectives), 0
	for k, obj := range o.LearningObjectives {
		n := 0
		for _, t := range tokenize(obj) {
			if words[strings.ToLower(t.Text)] {
				n++
			}
		}
		if n > most {
			best, most = k, n
		}
	}
	return o.LearningObjectives[best]
}
