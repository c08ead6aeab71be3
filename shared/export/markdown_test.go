package export

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func quizAndTimeline() Bundle {
	q := &content.Quiz{Title: "Keeping time", Questions: []content.QuizQuestion{
		{Question: "What does an escapement do?", Answer: "C", Difficulty: "medium", Objective: "Explain how a mechanical clock keeps time",
			Explanation: "It releases the clock's energy in small, equal steps.", Cited: content.Cited{Citations: []string{"p4"}},
			Options: []content.QuizOption{{Text: "It winds the spring"}, {Text: "It strikes the hours"}, {Text: "It releases energy in equal steps"}, {Text: "It lights the dial"}}},
		{Question: "Which clock used flowing water?", Answer: "A", Difficulty: "easy", Objective: "Name the earliest timekeepers",
			Explanation: "A clepsydra measures time by the flow of water.", Cited: content.Cited{Citations: []string{"p2", "p3"}, Grounding: content.Unsupported},
			Options: []content.QuizOption{{Text: "The clepsydra"}, {Text: "The sundial"}, {Text: "The hourglass"}, {Text: "The atomic clock"}}},
	}}
	tl := &content.Timeline{Title: "Keeping time", Events: []content.TimelineEvent{
		{Date: content.EventDate{Year: 1500, BCE: true}, Title: "Shadow clocks", Description: "Egyptian sundials divide the day.", Cited: content.Cited{Citations: []string{"p2"}}},
		{Date: content.EventDate{Year: 1088, End: &content.DatePoint{Year: 1092}}, Title: "Su Song's clock tower", Description: "A water-driven astronomical clock in Kaifeng."},
		{Date: content.EventDate{Year: 1967, Month: 10, Day: 13}, Title: "The atomic second", Description: "The second is defined by caesium."},
	}}
	set := &content.SourceSet{Sources: []content.SourceDoc{{ID: "s1", Title: "A history of clocks"}}, Passages: []content.Passage{
		{ID: "p1", Source: "s1", Text: "Clocks measure time."},
		{ID: "p2", Source: "s1", Text: "Egyptian sundials divide the day; a clepsydra measures time by flowing water."},
		{ID: "p3", Source: "s1", Text: "Water clocks were used at night."},
		{ID: "p4", Source: "s1", Text: "The escapement releases the clock's energy in equal steps."},
	}}
	return Bundle{Title: "Keeping time", Sources: set, Docs: []Doc{{Format: content.FormatQuiz, Value: q}, {Format: content.FormatTimeline, Value: tl}}}
}

func TestTheQuizAndTheTimelineAreInEveryBundle(t *testing.T) {
	t.Parallel()
	b := quizAndTimeline()
	md := string(Markdown(b))
	assert.Contains(t, md, "## Quiz")
	assert.Contains(t, md, "## Timeline")
	assert.Contains(t, md, "**1. What does an escapement do?** *(medium)*")
	for i, l := range content.AnswerLetters {
		assert.Contains(t, md, "- "+l+". "+b.Docs[0].Value.(*content.Quiz).Questions[0].Options[i].Text)
	}
	questions, answers, ok := strings.Cut(md, "### Answers")
	require.True(t, ok, "the answers follow the questions")
	assert.NotContains(t, questions, "equal steps.", "no explanation before the answers")
	assert.Contains(t, answers, "1. **C. It releases energy in equal steps**: It releases the clock's energy in small, equal steps. *(Checks: Explain how a mechanical clock keeps time)*[^p4]")
	assert.Contains(t, answers, "*(not supported by its sources)*[^p2][^p3]", "an unsupported answer is marked")
	assert.Contains(t, md, "Egyptian sundials divide the day.[^p2]", "an event cites its passage")
	assert.Contains(t, md, "[^p4]: ", "a cited passage is a footnote")
	assert.Contains(t, md, "- **1500 BCE**: **Shadow clocks**.")
	assert.Contains(t, md, "- **1088–1092**: **Su Song's clock tower**.")
	assert.Contains(t, md, "- **13 October 1967**: **The atomic second**.")
	assert.Less(t, strings.Index(md, "1500 BCE"), strings.Index(md, "1088–1092"), "the events stay in order")

	page := string(HTML(b))
	assertInert(t, page[strings.Index(page, "<body>")+len("<body>"):])
	assert.Contains(t, page, "<strong>1. What does an escapement do?</strong>")
	assert.Contains(t, page, `<li dir="auto">B. It strikes the hours</li>`)
	assert.Contains(t, page, "<strong>13 October 1967</strong>")

	doc := NewDocument(b, "en-US", nil)
	require.Len(t, doc.Sections, 2)
	assert.Equal(t, content.FormatQuiz, doc.Sections[0].Format)
	assert.Equal(t, content.FormatTimeline, doc.Sections[1].Format)
	var quizText, timelineText []string
	for _, bl := range doc.Sections[0].Blocks {
		quizText = append(quizText, blockText(bl))
	}
	for _, bl := range doc.Sections[1].Blocks {
		timelineText = append(timelineText, blockText(bl))
	}
	assert.Contains(t, strings.Join(quizText, "\n"), "D. It lights the dial")
	assert.Contains(t, strings.Join(quizText, "\n"), "Answers")
	assert.Contains(t, strings.Join(timelineText, "\n"), "1088–1092: Su Song's clock tower.")
}

// blockText is a block's text and its items' text, one per line.
func blockText(b Block) string {
	parts := []string{PlainText(b.Text)}
	for _, it := range b.Items {
		parts = append(parts, PlainText(it.Text))
	}
	return strings.Join(parts, "\n")
}
