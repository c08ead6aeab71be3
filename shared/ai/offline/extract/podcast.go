package extract

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// podcast writes a conversation about the outline in the requested
// style (podcast_styles.go), sized to the requested length at the pace of
// the voices that will speak it: it converses until the estimated spoken
// time reaches the target, recaps the material when the source runs out
// before that, and trims what overshoots. The script's estimated minutes
// are those of the pace.
func (a *analysis) podcast(o *content.Outline) content.PodcastScript {
	p := &podcastWriter{a: a, o: o, speakers: a.speakers(), used: uniqueSet{}, asked: uniqueSet{}, connectors: a.trs(connectors),
		pace: a.pace, style: a.req.Podcast.StyleOrDefault()}
	p.spoke = make([]bool, len(p.speakers))
	p.castGuests()
	length := a.length()
	p.budget = length.Target * 60
	lo, hi := length.ScriptWindow()
	p.low, p.high = lo*60, hi*60
	p.intro, p.outro = p.opening(), p.closing()
	p.sec = p.lineSeconds(0, p.intro) + p.lineSeconds(0, p.outro)
	switch p.style {
	case content.StyleBrief:
		p.brief()
	case content.StyleCritique:
		p.critique()
	case content.StyleDebate:
		p.debate()
	default:
		p.converse()
		p.leftovers()
	}
	p.fill()
	p.finish()
	p.trim()
	script := content.PodcastScript{
		Title:         o.Title,
		Speakers:      p.speakers,
		Intro:         p.intro,
		Turns:         p.turns,
		Outro:         p.outro,
		TargetMinutes: a.targetMinutes(),
	}
	script.EstimatedMinutes = min(60, math.Round(p.pace.Minutes(&script)*100)/100)
	return script
}

// length is the length the request asks for (content.PodcastOptions.Length).
func (a *analysis) length() content.Length {
	opts := content.PodcastOptions{TargetMinutes: a.targetMinutes()}
	if a.req.Podcast != nil {
		opts.Style = a.req.Podcast.Style
	}
	return opts.Length()
}

// speakers are the requested speakers, or the defaults; the default
// roles are written in the request's language.
func (a *analysis) speakers() []content.Speaker {
	out := slices.Clone(content.DefaultSpeakers)
	if p := a.req.Podcast; p != nil && len(p.Speakers) >= content.MinSpeakers && len(p.Speakers) <= content.MaxSpeakers {
		out = slices.Clone(p.Speakers)
	}
	for i, sp := range out {
		out[i].Role = a.defaultRole(sp.Role)
	}
	return out
}

// defaultRole is a default speaker's role in the request's language; any
// other role as given.
func (a *analysis) defaultRole(role string) string {
	for _, sp := range content.DefaultSpeakers {
		if role == sp.Role {
			return a.tr(role)
		}
	}
	return role
}

// targetMinutes is the requested length, or the default.
func (a *analysis) targetMinutes() int {
	if p := a.req.Podcast; p != nil && p.TargetMinutes >= content.MinTargetMinutes && p.TargetMinutes <= content.MaxTargetMinutes {
		return p.TargetMinutes
	}
	return content.DefaultMinutes
}

// podcastWriter holds the state of a conversation being written.
type podcastWriter struct {
	a          *analysis
	o          *content.Outline
	style      string
	speakers   []content.Speaker
	explainers []int // guests who explain
	askers     []int // guests whose role is to ask
	pace       content.Pace
	// budget is the spoken time aimed at, low and high the bounds the
	// script must end within, sec the time written so far (intro and
	// outro included), all in seconds.
	budget, low, high float64
	sec               float64
	intro, outro      string
	turns             []content.Turn
	used              uniqueSet // lines already spoken
	asked             uniqueSet // terms already asked about
	spoke             []bool
	connectors        []string
	takeaways         int
}

// connectors open a turn that adds to another speaker's; each is used
// once per script.
var connectors = []string{
	"I'd add one thing.", "Building on that.", "And there's more to it.", "Here's a detail worth knowing.",
	"That connects to another point.", "Let me add to that.", "One more piece of the picture.",
	"It's worth adding something here.",
}

