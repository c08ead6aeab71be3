package content_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func timeline() content.Timeline {
	return content.Timeline{Title: outline().Title, Events: []content.TimelineEvent{
		{Date: content.EventDate{Year: 150, BCE: true}, Title: "Seleucus links tides to the Moon", Description: "Seleucus of Seleucia ties the tides to the Moon's position."},
		{Date: content.EventDate{Year: 1687, Month: 7, Day: 5}, Title: "Principia published", Description: "Newton explains the tides by gravity.", Cited: content.Cited{Citations: []string{"p1"}}},
		{Date: content.EventDate{Year: 1687}, Title: "Same year, less precise", Description: "An event of that year whose month is not known."},
		{Date: content.EventDate{Year: 1914, End: &content.DatePoint{Year: 1918}}, Title: "Tide tables at war", Description: "Tide predictions plan landings."},
	}}
}

func TestValidateTimeline(t *testing.T) {
	tl := timeline()
	doc, err := content.ValidateText(content.FormatTimeline, mustJSON(t, tl), content.Expect{})
	require.NoError(t, err)
	assert.Equal(t, &tl, doc)
}

func TestTimelineRules(t *testing.T) {
	set := &content.SourceSet{Passages: []content.Passage{{ID: "p1"}}}
	cases := map[string]struct {
		change func(tl *content.Timeline)
		exp    content.Expect
		want   []string
	}{
		"out of order": {
			change: func(tl *content.Timeline) { tl.Events[0].Date = content.EventDate{Year: 1700} },
			want:   []string{"/events/1/date: 5 July 1687 comes before the previous event's 1700; events must be in chronological order"},
		},
		"BCE counts down": {
			change: func(tl *content.Timeline) {
				tl.Events[0].Date = content.EventDate{Year: 44, BCE: true}
				tl.Events = append([]content.TimelineEvent{{Date: content.EventDate{Year: 43, BCE: true}, Title: "Later BCE first", Description: "A year after the Ides of March."}}, tl.Events...)
			},
			want: []string{"/events/1/date: 44 BCE comes before the previous event's 43 BCE; events must be in chronological order"},
		},
		"no such day": {
			change: func(tl *content.Timeline) { tl.Events[1].Date.Month, tl.Events[1].Date.Day = 2, 30 },
			want:   []string{"/events/1/date: 30 February 1687 February has no day 30"},
		},
		"day without month": {
			change: func(tl *content.Timeline) { tl.Events[1].Date.Month = 0 },
			want:   []string{"/events/1/date: 1687 has a day but no month"},
		},
		"range backwards": {
			change: func(tl *content.Timeline) { tl.Events[3].Date.End = &content.DatePoint{Year: 1912} },
			want:   []string{"/events/3/date/end: the range ends (1912) before it starts (1914)"},
		},
		"no year 0": {
			change: func(tl *content.Timeline) { tl.Events[0].Date = content.EventDate{Year: 0} },
			want:   []string{"/events/0/date/year: must be at least 1"},
		},
		"BCE range backwards": {
			change: func(tl *content.Timeline) {
				tl.Events[0].Date = content.EventDate{Year: 150, BCE: true, End: &content.DatePoint{Year: 160, BCE: true}}
			},
			want: []string{"/events/0/date/end: the range ends (160 BCE) before it starts (150 BCE)"},
		},
		"too few events": {
			change: func(tl *content.Timeline) { tl.Events = tl.Events[:2] },
			want:   []string{"/events: must have at least 3 items, has 2"},
		},
		"citation of no passage": {
			change: func(tl *content.Timeline) { tl.Events[2].Citations = []string{"p4"} },
			exp:    content.Expect{Passages: content.PassagesOf(set)},
			want:   []string{`/events/2/citations/0: "p4" is not a passage of the job's sources`},
		},
		"title of another outline": {
			change: func(tl *content.Timeline) { tl.Title = "Rivers" },
			exp:    content.Expect{Outline: func() *content.Outline { o := outline(); return &o }()},
			want:   []string{`/title: must be the outline's title "Tides and the Moon"`},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tl := timeline()
			c.change(&tl)
			_, err := content.ValidateText(content.FormatTimeline, mustJSON(t, tl), c.exp)
			require.Error(t, err)
			assert.ElementsMatch(t, c.want, violations(t, err))
		})
	}
}

