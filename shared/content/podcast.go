package content

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/prose"
)

// Podcast styles: the shape of the conversation.
const (
	// StyleDeepDive walks through the material section by section (the
	// default).
	StyleDeepDive = "deep_dive"
	// StyleBrief is the essentials in one to two minutes, whatever the
	// requested length.
	StyleBrief = "brief"
	// StyleCritique examines the material: its weaknesses, assumptions and
	// the counterarguments it meets.
	StyleCritique = "critique"
	// StyleDebate has two speakers argue for and against; with three or
	// more, the first moderates.
	StyleDebate = "debate"
)

// PodcastStyles are the styles a request may ask for.
var PodcastStyles = []string{StyleDeepDive, StyleBrief, StyleCritique, StyleDebate}

// DefaultPodcastStyle is the style of a request that names none.
const DefaultPodcastStyle = StyleDeepDive

// A brief is one to two minutes long.
const (
	BriefMinMinutes = 1
	BriefMaxMinutes = 2
)

// Tolerances of a podcast's length: the measured audio lands within
// AudioTolerance of the target (a brief within one to two minutes), and a
// script is accepted when its length estimated at the voices' pace is
// within ScriptTolerance of the target, which leaves room for the
// estimate's own error.
const (
	AudioTolerance  = 0.20
	ScriptTolerance = 0.10
)

// Style is the podcast's style; a request stored before styles existed
// is a deep dive.
func (p *PodcastOptions) StyleOrDefault() string {
	if p == nil || p.Style == "" {
		return DefaultPodcastStyle
	}
	return p.Style
}

// Length is the spoken length a podcast is made for, in minutes: Target
// is what its script is sized for, Min and Max bound its measured audio.
type Length struct {
	Target float64 `json:"target_minutes"`
	Min    float64 `json:"min_minutes"`
	Max    float64 `json:"max_minutes"`
}

// Length is the length of the podcast these options ask for: the target
// minutes within AudioTolerance, or for a brief one to two minutes
// whatever the target, its script sized for the middle of them.
func (p *PodcastOptions) Length() Length {
	t := float64(DefaultMinutes)
	if p != nil && p.TargetMinutes > 0 {
		t = float64(p.TargetMinutes)
	}
	if p.StyleOrDefault() == StyleBrief {
		return Length{Target: (BriefMinMinutes + BriefMaxMinutes) / 2.0, Min: BriefMinMinutes, Max: BriefMaxMinutes}
	}
	return Length{Target: t, Min: t * (1 - AudioTolerance), Max: t * (1 + AudioTolerance)}
}

// ScriptWindow is the estimated length, in minutes, a script must have:
// within ScriptTolerance of the target, and inside [Min, Max] by the room
// the estimate's error needs (AudioTolerance less ScriptTolerance), which
// matters for a brief, whose bounds are not the target's.
func (l Length) ScriptWindow() (lo, hi float64) {
	room := (AudioTolerance - ScriptTolerance) * l.Target
	return max(l.Target*(1-ScriptTolerance), l.Min+room), min(l.Target*(1+ScriptTolerance), l.Max-room)
}

// Contains reports whether a measured length is within the bounds.
func (l Length) Contains(minutes float64) bool { return minutes >= l.Min && minutes <= l.Max }

// Pace is how fast the voices that narrate a podcast speak: the
// calibrated words per minute of each speaker's voice, in speaker order,
// at the configured speaking rate, and the time each spoken line adds
// besides its words (the silence around it and between lines). Scripts
// are sized by it and their length is checked with it, so the narration
// lasts what was asked.
type Pace struct {
	WordsPerMinute []float64 `json:"words_per_minute"`
	PerLine        time.Duration
}

// DefaultWordsPerMinute is the pace of a voice nobody calibrated.
const DefaultWordsPerMinute = 150

// DefaultPace is the pace used when the narrating voices are unknown:
// DefaultWordsPerMinute and no time between lines.
var DefaultPace = Pace{WordsPerMinute: []float64{DefaultWordsPerMinute}}

// Rate is the words per minute of the speaker at index i: its own
// figure, the last one given for a later speaker, the default with none.
func (p Pace) Rate(i int) float64 {
	switch {
	case len(p.WordsPerMinute) == 0:
		return DefaultWordsPerMinute
	case i < len(p.WordsPerMinute) && p.WordsPerMinute[i] > 0:
		return p.WordsPerMinute[i]
	case p.WordsPerMinute[len(p.WordsPerMinute)-1] > 0:
		return p.WordsPerMinute[len(p.WordsPerMinute)-1]
	}
	return DefaultWordsPerMinute
}

// Mean is the mean words per minute of the first n speakers.
func (p Pace) Mean(n int) float64 {
	n = max(n, 1)
	sum := 0.0
	for i := range n {
		sum += p.Rate(i)
	}
	return sum / float64(n)
}

// Minutes estimates how long a script takes to speak: each line's words
// (prose.SpokenWords: in Japanese and Chinese, runs of one script) at its
// speaker's pace, plus PerLine for every line (the intro and the
// outro spoken by the first speaker).
func (p Pace) Minutes(s *PodcastScript) float64 {
	sec := 0.0
	line := func(speaker int, text string) {
		if w := prose.SpokenWords(text); w > 0 {
			sec += float64(w)/p.Rate(max(speaker, 0))*60 + p.PerLine.Seconds()
		}
	}
	line(0, s.Intro)
	for _, t := range s.Turns {
		line(s.SpeakerIndex(t.Speaker), t.Text)
	}
	line(0, s.Outro)
	return sec / 60
}

// wordsPerLine is the typical length of a spoken line, in words, used to
// count the time between lines before a script exists.
const wordsPerLine = 40

// Words is how many spoken words fill the given minutes among n speakers
// taking turns at this pace: the mean pace, less the time between lines.
func (p Pace) Words(minutes float64, speakers int) int {
	wpm := p.Mean(speakers)
	perWord := 60/wpm + p.PerLine.Seconds()/wordsPerLine // seconds
	return int(math.Round(minutes * 60 / perWord))
}

// checkLength reports a script whose estimated length at the pace is
// outside the window its request asks for, with the words that would
// fit, so a repair knows which way to go and how far.
func (s *PodcastScript) checkLength(req *Request, pace Pace) Violations {
	if req == nil {
		return nil
	}
	l := req.Podcast.Length()
	lo, hi := l.ScriptWindow()
	got := pace.Minutes(s)
	if got >= lo && got <= hi {
		return nil
	}
	n := len(s.Speakers)
	words := s.Words()
	want := fmt.Sprintf("between %d and %d", pace.Words(lo, n), pace.Words(hi, n))
	dir := "short"
	if got > hi {
		dir = "long"
	}
	return Violations{{Path: "/turns", Message: fmt.Sprintf(
		"the script is too %s: its %d spoken words (intro, turns and outro) take about %.2f minutes to speak; a %s podcast of %g minutes needs %.2f to %.2f minutes, %s words",
		dir, words, got, styleName(req.Podcast.StyleOrDefault()), l.Target, lo, hi, want)}}
}

func styleName(style string) string { return strings.ReplaceAll(style, "_", " ") }

// validPodcastStyle reports a style a request may ask for.
func validPodcastStyle(s string) bool { return slices.Contains(PodcastStyles, s) }