// hostQuestions open a section; {t} is its title, {e} the speaker asked.
var hostQuestions = []string{
	"Let's start with {t}. {e}, what should listeners know first?",
	"Next up: {t}. {e}, can you walk us through it?",
	"Let's turn to {t}. {e}, what's going on here?",
	"Now, {t}. {e}, why does this matter?",
	"What about {t}, {e}?",
	"Moving on to {t}. {e}, where do we begin?",
	"Let's talk about {t}. {e}, what stands out to you?",
}

// termQuestions ask about a key term; {t} is the term. They read the same
// for singular and plural terms.
var termQuestions = []string{
	"And what about {t}?",
	"How does that connect to {t}?",
	"What's important to know about {t}?",
	"Could you tell us more about {t}?",
	"And how do we get to {t}?",
}

// askerRoles mark a guest who asks rather than explains.
var askerRoles = []string{"student", "learner", "curious", "novice", "beginner", "listener", "newcomer",
	"skeptic", "sceptic", "question", "pupil", "layperson", "schüler", "élève", "étudiant"}

// castGuests splits the guests into explainers and askers by their roles;
// when every guest looks like an asker, they all explain.
func (p *podcastWriter) castGuests() {
	for i := 1; i < len(p.speakers); i++ {
		role := strings.ToLower(p.speakers[i].Role)
		if slices.ContainsFunc(askerRoles, func(r string) bool { return strings.Contains(role, r) }) {
			p.askers = append(p.askers, i)
		} else {
			p.explainers = append(p.explainers, i)
		}
	}
	if len(p.explainers) == 0 {
		p.explainers, p.askers = p.askers, nil
	}
}

func (p *podcastWriter) deepDiveIntro() string {
	host := p.speakers[0]
	var guests []string
	for _, s := range p.speakers[1:] {
		guests = append(guests, s.Name+p.a.tr(", ")+p.a.roleWith(false, s.Role))
	}
	intro := p.a.tr("Welcome to our episode on %s. I'm %s, %s, and joining me today is %s. Today's conversation is for %s.")
	if len(guests) > 1 {
		intro = p.a.tr("Welcome to our episode on %s. I'm %s, %s, and joining me today are %s. Today's conversation is for %s.")
	}
	return truncate(fmt.Sprintf(intro, p.a.titlePhrase(p.o.Title), host.Name, p.a.roleWith(true, host.Role), p.a.joinList(guests), p.a.audiencePhrase()), 2000)
}

func (p *podcastWriter) deepDiveOutro() string {
	var guests []string
	for _, s := range p.speakers[1:] {
		guests = append(guests, s.Name)
	}
	return truncate(fmt.Sprintf(p.a.tr("That brings us to the end of our episode on %s. Thank you, %s, for joining me, and thank you all for listening. I'm %s, and until next time, keep learning."),
		p.a.titlePhrase(p.o.Title), p.a.joinList(guests), p.speakers[0].Name), 2000)
}

// roleWith puts a possessive ("your host", "our guest") before a role
// unless it has a determiner.
func (a *analysis) roleWith(yours bool, role string) string {
	first, _, _ := strings.Cut(strings.ToLower(role), " ")
	switch first {
	case "the", "a", "an", "our", "your", "my":
		return role
	}
	role = a.defaultRole(role)
	if yours {
		return fmt.Sprintf(a.tr("your %s"), role)
	}
	return fmt.Sprintf(a.tr("our %s"), role)
}

// say adds a turn, or continues the last one when the same speaker
// spoke it.
func (p *podcastWriter) say(speaker int, text string) {
	if text = truncate(text, 4000); text == "" {
		return
	}
	name := p.speakers[speaker].Name
	if n := len(p.turns); n > 0 && p.turns[n-1].Speaker == name && runeLen(p.turns[n-1].Text)+runeLen(text) < 4000 {
		p.turns[n-1].Text = joinSentences([]string{p.turns[n-1].Text, text})
	} else {
		p.turns = append(p.turns, content.Turn{Speaker: name, Text: text})
		p.sec += p.pace.PerLine.Seconds()
	}
	p.sec += p.wordSeconds(speaker, wordCount(text))
	p.spoke[speaker] = true
}

// wordSeconds is how long a speaker takes to say n words.
func (p *podcastWriter) wordSeconds(speaker, n int) float64 {
	return float64(n) * 60 / p.pace.Rate(speaker)
}

