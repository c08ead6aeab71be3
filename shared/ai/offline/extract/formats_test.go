package extract_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

func TestQuizAsksAboutTheDefinitions(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "timekeeping").Request
	q := decode[content.Quiz](t, generate(t, req, content.FormatQuiz))
	require.GreaterOrEqual(t, len(q.Questions), 5)
	byQuestion := map[string]content.QuizQuestion{}
	letters := map[string]int{}
	for _, x := range q.Questions {
		byQuestion[x.Question] = x
		letters[x.Answer]++
	}
	sundial, ok := byQuestion["What is a sundial?"]
	require.True(t, ok, "a defined term is asked about")
	right, _ := sundial.Correct()
	assert.Equal(t, "An instrument that tells the time from the position of a shadow cast by the Sun.", right.Text)
	for _, o := range sundial.Options {
		if o != right {
			assert.Contains(t, o.Reason, "not sundial", "each distractor is another term's definition and says so")
		}
	}
	assert.Equal(t, "easy", sundial.Difficulty)
	set := content.TextSources(&req)
	require.Len(t, sundial.Citations, 1)
	var cited content.Passage
	for _, p := range set.Passages {
		if p.ID == sundial.Citations[0] {
			cited = p
		}
	}
	assert.Contains(t, cited.Text, "A sundial is an instrument", "the question cites the passage it is taken from")
	assert.Len(t, letters, 4, "the answers rotate over A to D")
}

func TestQuizWithoutSourceAsksAboutTheMaterial(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "no-source").Request
	q := decode[content.Quiz](t, generate(t, req, content.FormatQuiz))
	require.GreaterOrEqual(t, len(q.Questions), 5)
	for _, x := range q.Questions {
		assert.Empty(t, x.Citations, "nothing to cite")
	}
}

func TestTimelineFromTheSourcesDates(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "timekeeping").Request
	tl := decode[content.Timeline](t, generate(t, req, content.FormatTimeline))
	require.GreaterOrEqual(t, len(tl.Events), 10)
	first := tl.Events[0]
	assert.Equal(t, content.EventDate{Year: 1500, BCE: true}, first.Date, "BCE dates come first")
	assert.Equal(t, "Egyptian shadow clocks and sundials divided the day into parts by the length and…", first.Title)
	var seiko *content.TimelineEvent
	for i, e := range tl.Events {
		if strings.HasPrefix(e.Title, "Seiko") {
			seiko = &tl.Events[i]
		}
		require.Len(t, e.Citations, 1, "every event cites the passage it is taken from")
	}
	require.NotNil(t, seiko)
	assert.Equal(t, "25 December 1969", seiko.Date.String(), "as precise as the source")
	assert.Contains(t, seiko.Description, "On 25 December 1969 Seiko sold the Astron")
}

func TestTimelineDoesNotApplyWithoutDates(t *testing.T) {
	t.Parallel()
	for name, why := range map[string]string{
		"photosynthesis": "the sources hold no dates, so there is nothing to put on a timeline",
		"no-source":      "the job has no sources, and the offline backend takes dates only from sources",
	} {
		req := aitest.FixtureNamed(t, name).Request
		o := outlineOf(t, req)
		res, err := extract.Text{}.GenerateText(context.Background(), ai.TextRequest{Format: content.FormatTimeline, Request: &req, Outline: o})
		na, ok := failure.AsNotApplicable(err)
		require.True(t, ok, "%s: %v", name, err)
		assert.Equal(t, why, na.Reason, name)
		assert.Empty(t, res.JSON)
	}
}

// script generates the podcast of a fixture in a style, at a pace.
func script(t *testing.T, fixture, style string, minutes int, pace content.Pace) (*content.PodcastScript, content.Request) {
	t.Helper()
	req := aitest.FixtureNamed(t, fixture).Request
	p := *req.Podcast
	p.Style, p.TargetMinutes = style, minutes
	req.Podcast = &p
	req.ApplyDefaults()
	o := outlineOf(t, req)
	res, err := extract.Text{}.GenerateText(context.Background(), ai.TextRequest{Format: content.FormatPodcastScript, Request: &req, Outline: o, Pace: &pace})
	require.NoError(t, err)
	return decode[content.PodcastScript](t, res), req
}

func TestPodcastStylesHaveTheirShapes(t *testing.T) {
	t.Parallel()
	pace := content.Pace{WordsPerMinute: []float64{150, 160, 140}, PerLine: 400 * time.Millisecond}

	debate, _ := script(t, "timekeeping", content.StyleDebate, 4, pace)
	assert.Contains(t, debate.Intro, "I'll moderate. Arguing for the case the material makes: Tom. Arguing against it: Ines.")
	var against []string
	for _, turn := range debate.Turns {
		if turn.Speaker == "Ines" {
			against = append(against, turn.Text)
		}
	}
	require.NotEmpty(t, against)
	assert.True(t, strings.HasPrefix(against[0], "I'm not convinced.") || strings.HasPrefix(against[0], "Let me push back."), against[0])

	critique, _ := script(t, "photosynthesis", content.StyleCritique, 3, pace)
	assert.Contains(t, critique.Intro, "what it claims, what it takes for granted, and where it could be wrong")
	all := ""
	for _, turn := range critique.Turns {
		all += turn.Text + " "
	}
	for _, word := range []string{"assumption", "weakness", "counterargument"} {
		assert.Contains(t, all, word, "a critique names %ss", word)
	}

	brief, req := script(t, "photosynthesis", content.StyleBrief, 15, pace)
	assert.Equal(t, 2, req.Podcast.TargetMinutes, "a brief is at most two minutes")
	assert.Equal(t, 2, brief.TargetMinutes)
	assert.True(t, strings.HasPrefix(brief.Intro, "This is a brief on photosynthesis."), brief.Intro)
	assert.LessOrEqual(t, brief.EstimatedMinutes, 2.0)
	assert.GreaterOrEqual(t, brief.EstimatedMinutes, 1.0)

	twoSided, _ := script(t, "short-source", content.StyleDebate, 1, pace)
	assert.Contains(t, twoSided.Intro, "I'm Alex, and I'll argue for the case the material makes; Sam argues against it.", "without a third speaker nobody moderates")
}

func TestPodcastLengthAtThePace(t *testing.T) {
	t.Parallel()
	slow := content.Pace{WordsPerMinute: []float64{120, 130}, PerLine: 500 * time.Millisecond}
	fast := content.Pace{WordsPerMinute: []float64{190, 200}, PerLine: 200 * time.Millisecond}
	for _, fixture := range []string{"photosynthesis", "timekeeping", "short-source", "markdown-notes"} {
		for _, style := range content.PodcastStyles {
			for _, minutes := range []int{1, 5, 15} {
				for name, pace := range map[string]content.Pace{"slow": slow, "fast": fast} {
					s, req := script(t, fixture, style, minutes, pace)
					lo, hi := req.Podcast.Length().ScriptWindow()
					got := pace.Minutes(s)
					assert.True(t, got >= lo && got <= hi, "%s: %s %d min at the %s pace: %.2f minutes, want %.2f–%.2f", fixture, style, minutes, name, got, lo, hi)
					assert.InDelta(t, got, s.EstimatedMinutes, 0.01, "estimated minutes are the pace's")
				}
			}
		}
	}
	s, _ := script(t, "photosynthesis", content.StyleDeepDive, 5, slow)
	f, _ := script(t, "photosynthesis", content.StyleDeepDive, 5, fast)
	assert.Greater(t, f.Words(), s.Words()*14/10, "faster voices need more words for the same minutes")
}
