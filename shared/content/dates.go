package content

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DateMention is a date written in a text, as precise as the text gives
// it, and where it is: Start and End are byte offsets of Text in it.
type DateMention struct {
	Date       EventDate
	Text       string
	Start, End int
}

// The spellings of dates FindDates reads (English month names and eras,
// and ISO 8601 days).
const (
	monthRE = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`
	eraRE   = `(b\.?\s?c\.?\s?e\.?|b\.?\s?c\.?|c\.?\s?e\.?|a\.?\s?d\.?)`
	dayRE   = `(\d{1,2})(?:st|nd|rd|th)?`
)

// datePatterns are tried in order; a later one never takes text an
// earlier one matched. Each names what its groups hold.
var datePatterns = []struct {
	re     *regexp.Regexp
	fields string // y: year, Y: the year a range ends, m: month name, M: month number, d: day, e: era, D: decade, a: era before the year
}{
	{regexp.MustCompile(`(?i)\b(\d{1,5})\s*(?:–|-|to|until)\s*(\d{1,5})\s*` + eraRE), "yYe"},
	{regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`), "yMd"},
	{regexp.MustCompile(`(?i)\b` + dayRE + `\s+(?:of\s+)?` + monthRE + `,?\s+(\d{1,5})(?:\s*` + eraRE + `)?`), "dmye"},
	{regexp.MustCompile(`(?i)\b` + monthRE + `\s+` + dayRE + `,?\s+(\d{1,5})(?:\s*` + eraRE + `)?`), "mdye"},
	{regexp.MustCompile(`(?i)\b` + monthRE + `,?\s+(?:of\s+)?(\d{3,5})(?:\s*` + eraRE + `)?`), "mye"},
	{regexp.MustCompile(`(?i)\b(a\.?\s?d\.?)\s*(\d{1,5})\b`), "ay"},
	{regexp.MustCompile(`(?i)\b(\d{1,5})\s*` + eraRE), "ye"},
	{regexp.MustCompile(`\b(\d{3})0s\b`), "D"},
	{regexp.MustCompile(`\b(1\d{3}|20\d{2})\b`), "y"},
}

// notAYear follows a bare number that counts something.
var notAYear = regexp.MustCompile(`(?i)^\s*(%|percent|per\b|°|km|kilomet|m\b|met(er|re)s?\b|miles?\b|mi\b|kg|g\b|mg|ml|l\b|tons?|tonnes?|feet|ft\b|` +
	`inch|cm|mm|people|persons|species|years|year-old|times|hours|minutes|seconds|calories|kcal|units|pages|words|items|rpm|kwh|watts?|volts?|degrees)`)

// joiners join two dates into a range.
var joiner = regexp.MustCompile(`(?i)^\s*(–|—|-|to|until|till|through|and)\s*$`)