// lineSeconds is how long a line of its own takes to say.
func (p *podcastWriter) lineSeconds(speaker int, text string) float64 {
	if wordCount(text) == 0 {
		return 0
	}
	return p.wordSeconds(speaker, wordCount(text)) + p.pace.PerLine.Seconds()
}

// room is how many words a speaker can still say before the budget is
// spent (at least one sentence is always said).
func (p *podcastWriter) room(speaker int) int {
	return int((p.budget - p.sec) / p.wordSeconds(speaker, 1))
}

// done reports whether the script is long enough and complete: the time
// budget is spent, every speaker has spoken and there are four turns.
func (p *podcastWriter) done() bool {
	return p.sec >= p.budget && p.complete()
}

func (p *podcastWriter) complete() bool {
	return len(p.turns) >= 4 && !slices.Contains(p.spoke, false)
}

// fresh keeps the lines not spoken yet, marking them spoken.
func (p *podcastWriter) fresh(lines []string) []string {
	var out []string
	for _, l := range lines {
		if p.used.add(l) {
			out = append(out, l)
		}
	}
	return out
}

// sectionLines is an outline section and its lines not spoken yet.
type sectionLines struct {
	index   int
	section content.OutlineSection
	lines   []string
}

// sections yields the outline's sections in order with their fresh lines
// (marked spoken as each is yielded), skipping a section with none, until
// the script is done: every style walks the outline so.
func (p *podcastWriter) sections() iter.Seq[sectionLines] {
	return func(yield func(sectionLines) bool) {
		for si, sec := range p.o.Sections {
			if p.done() {
				return
			}
			lines := p.fresh(p.a.spokenLines(sec))
			if len(lines) == 0 {
				continue
			}
			if !yield(sectionLines{si, sec, lines}) {
				return
			}
		}
	}
}

// converse walks through the outline's sections in order: the host opens
// each, an explainer answers, and the discussion goes on until the
// section's lines are spoken.
func (p *podcastWriter) converse() {
	for s := range p.sections() {
		si, sec, lines := s.index, s.section, s.lines
		expert := p.explainers[si%len(p.explainers)]
		p.say(0, p.hostQuestion(si, sec.Title, p.speakers[expert].Name))
		var taken []string
		taken, lines = takeWords(lines, p.limit(expert, 60))
		p.say(expert, joinSentences(taken))
		p.discuss(si, sec.Title, lines, expert)
	}
}

// discuss goes through the rest of a section's lines: another speaker
// asks for a term the next lines define or use, and the expert answers
// with them; when there is nothing to ask, a second explainer adds them,
// or the expert goes on.
func (p *podcastWriter) discuss(si int, title string, lines []string, expert int) {
	for k := 0; len(lines) > 0 && !p.done(); k++ {
		asker := p.follower(si+k, expert)
		if d, ok := p.definedBy(lines[0]); ok && p.asked.add(d.term) {
			p.say(asker, p.defQuestion(d))
			p.say(expert, lines[0])
			lines = lines[1:]
			continue
		}
		taken, rest := takeWords(lines, p.limit(expert, 50))
		lines = rest
		text := joinSentences(taken)
		if t, ok := p.newTerm(taken, title); ok {
			p.say(asker, strings.ReplaceAll(p.a.tr(termQuestions[p.asked.count()%len(termQuestions)]), "{t}", t))
			p.say(expert, text)
			continue
		}
		if other := p.otherExplainer(expert); other > 0 && len(p.connectors) > 0 {
			p.say(other, p.connectors[0]+" "+text)
			p.connectors = p.connectors[1:]
			continue
		}
		p.say(expert, text)
	}
}

// follower is who asks the k-th follow-up: a guest whose role is to ask,
// else the host or another explainer, in turn.
func (p *podcastWriter) follower(k, expert int) int {
	if len(p.askers) > 0 {
		return p.askers[k%len(p.askers)]
	}
	cands := []int{0}
	for _, e := range p.explainers {
		if e != expert {
			cands = append(cands, e)
		}
	}
	return cands[k%len(cands)]
}

// otherExplainer is an explainer other than the expert, or 0.
func (p *podcastWriter) otherExplainer(expert int) int {
	for _, e := range p.explainers {
		if e != expert {
			return e
		}
	}
	return 0
}

