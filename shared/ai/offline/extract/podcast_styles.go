package extract

import (
	"fmt"
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// The shapes of the podcast styles. A deep dive walks through the
// outline's sections (podcast.go); a brief gives the overview and the
// main takeaways in a minute or two; a critique has the host put each
// section's claims to a critic, who names the assumptions, weaknesses and
// counterarguments; a debate has one side argue for the material's case
// and the other against, with the first speaker moderating when there are
// three or more. Every style is then filled to its length with recaps
// and trimmed to it (fill, trim).

// opening is the intro of the style, spoken by the first speaker.
func (p *podcastWriter) opening() string {
	host, topic := p.speakers[0], p.a.titlePhrase(p.o.Title)
	var s string
	switch p.style {
	case content.StyleBrief:
		s = fmt.Sprintf(p.a.tr("This is a brief on %s. I'm %s, with %s, and in a couple of minutes we'll give you the essentials."),
			topic, host.Name, p.a.joinList(p.names(1)))
	case content.StyleCritique:
		s = fmt.Sprintf(p.a.tr("Welcome to our critique of %s. I'm %s, %s, and with %s we put the material to the test: what it claims, what it takes for granted, and where it could be wrong."),
			topic, host.Name, p.a.roleWith(true, host.Role), p.a.joinList(p.names(1)))
	case content.StyleDebate:
		forSide, against := p.sides()
		if p.moderated() {
			s = fmt.Sprintf(p.a.tr("Welcome to our debate on %s. I'm %s, and I'll moderate. Arguing for the case the material makes: %s. Arguing against it: %s."),
				topic, host.Name, p.a.joinList(p.namesOf(forSide)), p.a.joinList(p.namesOf(against)))
		} else {
			s = fmt.Sprintf(p.a.tr("Welcome to our debate on %s. I'm %s, and I'll argue for the case the material makes; %s argues against it."),
				topic, host.Name, p.a.joinList(p.namesOf(against)))
		}
	default:
		return p.deepDiveIntro()
	}
	return truncate(s, 2000)
}

// closing is the outro of the style, spoken by the first speaker.
func (p *podcastWriter) closing() string {
	topic := p.a.titlePhrase(p.o.Title)
	var s string
	switch p.style {
	case content.StyleBrief:
		s = fmt.Sprintf(p.a.tr("That's %s in brief. Thanks, %s. I'm %s; for the full picture, read the material."), topic, p.a.joinList(p.names(1)), p.speakers[0].Name)
	case content.StyleCritique:
		s = fmt.Sprintf(p.a.tr("That ends our critique of %s. Thank you, %s. Read the material with these questions in mind, and judge for yourself. I'm %s."),
			topic, p.a.joinList(p.names(1)), p.speakers[0].Name)
	case content.StyleDebate:
		s = fmt.Sprintf(p.a.tr("That ends our debate on %s. Thank you, %s. Weigh the arguments and make up your own mind. I'm %s."),
			topic, p.a.joinList(p.names(1)), p.speakers[0].Name)
	default:
		return p.deepDiveOutro()
	}
	return truncate(s, 2000)
}

// names are the names of the speakers from index i on.
func (p *podcastWriter) names(from int) []string {
	var out []string
	for _, s := range p.speakers[from:] {
		out = append(out, s.Name)
	}
	return out
}

func (p *podcastWriter) namesOf(idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = p.speakers[j].Name
	}
	return out
}

// moderated reports a debate with a moderator: three or more speakers.
func (p *podcastWriter) moderated() bool { return len(p.speakers) >= 3 }

// sides are the speakers arguing for and against: with a moderator, the
// other speakers in turn (the second for, the third against, a fourth
// for); without one, the first for and the second against.
func (p *podcastWriter) sides() (forSide, against []int) {
	if !p.moderated() {
		return []int{0}, []int{1}
	}
	for i := 1; i < len(p.speakers); i++ {
		if i%2 == 1 {
			forSide = append(forSide, i)
		} else {
			against = append(against, i)
		}
	}
	return forSide, against
}

// limit is how many words a speaker's next turn may take: up to max, no
// more than the budget has room for (one sentence is always taken).
func (p *podcastWriter) limit(speaker, most int) int { return clampInt(p.room(speaker), 1, most) }