// TestDatesAsTheSourcesGiveThem: a year alone, a month, a day, a year
// before the Common Era, a range within it and one across the eras are
// all kept exactly as precise as they were given.
func TestDatesAsTheSourcesGiveThem(t *testing.T) {
	tl := content.Timeline{Title: "Tides and the Moon", Events: []content.TimelineEvent{
		{Date: content.EventDate{Year: 500, BCE: true, End: &content.DatePoint{Year: 300, BCE: true}}, Title: "City grows", Description: "The city grows for two centuries."},
		{Date: content.EventDate{Year: 44, BCE: true, Month: 3, Day: 15}, Title: "Ides of March", Description: "Caesar is killed in Rome."},
		{Date: content.EventDate{Year: 27, BCE: true, End: &content.DatePoint{Year: 14}}, Title: "Augustus rules", Description: "The first emperor's reign."},
		{Date: content.EventDate{Year: 1687}, Title: "Principia", Description: "Newton explains the tides."},
		{Date: content.EventDate{Year: 1687, Month: 7}, Title: "Principia in July", Description: "The book appears that month."},
	}}
	raw := mustJSON(t, tl)
	doc, err := content.ValidateText(content.FormatTimeline, raw, content.Expect{})
	require.NoError(t, err)
	assert.Equal(t, &tl, doc, "nothing added or lost")
	assert.NotContains(t, string(raw), `"month":0`, "a date given as a year has no month")
	var got []string
	for _, e := range doc.(*content.Timeline).Events {
		got = append(got, e.Date.String())
	}
	assert.Equal(t, []string{"500 BCE–300 BCE", "15 March 44 BCE", "27 BCE–14", "1687", "July 1687"}, got)
}

func TestEventDateString(t *testing.T) {
	assert.Equal(t, "44 BCE", content.EventDate{Year: 44, BCE: true}.String())
	assert.Equal(t, "July 1914", content.EventDate{Year: 1914, Month: 7}.String())
	assert.Equal(t, "28 July 1914–11 November 1918", content.EventDate{Year: 1914, Month: 7, Day: 28, End: &content.DatePoint{Year: 1918, Month: 11, Day: 11}}.String())
	assert.Equal(t, "29 February 1600", content.EventDate{Year: 1600, Month: 2, Day: 29}.String())
	assert.Empty(t, content.DatePoint{Year: 1600, Month: 2, Day: 29}.Valid(), "1600 is a leap year")
	assert.NotEmpty(t, content.DatePoint{Year: 1700, Month: 2, Day: 29}.Valid(), "1700 is not")
}

func TestFindDates(t *testing.T) {
	cases := map[string][]string{
		"The war began on 28 July 1914 and ended on November 11, 1918.":   {"28 July 1914", "11 November 1918"},
		"Caesar died in 44 BC; Pompeii was buried in AD 79.":              {"44 BCE", "79"},
		"It was built between 1939 and 1945, in the 1960s it was sold.":   {"1939–1945", "1960–1969"},
		"The treaty of 1648 (ISO 1648-10-24) was signed in October 1648.": {"1648", "24 October 1648", "October 1648"},
		"from 500 to 300 BC the city grew":                                {"500 BCE–300 BCE"},
		"By the 1500s watches had spread.":                                {"1500–1599"},
		"Cells divide 1500 times; it costs $2000 and 1,914 people came.":  nil,
		"The reaction needs 2000 kg of ore and 100 cells.":                nil,
		"Glaciers are rivers of ice. A moraine is a ridge of debris.":     nil,
		"Mount Everest is 8849 metres high.":                              nil,
	}
	for text, want := range cases {
		var got []string
		for _, m := range content.FindDates(text) {
			got = append(got, m.Date.String())
			assert.Equal(t, m.Text, text[m.Start:m.End])
		}
		assert.Equal(t, want, got, text)
	}
}

func TestTimelineApplicable(t *testing.T) {
	ok, why := content.TimelineApplicable(nil)
	assert.True(t, ok, "without sources the model writes from what it knows")
	assert.Empty(t, why)

	none := &content.SourceSet{Passages: []content.Passage{{ID: "p1", Text: "Glaciers are rivers of ice. A moraine is a ridge of debris."}}}
	ok, why = content.TimelineApplicable(none)
	assert.False(t, ok)
	assert.Equal(t, "the sources hold no dates, so there is nothing to put on a timeline", why)

	two := &content.SourceSet{Passages: []content.Passage{{ID: "p1", Text: "In 1850 the glacier reached the valley; by 1950 it had retreated."}}}
	ok, why = content.TimelineApplicable(two)
	assert.False(t, ok)
	assert.Contains(t, why, "only 2 distinct date(s)")

	three := &content.SourceSet{Passages: []content.Passage{{ID: "p1", Text: "In 1850 the glacier reached the valley."}, {ID: "p2", Text: "By 1950 it had retreated; in 2000 it was gone."}}}
	ok, _ = content.TimelineApplicable(three)
	assert.True(t, ok)
}
