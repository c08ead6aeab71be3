package extract

import (
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

// maxEvents bounds the timeline.
const maxEvents = 40

// timeline puts on a timeline every sentence of the sources that mentions
// a date (content.FindDates), with the date as precise as the sentence
// gives it: the sentence is the event's description, its words without
// the date its title, and the passage it stands in its citation. Sources
// that hold fewer than content.MinTimelineEvents distinct dates, or no
// sources at all (the backend knows no history of its own), make no
// timeline: the error is failure.NotApplicable with the reason.
func (a *analysis) timeline(o *content.Outline) (content.Timeline, error) {
	if a.set == nil || len(a.set.Passages) == 0 {
		return content.Timeline{}, failure.NotApplicable("the job has no sources, and the offline backend takes dates only from sources")
	}
	if err := (ai.TextRequest{Format: content.FormatTimeline, Sources: a.set}).Applicable(); err != nil {
		return content.Timeline{}, err
	}
	var events []content.TimelineEvent
	titles, dates := uniqueSet{}, uniqueSet{}
	for _, p := range a.set.Passages {
		for _, sent := range splitSentences(strings.Join(strings.Fields(p.Text), " "), a.req.Language) {
			for _, m := range content.FindDates(sent) {
				title := eventTitle(sent, m)
				key := m.Date.String() + " " + title
				if runeLen(title) < 3 || !titles.add(title) || !dates.add(key) {
					continue
				}
				events = append(events, content.TimelineEvent{Date: m.Date, Title: title,
					Description: truncate(sent, 1000), Cited: content.Cited{Citations: []string{p.ID}}})
				break // one event a sentence: its first date
			}
		}
	}
	if len(events) > maxEvents {
		events = spread(events, maxEvents)
	}
	slices.SortStableFunc(events, func(x, y content.TimelineEvent) int {
		return compareDates(x.Date.Start(), y.Date.Start())
	})
	if len(events) < content.MinTimelineEvents {
		return content.Timeline{}, failure.NotApplicable("the sentences of the sources that hold dates are too few to make a timeline")
	}
	return content.Timeline{Title: o.Title, Events: events}, nil
}

// compareDates orders points by year (years before the Common Era
// counting down), then month and day; a point without a month or a day
// comes before the months or days of its year or month. It is a total
// order that agrees with DatePoint.Before.
func compareDates(x, y content.DatePoint) int {
	key := func(p content.DatePoint) []int {
		year := p.Year
		if p.BCE {
			year = -year
		}
		return []int{year, p.Month, p.Day}
	}
	return slices.Compare(key(x), key(y))
}

// spread keeps n events spread evenly over the text.
func spread(events []content.TimelineEvent, n int) []content.TimelineEvent {
	out := make([]content.TimelineEvent, 0, n)
	for i := range n {
		out = append(out, events[i*len(events)/n])
	}
	return out
}

// eventTitle is what a sentence says happened, without its date: the
// sentence with the date and the words that lead to it ("in", "from
// around", "by the") removed, up to its first clause boundary, in at most
// fourteen words.
func eventTitle(sent string, m content.DateMention) string {
	before := strings.Fields(sent[:m.Start])
	for len(before) > 0 && dateLeads[strings.ToLower(before[len(before)-1])] {
		before = before[:len(before)-1]
	}
	text := strings.Join(append(before, strings.Fields(sent[m.End:])...), " ")
	text = strings.ReplaceAll(strings.ReplaceAll(text, " ,", ","), " ;", ";")
	for _, b := range []string{", and ", ", but ", ", which ", "; ", " — ", " – "} {
		if i := strings.Index(text, b); i > 0 && len(strings.Fields(text[:i])) >= 3 {
			text = text[:i]
		}
	}
	text = strings.Trim(text, " ,;:–—-")
	text = strings.TrimRight(text, ".!?")
	if words := strings.Fields(text); len(words) > 14 {
		text = strings.Join(words[:14], " ") + ellipsis
	}
	return capitalize(truncate(text, 200))
}

// dateLeads are the words that lead to a date in a sentence.
var dateLeads = setOf("in on by from until till since around about circa c. ca. during between of at the early late mid year years")