// brief: the host states what the material is about, each guest gives
// its most important points, and the host names what to remember.
func (p *podcastWriter) brief() {
	best := p.fresh(p.a.texts(p.a.ranked(p.a.all(), nil)))
	if len(best) == 0 {
		for _, s := range p.o.Sections {
			best = append(best, p.a.spokenLines(s)...)
		}
	}
	if len(best) > 0 {
		p.say(0, p.a.tr("In one sentence: ")+best[0])
		best = best[1:]
	} else {
		p.say(0, p.a.tr("In one sentence: ")+asSentence(p.o.Sections[0].Description))
	}
	p.trimLast(p.limit(0, 60))
	guests := p.guests()
	for k := 0; len(best) > 0 && !p.done(); k++ {
		g := guests[k%len(guests)]
		if k > 0 {
			p.say(0, p.a.tr(briefPrompts[(k-1)%len(briefPrompts)]))
		}
		var taken []string
		taken, best = takeWords(best, p.limit(g, 45))
		p.say(g, joinSentences(taken))
	}
	if len(p.o.LearningObjectives) > 0 && !p.done() {
		p.say(0, fmt.Sprintf(p.a.tr("So the one thing to take away: you should be able to %s."), strings.TrimSuffix(lowerFirst(p.o.LearningObjectives[0]), ".")))
	}
}

var briefPrompts = []string{"What else matters most?", "And the next essential point?", "Anything else listeners need?", "One more?"}

// guests are the speakers other than the first.
func (p *podcastWriter) guests() []int {
	out := make([]int, 0, len(p.speakers)-1)
	for i := 1; i < len(p.speakers); i++ {
		out = append(out, i)
	}
	return out
}

// trimLast cuts the last turn to at most n words, at a sentence end when
// one is there.
func (p *podcastWriter) trimLast(n int) {
	last := &p.turns[len(p.turns)-1]
	if wordCount(last.Text) <= n {
		return
	}
	sents := splitSentences(last.Text, p.a.req.Language)
	var kept []string
	for _, s := range sents {
		if len(kept) > 0 && wordCount(joinSentences(append(kept, s))) > n {
			break
		}
		kept = append(kept, s)
	}
	p.setTurn(len(p.turns)-1, joinSentences(kept))
}

// setTurn replaces the text of turn i and recounts the time.
func (p *podcastWriter) setTurn(i int, text string) {
	p.turns[i].Text = text
	p.recount()
}

// recount computes the spoken time of the script as it stands.
func (p *podcastWriter) recount() {
	p.sec = p.lineSeconds(0, p.intro) + p.lineSeconds(0, p.outro)
	for _, t := range p.turns {
		p.sec += p.lineSeconds(p.index(t.Speaker), t.Text)
	}
}

func (p *podcastWriter) index(name string) int {
	return max(slices.IndexFunc(p.speakers, func(s content.Speaker) bool { return s.Name == name }), 0)
}

// critiqueQuestions are the host's questions, one per section; {t} is the
// section, {c} the critic.
var critiqueQuestions = []string{
	"Let's start with {t}. What does the material claim there, {c}?",
	"Next, {t}. {c}, what is the argument, and does it hold?",
	"On to {t}. What is taken for granted there, {c}?",
	"Now {t}. {c}, where is it weakest?",
	"What about {t}, {c}? What would a critic say?",
}

// critiqueFrames put a source line to the test; {s} is the line.
var critiqueFrames = []string{
	"The claim is this: {s} The assumption behind it is that the conditions it describes hold; the material does not show when they don't.",
	"A weakness: {s} That is stated rather than shown, and a careful reader would ask for the evidence.",
	"Here is where a counterargument would start: {s} It may be true in general and still fail in particular cases.",
	"Consider this line: {s} It holds only as far as its premises do, and the material takes them as given.",
	"What is left out? The material says: {s} Someone who disagrees would ask what else could explain the same facts.",
}

// defenceFrames answer the critic with another source line.
var defenceFrames = []string{
	"In fairness to the material, it also says this: {s}",
	"I'd defend it on one point: {s}",
	"That's a fair challenge, but look at this: {s}",
}

// critique walks through the sections: the host asks, the critic tests
// each claim, another guest defends the material where there is one.
func (p *podcastWriter) critique() {
	critic := p.explainers[0]
	defender := p.otherExplainer(critic)
	k := 0
	for s := range p.sections() {
		si, sec, lines := s.index, s.section, s.lines
		p.say(0, strings.NewReplacer("{t}", p.a.natural(strings.TrimRight(sec.Title, "?.:!")), "{c}", p.speakers[critic].Name).Replace(p.a.tr(critiqueQuestions[si%len(critiqueQuestions)])))
		for _, l := range lines {
			if p.done() {
				return
			}
			if defender > 0 && k%3 == 2 {
				p.say(defender, strings.ReplaceAll(p.a.tr(defenceFrames[k%len(defenceFrames)]), "{s}", l))
			} else {
				p.say(critic, strings.ReplaceAll(p.a.tr(critiqueFrames[k%len(critiqueFrames)]), "{s}", l))
				if k%2 == 1 {
					p.say(0, p.a.tr(critiqueFollowUps[k%len(critiqueFollowUps)]))
				}
			}
			k++
		}
	}
}