// FindDates returns the dates a text mentions, in the order they appear:
// days, months and years written out ("28 July 1914", "July 28, 1914",
// "July 1914"), ISO days ("1914-07-28"), years with an era ("44 BC",
// "AD 79", "300 BCE"), decades and centuries ("the 1960s", "the 1500s",
// ranges), bare years from
// 1000 to 2099 that do not count something ("in 1914", not "1500
// metres"), and ranges of two of them ("1914–1918", "from 1939 to 1945").
func FindDates(text string) []DateMention {
	taken := make([]bool, len(text)+1)
	var found []DateMention
	for _, p := range datePatterns {
		for _, m := range p.re.FindAllStringSubmatchIndex(text, -1) {
			start, end := m[0], m[1]
			if overlaps(taken, start, end) || (end < len(text) && isLetter(text[end]) && isLetter(text[end-1])) {
				continue // taken, or the start of a longer word ("100 cells")
			}
			d, ok := readDate(text, m, p.fields)
			if !ok {
				continue
			}
			if p.fields == "y" && !bareYear(text, start, end) {
				continue
			}
			for i := start; i < end; i++ {
				taken[i] = true
			}
			found = append(found, DateMention{Date: d, Text: text[start:end], Start: start, End: end})
		}
	}
	sortMentions(found)
	return joinRanges(text, found)
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func overlaps(taken []bool, start, end int) bool {
	for i := start; i < end; i++ {
		if taken[i] {
			return true
		}
	}
	return false
}

// readDate builds a date from a match's groups, named by fields in order.
func readDate(text string, m []int, fields string) (EventDate, bool) {
	var d EventDate
	group := func(i int) string {
		if m[2*i+2] < 0 {
			return ""
		}
		return text[m[2*i+2]:m[2*i+3]]
	}
	for i, f := range fields {
		g := group(i)
		switch f {
		case 'y':
			d.Year, _ = strconv.Atoi(g)
		case 'M':
			d.Month, _ = strconv.Atoi(g)
		case 'm':
			d.Month = monthNumber(g)
		case 'd':
			d.Day, _ = strconv.Atoi(g)
		case 'Y':
			n, _ := strconv.Atoi(g)
			d.End = &DatePoint{Year: n}
		case 'e':
			d.BCE = strings.HasPrefix(strings.ToLower(g), "b")
			if d.End != nil {
				d.End.BCE = d.BCE
			}
		case 'a':
		case 'D':
			n, _ := strconv.Atoi(g)
			d.Year, d.End = n*10, &DatePoint{Year: n*10 + 9}
			if n%10 == 0 { // the 1500s: a century
				d.End.Year = n*10 + 99
			}
		}
	}
	if d.Year < 1 || d.Year > 99999 || d.Month < 0 || d.Month > 12 || (d.Day != 0 && d.Month == 0) {
		return EventDate{}, false
	}
	if d.Start().Valid() != "" || (d.End != nil && (d.End.Year < 1 || d.End.Before(d.Start()))) {
		return EventDate{}, false
	}
	return d, true
}

func monthNumber(s string) int {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	for i, name := range monthNames {
		if strings.HasPrefix(strings.ToLower(name), s[:min(3, len(s))]) {
			return i + 1
		}
	}
	return 0
}

// bareYear reports whether a bare four-digit number at [start, end) is a
// year: not part of a larger number, not money, not a count of things.
func bareYear(text string, start, end int) bool {
	before := strings.TrimRight(text[:start], " ")
	if strings.HasSuffix(before, "$") || strings.HasSuffix(before, "€") || strings.HasSuffix(before, "£") || strings.HasSuffix(before, "#") ||
		strings.HasSuffix(text[:start], ",") || strings.HasSuffix(text[:start], ".") {
		return false
	}
	after := text[end:]
	if strings.HasPrefix(after, ",") && len(after) > 1 && after[1] >= '0' && after[1] <= '9' {
		return false // 1,914
	}
	if strings.HasPrefix(after, ".") && len(after) > 1 && after[1] >= '0' && after[1] <= '9' {
		return false // 1914.5
	}
	return !notAYear.MatchString(after)
}

func sortMentions(ms []DateMention) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Start < ms[j-1].Start; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// joinRanges merges two dates written as a range ("1914–1918", "from
// 1939 to 1945", "between 1939 and 1945") into one, when the second does
// not come before the first. An era written only after the range's end
// ("500–300 BC") applies to its start too.
func joinRanges(text string, ms []DateMention) []DateMention {
	var out []DateMention
	for i := 0; i < len(ms); i++ {
		a := ms[i]
		if i+1 < len(ms) && a.Date.End == nil && ms[i+1].Date.End == nil {
			b := ms[i+1]
			sep := text[a.End:b.Start]
			if joiner.MatchString(sep) && (!strings.EqualFold(strings.TrimSpace(sep), "and") || strings.HasSuffix(strings.ToLower(strings.TrimSpace(text[:a.Start])), "between")) {
				start, end := a.Date.Start(), b.Date.Start()
				if end.BCE && !start.BCE && !hasEra(a.Text) && start.Year > end.Year {
					start.BCE = true
				}
				if !end.Before(start) && end != start {
					a.Date = EventDate{Year: start.Year, Month: start.Month, Day: start.Day, BCE: start.BCE, End: &end}
					a.Text, a.End = text[a.Start:b.End], b.End
					i++
				}
			}
		}
		out = append(out, a)
	}
	return out
}

var hasEraRE = regexp.MustCompile(`(?i)` + eraRE + `\s*$|^\s*a\.?\s?d`)

func hasEra(s string) bool { return hasEraRE.MatchString(s) }

// Distinct returns the distinct dates among mentions.
func Distinct(ms []DateMention) []EventDate {
	seen := map[string]bool{}
	var out []EventDate
	for _, m := range ms {
		k := m.Date.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, m.Date)
		}
	}
	return out
}

// MinTimelineEvents is the fewest events a timeline has.
const MinTimelineEvents = 3

// TimelineApplicable says whether a job's sources can make a timeline:
// a job without passages can (the model writes from what it knows), and
// a job whose passages mention at least MinTimelineEvents distinct dates
// can. Otherwise it returns the reason there is no timeline.
func TimelineApplicable(set *SourceSet) (bool, string) {
	if set == nil || len(set.Passages) == 0 {
		return true, ""
	}
	var dates []DateMention
	for _, p := range set.Passages {
		dates = append(dates, FindDates(p.Text)...)
	}
	switch n := len(Distinct(dates)); {
	case n == 0:
		return false, "the sources hold no dates, so there is nothing to put on a timeline"
	case n < MinTimelineEvents:
		return false, fmt.Sprintf("the sources hold only %d distinct date(s); a timeline needs at least %d", n, MinTimelineEvents)
	}
	return true, ""
}
