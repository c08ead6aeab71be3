package content_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func TestPodcastStyles(t *testing.T) {
	for _, style := range content.PodcastStyles {
		r, err := content.ParseRequest([]byte(`{"topic": "Tides", "podcast": {"style": "` + strings.ToUpper(style) + `", "target_minutes": 15}}`))
		require.NoError(t, err, style)
		assert.Equal(t, style, r.Podcast.Style, "normalized")
		if style == content.StyleBrief {
			assert.Equal(t, 2, r.Podcast.TargetMinutes, "a brief is at most two minutes")
		} else {
			assert.Equal(t, 15, r.Podcast.TargetMinutes)
		}
	}
	_, err := content.ParseRequest([]byte(`{"topic": "Tides", "podcast": {"style": "monologue"}}`))
	var inv *content.InvalidError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, []content.FieldError{{Field: "podcast.style", Code: "invalid_value", Message: "must be one of deep_dive, brief, critique, debate"}}, inv.Errors)
}

func TestPodcastLength(t *testing.T) {
	cases := []struct {
		style  string
		target int
		want   content.Length
	}{
		{content.StyleDeepDive, 5, content.Length{Target: 5, Min: 4, Max: 6}},
		{content.StyleDebate, 15, content.Length{Target: 15, Min: 12, Max: 18}},
		{content.StyleBrief, 1, content.Length{Target: 1.5, Min: 1, Max: 2}},
		{content.StyleBrief, 15, content.Length{Target: 1.5, Min: 1, Max: 2}},
		{"", 0, content.Length{Target: 5, Min: 4, Max: 6}},
	}
	for _, c := range cases {
		got := (&content.PodcastOptions{Style: c.style, TargetMinutes: c.target}).Length()
		assert.InDelta(t, c.want.Target, got.Target, 1e-9, "%s %d", c.style, c.target)
		assert.InDelta(t, c.want.Min, got.Min, 1e-9, "%s %d", c.style, c.target)
		assert.InDelta(t, c.want.Max, got.Max, 1e-9, "%s %d", c.style, c.target)
	}
	lo, hi := content.Length{Target: 5, Min: 4, Max: 6}.ScriptWindow()
	assert.InDelta(t, 4.5, lo, 1e-9, "within ScriptTolerance of the target")
	assert.InDelta(t, 5.5, hi, 1e-9)
	lo, hi = content.Length{Target: 1.9, Min: 1, Max: 2}.ScriptWindow()
	assert.InDelta(t, 1.71, lo, 1e-9)
	assert.InDelta(t, 1.81, hi, 1e-9, "inside the bounds by the room the estimate needs")
}

func TestPaceEstimatesAScript(t *testing.T) {
	pace := content.Pace{WordsPerMinute: []float64{120, 180}, PerLine: 500 * time.Millisecond}
	s := &content.PodcastScript{
		Speakers: []content.Speaker{{Name: "Ana"}, {Name: "Ben"}},
		Intro:    strings.Repeat("word ", 60),                                         // 30 s at 120 wpm
		Turns:    []content.Turn{{Speaker: "Ben", Text: strings.Repeat("word ", 90)}}, // 30 s at 180 wpm
		Outro:    strings.Repeat("word ", 120),                                        // 60 s
	}
	assert.InDelta(t, (120+1.5)/60, pace.Minutes(s), 1e-9, "words at each speaker's pace and half a second a line")
	assert.Equal(t, 150, content.DefaultPace.Words(1, 2))
	assert.InDelta(t, 150, pace.Mean(2), 1e-9)
	// 60/150 s a word, plus half a second every 40 words.
	assert.Equal(t, 145, pace.Words(1, 2))
}

func TestScriptLengthIsCheckedAtThePace(t *testing.T) {
	req := &content.Request{Podcast: &content.PodcastOptions{Style: content.StyleDeepDive, TargetMinutes: 1,
		Speakers: []content.Speaker{{Name: "Ana", Role: "host"}, {Name: "Ben", Role: "guest"}}}}
	pace := content.DefaultPace
	script := func(words int) content.PodcastScript {
		half := strings.TrimSpace(strings.Repeat("word ", words/2-10))
		return content.PodcastScript{Title: "Tides", Speakers: req.Podcast.Speakers, Intro: strings.Repeat("hello ", 5) + "there",
			Turns: []content.Turn{{Speaker: "Ana", Text: "Question?"}, {Speaker: "Ben", Text: half}, {Speaker: "Ana", Text: "And?"}, {Speaker: "Ben", Text: half}},
			Outro: "Thanks for listening, bye now.", TargetMinutes: 1}
	}
	ok := script(150)
	_, err := content.ValidateText(content.FormatPodcastScript, mustJSON(t, ok), content.Expect{Request: req, Pace: &pace})
	require.NoError(t, err)

	short := script(80)
	_, err = content.ValidateText(content.FormatPodcastScript, mustJSON(t, short), content.Expect{Request: req, Pace: &pace})
	require.Error(t, err)
	msgs := violations(t, err)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "/turns: the script is too short: its 73 spoken words (intro, turns and outro) take about 0.49 minutes")
	assert.Contains(t, msgs[0], "a deep dive podcast of 1 minutes needs 0.90 to 1.10 minutes, between 135 and 165 words")

	long := script(400)
	_, err = content.ValidateText(content.FormatPodcastScript, mustJSON(t, long), content.Expect{Request: req, Pace: &pace})
	assert.Contains(t, err.Error(), "the script is too long")

	_, err = content.ValidateText(content.FormatPodcastScript, mustJSON(t, long), content.Expect{Request: req})
	assert.NoError(t, err, "without a pace (an edited script) the length is not checked")
}