var critiqueFollowUps = []string{"So what should a reader check?", "Is that fatal to the argument?", "What would convince you?", "Fair point. What else?"}

// debateOpeners are the moderator's (or, without one, the speakers')
// openings of a round; {t} is the section, {f} and {a} the speakers for
// and against.
var debateOpeners = []string{
	"Our first question: {t}. {f}, make your case.",
	"Next: {t}. {f}, you go first.",
	"Let's turn to {t}. {f}, what's your argument?",
	"Now, {t}. {f}, the floor is yours.",
}

// forFrames and againstFrames wrap source lines as arguments.
var (
	forFrames = []string{
		"Here is the heart of the case: {s}",
		"The material is clear on this: {s}",
		"Consider the evidence: {s}",
		"And that matters. {s}",
	}
	againstFrames = []string{
		"I'm not convinced. Granted: {s} But that doesn't settle the question on its own.",
		"Let me push back. The material also says: {s} Doesn't that complicate the picture?",
		"That depends on what we assume. Take this: {s} Change the assumption and the conclusion changes.",
		"One line doesn't make a case. {s} The question is whether that holds beyond the examples given.",
	}
	rebuttals = []string{"{a}, your response?", "{a}, how do you answer that?", "And the other side, {a}?", "{a}, rebuttal?"}
)

// debate argues over each section: the side for presents its lines, the
// side against challenges them with the next ones.
func (p *podcastWriter) debate() {
	forSide, against := p.sides()
	k := 0
	for s := range p.sections() {
		si, sec, lines := s.index, s.section, s.lines
		f, a := forSide[si%len(forSide)], against[si%len(against)]
		title := p.a.natural(strings.TrimRight(sec.Title, "?.:!"))
		opener := strings.NewReplacer("{t}", title, "{f}", p.speakers[f].Name).Replace(p.a.tr(debateOpeners[si%len(debateOpeners)]))
		if p.moderated() {
			p.say(0, opener)
		}
		for len(lines) > 0 && !p.done() {
			var taken []string
			taken, lines = takeWords(lines, p.limit(f, 45))
			p.say(f, strings.ReplaceAll(p.a.tr(forFrames[k%len(forFrames)]), "{s}", joinSentences(taken)))
			if len(lines) == 0 || p.done() {
				break
			}
			if p.moderated() && k%2 == 1 {
				p.say(0, strings.ReplaceAll(p.a.tr(rebuttals[k%len(rebuttals)]), "{a}", p.speakers[a].Name))
			}
			taken, lines = takeWords(lines, p.limit(a, 45))
			p.say(a, strings.ReplaceAll(p.a.tr(againstFrames[k%len(againstFrames)]), "{s}", joinSentences(taken)))
			k++
		}
	}
}

// recapQuestions open a recap of a section in a deep dive or a brief; {t}
// is the section, {e} the speaker asked. Each is one sentence naming the
// section, so no two recaps ask in the same words.
var recapQuestions = []string{
	"{e}, what should listeners remember about {t}?",
	"Before we move on, {e}, can you sum up {t} for us?",
	"{e}, if you had to explain {t} to a friend, what would you say?",
	"{e}, what's the key idea of {t}, said once more?",
	"A quick review of {t}: {e}, what stands out on a second look?",
}

