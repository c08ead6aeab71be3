package content

import (
	"fmt"
	"regexp"
	"slices"
)

// Quiz is a multiple-choice quiz on the material: every question has four
// options, one of them right and three plausible distractors, each with
// the reason it is right or wrong.
type Quiz struct {
	Title     string         `json:"title" len:"3-200" desc:"The outline's title."`
	Questions []QuizQuestion `json:"questions" items:"5-20" desc:"The questions, covering the learning objectives."`
}

// QuizQuestion is one multiple-choice question.
type QuizQuestion struct {
	Question    string       `json:"question" len:"10-500" pattern:"[?？؟]$" desc:"The question, ending with a question mark."`
	Options     []QuizOption `json:"options" items:"4-4" desc:"The four options in the order shown (A, B, C, D): the correct answer and three plausible distractors."`
	Answer      string       `json:"answer" enum:"A|B|C|D" desc:"The letter of the one correct option."`
	Explanation string       `json:"explanation" len:"20-2000" claim:"" desc:"Why the answer is right, in a few sentences."`
	Difficulty  string       `json:"difficulty" enum:"easy|medium|hard" desc:"How hard the question is."`
	Objective   string       `json:"objective" len:"5-300" desc:"The learning objective of the outline the question checks, exactly as the outline words it."`
	Cited
}

// QuizOption is one option of a question.
type QuizOption struct {
	Text   string `json:"text" len:"1-300" desc:"The option as shown."`
	Reason string `json:"reason" len:"10-600" desc:"For the correct option, why it is right; for a distractor, the mistake that makes it wrong."`
}

// AnswerLetters name a question's options in order.
var AnswerLetters = []string{"A", "B", "C", "D"}

// Correct returns the question's correct option and its index (-1 when
// the answer names none).
func (q *QuizQuestion) Correct() (QuizOption, int) {
	i := slices.Index(AnswerLetters, q.Answer)
	if i < 0 || i >= len(q.Options) {
		return QuizOption{}, -1
	}
	return q.Options[i], i
}

// catchAll matches an option that is about the other options rather than
// the material ("all of the above", "none of these", "both A and B"),
// which a question with one correct answer cannot have.
var catchAll = regexp.MustCompile(`(?i)\b(all|none|both|neither)\s+of\s+(the\s+)?(above|these|those|them|the\s+options|the\s+answers)\b` +
	`|\b(both|either|neither)\s+[A-D]\s+(and|or|nor)\s+[A-D]\b|^\s*[A-D]\s+(and|or)\s+[A-D]\s*\.?\s*$`)

// CatchAll reports an option that refers to the other options.
func CatchAll(option string) bool { return catchAll.MatchString(option) }

func (q *Quiz) check(exp Expect) Violations {
	get := func(x QuizQuestion) string { return x.Question }
	vs := append(titleAgrees(q.Title, exp), unique(q.Questions, "/questions", "question", get)...)
	vs = append(vs, questionForms(q.Questions, "/questions", "question", exp, get)...)
	for i, x := range q.Questions {
		path := fmt.Sprintf("/questions/%d", i)
		vs = append(vs, unique(x.Options, path+"/options", "option", func(o QuizOption) string { return o.Text })...)
		for j, o := range x.Options {
			if CatchAll(o.Text) {
				vs = append(vs, Violation{Path: fmt.Sprintf("%s/options/%d/text", path, j),
					Message: fmt.Sprintf("%q refers to the other options; every option must be an answer of its own, and exactly one of them correct", o.Text)})
			}
		}
		if _, k := x.Correct(); k < 0 {
			vs = append(vs, Violation{Path: path + "/answer", Message: fmt.Sprintf("%q names none of the %d options; exactly one must be correct", x.Answer, len(x.Options))})
		}
		vs = append(vs, objectiveAgrees(x.Objective, path+"/objective", exp)...)
	}
	return append(vs, q.checkPositions()...)
}

// checkPositions requires the correct answers to be spread over the
// letters: no letter may be the answer of more than half the questions
// (rounded up), so that guessing one letter does not pass the quiz.
func (q *Quiz) checkPositions() Violations {
	n := len(q.Questions)
	if n < 2 {
		return nil
	}
	count := map[string]int{}
	for _, x := range q.Questions {
		count[x.Answer]++
	}
	limit := (n + 1) / 2
	var vs Violations
	for _, l := range AnswerLetters {
		if count[l] > limit {
			vs = append(vs, Violation{Path: "/questions", Message: fmt.Sprintf(
				"%d of the %d answers are %s; vary the position of the correct option (at most %d answers may share a letter)", count[l], n, l, limit)})
		}
	}
	return vs
}

// objectiveAgrees requires an objective to be one of the outline's
// learning objectives, when the outline is known.
func objectiveAgrees(objective, path string, exp Expect) Violations {
	if exp.Outline == nil {
		return nil
	}
	for _, o := range exp.Outline.LearningObjectives {
		if sameText(o, objective) {
			return nil
		}
	}
	return Violations{{Path: path, Message: fmt.Sprintf("%q is not a learning objective of the outline", objective)}}
}
