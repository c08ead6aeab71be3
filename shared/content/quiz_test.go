package content_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

// quiz is a valid quiz on the test outline: five questions with their
// answers on B, C, D, A, B.
func quiz() content.Quiz {
	o := outline()
	letters := []string{"B", "C", "D", "A", "B"}
	q := content.Quiz{Title: o.Title}
	for i, l := range letters {
		q.Questions = append(q.Questions, content.QuizQuestion{
			Question: fmt.Sprintf("Which force raises tide number %d?", i+1),
			Options: []content.QuizOption{
				{Text: "The Moon's gravity", Reason: "Right: the Moon pulls the near side harder."},
				{Text: "The wind", Reason: "Wind makes waves and surges, not the daily tide."},
				{Text: "Earth's magnetic field", Reason: "Magnetism does not move water."},
				{Text: "Ocean currents", Reason: "Currents move water sideways, not up and down."},
			},
			Answer:      l,
			Explanation: "The Moon's gravity is stronger on the side of the Earth facing it.",
			Difficulty:  "easy",
			Objective:   o.LearningObjectives[i%len(o.LearningObjectives)],
		})
	}
	return q
}

func TestValidateQuiz(t *testing.T) {
	o := outline()
	exp := content.Expect{Outline: &o}
	q := quiz()
	doc, err := content.ValidateText(content.FormatQuiz, mustJSON(t, q), exp)
	require.NoError(t, err)
	assert.Equal(t, &q, doc)
	correct, i := q.Questions[0].Correct()
	assert.Equal(t, 1, i)
	assert.Equal(t, "The wind", correct.Text)
}

func TestQuizRules(t *testing.T) {
	o := outline()
	set := &content.SourceSet{Passages: []content.Passage{{ID: "p1"}, {ID: "p2"}}}
	cases := map[string]struct {
		change func(q *content.Quiz)
		exp    content.Expect
		want   []string
	}{
		"duplicate options": {
			change: func(q *content.Quiz) { q.Questions[0].Options[2].Text = "the  WIND" },
			want:   []string{"/questions/0/options/2: repeats an earlier option"},
		},
		"all of the above": {
			change: func(q *content.Quiz) { q.Questions[1].Options[3].Text = "All of the above" },
			want:   []string{`/questions/1/options/3/text: "All of the above" refers to the other options; every option must be an answer of its own, and exactly one of them correct`},
		},
		"none of these and both A and B": {
			change: func(q *content.Quiz) {
				q.Questions[1].Options[3].Text = "None of these."
				q.Questions[2].Options[0].Text = "Both A and C"
			},
			want: []string{
				`/questions/1/options/3/text: "None of these." refers to the other options; every option must be an answer of its own, and exactly one of them correct`,
				`/questions/2/options/0/text: "Both A and C" refers to the other options; every option must be an answer of its own, and exactly one of them correct`,
			},
		},
		"answer always in one place": {
			change: func(q *content.Quiz) {
				for i := range q.Questions {
					q.Questions[i].Answer = "A"
				}
			},
			want: []string{"/questions: 5 of the 5 answers are A; vary the position of the correct option (at most 3 answers may share a letter)"},
		},
		"objective not in the outline": {
			change: func(q *content.Quiz) { q.Questions[4].Objective = "Sail a boat" },
			exp:    content.Expect{Outline: &o},
			want:   []string{`/questions/4/objective: "Sail a boat" is not a learning objective of the outline`},
		},
		"citation of no passage": {
			change: func(q *content.Quiz) { q.Questions[0].Citations = []string{"p2", "p9", "p2"} },
			exp:    content.Expect{Passages: content.PassagesOf(set)},
			want:   []string{"/questions/0/citations/2: cites p2 twice", `/questions/0/citations/1: "p9" is not a passage of the job's sources`},
		},
		"citation not an id": {
			change: func(q *content.Quiz) { q.Questions[0].Citations = []string{"source 1"} },
			want:   []string{"/questions/0/citations/0: must match ^p[1-9][0-9]*$"},
		},
		"three options": {
			change: func(q *content.Quiz) { q.Questions[3].Options = q.Questions[3].Options[:3] },
			want:   []string{"/questions/3/options: must have at least 4 items, has 3"},
		},
		"answer is not a letter": {
			change: func(q *content.Quiz) { q.Questions[3].Answer = "The Moon's gravity" },
			want:   []string{"/questions/3/answer: must be one of A, B, C, D"},
		},
		"five options": {
			change: func(q *content.Quiz) {
				q.Questions[3].Options = append(q.Questions[3].Options, content.QuizOption{Text: "A fifth answer", Reason: "One option too many."})
			},
			want: []string{"/questions/3/options: must have at most 4 items, has 5"},
		},
		"two correct answers": {
			change: func(q *content.Quiz) { q.Questions[2].Answer = "A,C" },
			want:   []string{"/questions/2/answer: must be one of A, B, C, D"},
		},
		"distractor without its reason": {
			change: func(q *content.Quiz) { q.Questions[3].Options[1].Reason = "" },
			want:   []string{"/questions/3/options/1/reason: must be at least 10 characters, is 0"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			q := quiz()
			c.change(&q)
			_, err := content.ValidateText(content.FormatQuiz, mustJSON(t, q), c.exp)
			require.Error(t, err)
			assert.ElementsMatch(t, c.want, violations(t, err))
		})
	}
}

func TestCatchAll(t *testing.T) {
	for _, s := range []string{"All of the above", "none of the above.", "Both of these", "Neither of them", "Both A and B", "A and B", "either B or D"} {
		assert.True(t, content.CatchAll(s), s)
	}
	for _, s := range []string{"All plants", "The above-ground stem", "Both lungs", "Vitamin A and iron", "None"} {
		assert.False(t, content.CatchAll(s), s)
	}
}

func TestQuizSchemaPinsObjectivesAndPassages(t *testing.T) {
	o := outline()
	spec := content.MustLookup(content.FormatQuiz)
	set := &content.SourceSet{Passages: []content.Passage{{ID: "p1"}, {ID: "p2"}}}
	q := spec.SchemaFor(content.Expect{Outline: &o, Passages: content.PassagesOf(set)}).Properties["questions"].Items
	assert.Equal(t, o.LearningObjectives, q.Properties["objective"].Enum)
	assert.Equal(t, []string{"p1", "p2"}, q.Properties["citations"].Items.Enum)

	assert.Contains(t, q.Required, "citations", "a job with sources cites on every question")
	none := spec.SchemaFor(content.Expect{Outline: &o, Passages: content.PassageSet{}}).Properties["questions"].Items
	assert.NotContains(t, none.Properties, "citations", "nothing to cite without passages")
	assert.NotContains(t, q.Properties, "grounding", "the verdict is the pipeline's, not the model's")
	assert.Equal(t, []string{"A", "B", "C", "D"}, q.Properties["answer"].Enum)
	assert.Nil(t, spec.Schema().Properties["questions"].Items.Properties["citations"].Items.Enum, "the base schema is not pinned")
}