// fill goes on talking until the budget is spent: rounds over the
// sections in the style's shape, with the source lines not said yet
// first, then the talking points again as recaps (a short source cannot
// fill a long podcast without repeating itself).
func (p *podcastWriter) fill() {
	points, own := p.talkingPoints()
	for round := 0; p.sec < p.budget && round < 400 && len(points) > 0; round++ {
		sec := p.o.Sections[round%len(p.o.Sections)]
		lines := p.fresh(p.a.spokenLines(sec))
		if len(lines) == 0 {
			i, j := round%len(points), (round+1)%len(points)
			lines = []string{points[i]}
			// A learning objective is the outline's words, not the
			// source's: it is said on its own, so that a turn citing the
			// source does not also claim it.
			if len(points) > 1 && i < own && j < own {
				lines = append(lines, points[j])
			}
		}
		title := p.a.natural(strings.TrimRight(sec.Title, "?.:!"))
		switch p.style {
		case content.StyleDebate:
			forSide, against := p.sides()
			f, a := forSide[round%len(forSide)], against[round%len(against)]
			speakers := []int{f, a}
			if round%2 == 1 {
				speakers = []int{a, f}
			}
			if p.moderated() {
				p.say(0, fmt.Sprintf(p.a.tr("Let's come back to %s. %s?"), title, p.speakers[speakers[0]].Name))
			}
			for i, l := range lines {
				frames := forFrames
				if speakers[i%2] == a {
					frames = againstFrames
				}
				p.say(speakers[i%2], strings.ReplaceAll(p.a.tr(frames[(round+i)%len(frames)]), "{s}", p.cut(speakers[i%2], l)))
			}
		case content.StyleCritique:
			critic := p.explainers[0]
			p.say(0, fmt.Sprintf(p.a.tr("Let's press further on %s, %s."), title, p.speakers[critic].Name))
			for i, l := range lines {
				p.say(critic, strings.ReplaceAll(p.a.tr(critiqueFrames[(round+i)%len(critiqueFrames)]), "{s}", p.cut(critic, l)))
			}
		default:
			e := p.explainers[round%len(p.explainers)]
			p.say(0, strings.NewReplacer("{t}", title, "{e}", p.speakers[e].Name).Replace(p.a.tr(recapQuestions[round%len(recapQuestions)])))
			var taken []string
			taken, _ = takeWords(lines, p.limit(e, 60))
			p.say(e, joinSentences(taken))
		}
	}
}

// cut keeps a line within what the budget has room for, at a word
// boundary, when it is long.
func (p *podcastWriter) cut(speaker int, line string) string {
	if n := p.limit(speaker, 60); wordCount(line) > n && n >= 8 {
		return truncate(line, runeLen(prose.SpokenHead(line, n)))
	}
	return line
}

// talkingPoints are what the speakers can say about the material, best
// first: the source's sentences by rank, then what the outline says of
// each section and, from index own on, what a learner should be able to
// do.
func (p *podcastWriter) talkingPoints() (points []string, own int) {
	var out []string
	seen := uniqueSet{}
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && seen.add(s) {
			out = append(out, s)
		}
	}
	for _, s := range p.a.texts(p.a.ranked(p.a.all(), nil)) {
		add(s)
	}
	for _, s := range p.o.Sections {
		add(asSentence(s.Description))
		for _, k := range s.KeyPoints {
			add(asSentence(k))
		}
	}
	own = len(out)
	for _, o := range p.o.LearningObjectives {
		add(fmt.Sprintf(p.a.tr("By the end, you should be able to %s."), strings.TrimSuffix(lowerFirst(o), ".")))
	}
	return out, own
}

// trim brings a script that overshoots back within its bounds: it drops
// the last sentence of the longest turn until it fits, or the last turn
// when no turn has a sentence to spare and the script stays complete.
func (p *podcastWriter) trim() {
	p.recount()
	for guard := 0; p.sec > p.high && guard < 1000; guard++ {
		longest, most := -1, 1
		for i, t := range p.turns {
			if n := len(splitSentences(t.Text, p.a.req.Language)); n > 1 && wordCount(t.Text) > most {
				longest, most = i, wordCount(t.Text)
			}
		}
		if longest >= 0 {
			sents := splitSentences(p.turns[longest].Text, p.a.req.Language)
			p.setTurn(longest, joinSentences(sents[:len(sents)-1]))
			continue
		}
		if p.dropLast() {
			continue
		}
		// One long sentence a turn: cut the longest at a word.
		i, most := 0, 0
		for k, t := range p.turns {
			if n := wordCount(t.Text); n > most {
				i, most = k, n
			}
		}
		over := int((p.sec-p.high)/p.wordSeconds(p.index(p.turns[i].Speaker), 1)) + 1
		if most-over < 5 {
			return
		}
		p.setTurn(i, strings.TrimSpace(prose.SpokenHead(p.turns[i].Text, most-over))+ellipsis)
	}
}

// dropLast removes the latest turn the script stays complete without:
// one whose speaker speaks elsewhere too, and whose neighbours are not
// the same speaker (who would then speak twice in a row).
func (p *podcastWriter) dropLast() bool {
	n := len(p.turns)
	if n <= 4 {
		return false
	}
	for i := n - 1; i >= 0; i-- {
		sp := p.turns[i].Speaker
		if i > 0 && i < n-1 && p.turns[i-1].Speaker == p.turns[i+1].Speaker {
			continue
		}
		if p.speaksOnce(sp) {
			continue
		}
		p.turns = slices.Delete(p.turns, i, i+1)
		p.recount()
		return true
	}
	return false
}

// speaksOnce reports a speaker with a single turn.
func (p *podcastWriter) speaksOnce(name string) bool {
	n := 0
	for _, t := range p.turns {
		if t.Speaker == name {
			n++
		}
	}
	return n == 1
}