// newTerm picks the best key term used by some lines that has not been
// asked about and is not the topic or in the section's title.
func (p *podcastWriter) newTerm(lines []string, title string) (string, bool) {
	idx := p.a.indexOf(lines)
	titleKey := stemWords(title + " " + p.a.req.Topic)
	for _, t := range p.a.termsIn(idx) {
		if !askable(t) || containsWords(titleKey, stemWords(t.key)) || p.asked.has(t.key) {
			continue
		}
		p.asked.add(t.key)
		return p.a.natural(t.display), true
	}
	return "", false
}

// leftovers lets the guests share source sentences no section used (an
// outline written elsewhere may not cover the whole source).
func (p *podcastWriter) leftovers() {
	var rest []string
	for _, s := range p.a.sents {
		if !p.used.has(s.text) {
			rest = append(rest, s.text)
		}
	}
	for k := 0; len(rest) > 0 && !p.done(); k++ {
		var taken []string
		e := p.explainers[k%len(p.explainers)]
		taken, rest = takeWords(rest, p.limit(e, 60))
		p.fresh(taken)
		p.say(e, joinSentences(taken))
	}
}

// finish makes sure every speaker speaks and there are four turns, with
// each remaining guest giving a takeaway.
func (p *podcastWriter) finish() {
	for i := range p.speakers {
		if !p.spoke[i] && i > 0 {
			p.takeaway(i)
		}
	}
	for i := 0; !p.complete() && i < 8; i++ {
		p.takeaway(1 + i%(len(p.speakers)-1))
	}
}

// takeaway is a host question and a guest's answer drawn from the
// learning objectives, then from the section titles.
func (p *podcastWriter) takeaway(guest int) {
	name := p.speakers[guest].Name
	var answer string
	switch k := p.takeaways; {
	case k < len(p.o.LearningObjectives):
		answer = fmt.Sprintf(p.a.tr("For me, the goal is that you can %s."), strings.TrimSuffix(lowerFirst(p.o.LearningObjectives[k]), "."))
	case k-len(p.o.LearningObjectives) < len(p.o.Sections):
		sec := p.o.Sections[k-len(p.o.LearningObjectives)]
		answer = fmt.Sprintf(p.a.tr("I'd say: revisit %s and see how it fits into %s."), p.a.sectionName(sec.Title), p.a.topicPhrase())
	default:
		answer = fmt.Sprintf(p.a.tr("Take the time to go through %s once more, section by section."), p.a.titlePhrase(p.o.Title))
	}
	p.takeaways++
	p.say(0, fmt.Sprintf(p.a.tr("%s, what's your main takeaway?"), name))
	p.say(guest, answer)
}

func (p *podcastWriter) hostQuestion(si int, title, expert string) string {
	t := p.a.natural(strings.TrimRight(strings.TrimSpace(title), "?.:!"))
	q := p.a.tr(hostQuestions[si%len(hostQuestions)])
	switch {
	case si == 0 && (normKey(title) == "introduction" || normKey(title) == normKey(p.a.tr("Introduction"))):
		q = p.a.tr("Let's start with some background. {e}, what should listeners know first?")
	case si > 0 && si == len(p.o.Sections)-1:
		q = p.a.tr("Finally, {t}. {e}, what should we take away?")
	}
	return strings.NewReplacer("{t}", t, "{e}", expert).Replace(q)
}

// definedBy returns the definition a source line makes, if any.
func (p *podcastWriter) definedBy(line string) (definition, bool) {
	for _, d := range p.a.defs {
		if p.a.sents[d.sent].text == line {
			return d, true
		}
	}
	return definition{}, false
}

func (p *podcastWriter) defQuestion(d definition) string {
	return p.a.askTerm(d, p.a.tr("So what exactly is %s?"), p.a.tr("So what exactly are %s?"))
}

// askable reports a term specific enough to ask about: a phrase, a
// defined term, or a name or acronym.
func askable(t term) bool {
	return t.words > 1 || t.def >= 0 || strings.ToLower(t.display) != t.display
}

// takeWords takes lines from the front until about limit words (at least
// one line) and returns them and the rest.
func takeWords(lines []string, limit int) (taken, rest []string) {
	words := 0
	for i, l := range lines {
		n := wordCount(l)
		if i > 0 && words+n > limit {
			return lines[:i], lines[i:]
		}
		words += n
	}
	return lines, nil
}
