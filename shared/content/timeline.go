package content

import (
	"fmt"
	"strconv"
	"strings"
)

// Timeline is the dated events of the material in chronological order.
// A job whose sources hold no dates has no timeline: its step ends
// not_applicable (see TimelineApplicable).
type Timeline struct {
	Title  string          `json:"title" len:"3-200" desc:"The outline's title."`
	Events []TimelineEvent `json:"events" items:"3-40" desc:"The dated events, in chronological order (earliest first)."`
}

// TimelineEvent is one dated event.
type TimelineEvent struct {
	Date        EventDate `json:"date" desc:"When it happened, exactly as precise as the sources say: a year, a month of a year, a day, or a range of those."`
	Title       string    `json:"title" len:"3-200" desc:"What happened, in a few words."`
	Description string    `json:"description" len:"10-1000" claim:"" desc:"What happened and why it matters, in a sentence or two."`
	Cited
}

// EventDate is when an event happened: a year, a month of a year or a
// day, before the Common Era when BCE is set, and with End a range.
type EventDate struct {
	Year  int        `json:"year" range:"1-99999" desc:"The year (for 44 BCE, 44 with bce true; there is no year 0)."`
	Month int        `json:"month,omitempty" range:"1-12" desc:"The month, 1 to 12, only when the sources give it."`
	Day   int        `json:"day,omitempty" range:"1-31" desc:"The day of the month, only when the sources give it (with the month)."`
	BCE   bool       `json:"bce,omitempty" desc:"True for a year before the Common Era."`
	End   *DatePoint `json:"end,omitempty" desc:"The end of a range (1914 to 1918), when the event lasted; no earlier than the start."`
}

// DatePoint is one end of a date range.
type DatePoint struct {
	Year  int  `json:"year" range:"1-99999" desc:"The year (for 44 BCE, 44 with bce true)."`
	Month int  `json:"month,omitempty" range:"1-12" desc:"The month, 1 to 12, only when the sources give it."`
	Day   int  `json:"day,omitempty" range:"1-31" desc:"The day of the month, only when the sources give it (with the month)."`
	BCE   bool `json:"bce,omitempty" desc:"True for a year before the Common Era."`
}

// Start is the date's first point.
func (d EventDate) Start() DatePoint {
	return DatePoint{Year: d.Year, Month: d.Month, Day: d.Day, BCE: d.BCE}
}

// key orders points: years before the Common Era count down (44 BCE is
// -44, 1 BCE is followed by 1 CE); a point without a month or day sorts
// before the months or days of its year or month.
func (p DatePoint) key() [3]int {
	y := p.Year
	if p.BCE {
		y = -y
	}
	return [3]int{y, p.Month, p.Day}
}

// Before reports whether p is strictly earlier than q (a year is not
// earlier than a day of that year).
func (p DatePoint) Before(q DatePoint) bool {
	a, b := p.key(), q.key()
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	if a[1] == 0 || b[1] == 0 || a[1] == b[1] {
		return a[1] == b[1] && a[2] != 0 && b[2] != 0 && a[2] < b[2]
	}
	return a[1] < b[1]
}

// Valid reports what is wrong with a point: a day without a month, or a
// day its month does not have ("" when nothing is).
func (p DatePoint) Valid() string {
	switch {
	case p.Day != 0 && p.Month == 0:
		return "has a day but no month"
	case p.Month != 0 && p.Day > daysIn(p.Month, p.Year, p.BCE):
		return fmt.Sprintf("%s has no day %d", monthNames[p.Month-1], p.Day)
	}
	return ""
}

// daysIn is the length of a month in the proleptic Gregorian calendar
// (a February of a year before the Common Era may have 29 days).
func daysIn(month, year int, bce bool) int {
	switch month {
	case 2:
		if bce || (year%4 == 0 && (year%100 != 0 || year%400 == 0)) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// String writes the point as a reader expects: "1914", "July 1914",
// "28 July 1914", "44 BCE".
func (p DatePoint) String() string {
	var b strings.Builder
	if p.Day != 0 && p.Month != 0 {
		b.WriteString(strconv.Itoa(p.Day) + " ")
	}
	if p.Month >= 1 && p.Month <= 12 {
		b.WriteString(monthNames[p.Month-1] + " ")
	}
	b.WriteString(strconv.Itoa(p.Year))
	if p.BCE {
		b.WriteString(" BCE")
	}
	return b.String()
}

// String writes the date, a range with an en dash: "1914–1918".
func (d EventDate) String() string {
	if d.End == nil {
		return d.Start().String()
	}
	return d.Start().String() + "–" + d.End.String()
}

func (t *Timeline) check(exp Expect) Violations {
	vs := append(titleAgrees(t.Title, exp), unique(t.Events, "/events", "event", func(e TimelineEvent) string { return e.Title })...)
	for i, e := range t.Events {
		path := fmt.Sprintf("/events/%d", i)
		if why := e.Date.Start().Valid(); why != "" {
			vs = append(vs, Violation{Path: path + "/date", Message: fmt.Sprintf("%s %s", e.Date.Start(), why)})
		}
		if end := e.Date.End; end != nil {
			if why := end.Valid(); why != "" {
				vs = append(vs, Violation{Path: path + "/date/end", Message: fmt.Sprintf("%s %s", *end, why)})
			}
			if end.Before(e.Date.Start()) {
				vs = append(vs, Violation{Path: path + "/date/end", Message: fmt.Sprintf("the range ends (%s) before it starts (%s)", *end, e.Date.Start())})
			}
		}
		if i > 0 && e.Date.Start().Before(t.Events[i-1].Date.Start()) {
			vs = append(vs, Violation{Path: path + "/date", Message: fmt.Sprintf(
				"%s comes before the previous event's %s; events must be in chronological order", e.Date.Start(), t.Events[i-1].Date.Start())})
		}
	}
	return vs
}
