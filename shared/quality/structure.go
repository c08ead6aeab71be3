package quality

import (
	"fmt"
	"regexp"
	"strings"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// Length bounds of items, in words: an item past its bound is too long to
// study from, one under it too thin to stand alone.
const (
	maxTurnWords        = 150
	maxExplanationWords = 120
	maxTakeawayWords    = 60
	maxAnswerWords      = 200
	minAnswerWords      = 6
	maxBackWords        = 60
)

// formChecker records the form findings of one document's items.
type formChecker struct {
	lang    string
	f       *findings
	items   int
	flagged map[string]bool
	outline *content.Outline
	// known is the sources' text and the document's, lower case: a pair of
	// keywords found there is a phrase of the subject, not a made-up title.
	known string
}

func (c *formChecker) flag(path, code, format string, args ...any) {
	c.f.add(rankForm, path, code, format, args...)
	c.flagged[path] = true
}

// structure checks the form of a document's items.
func structure(f content.Format, doc any, outline *content.Outline, set *content.SourceSet, lang string, fs *findings) content.StructureQuality {
	c := &formChecker{lang: lang, f: fs, flagged: map[string]bool{}, outline: outline}
	var known strings.Builder
	for _, t := range PassageTexts(set) {
		known.WriteString(strings.ToLower(t) + "\n")
	}
	for _, fl := range fields(doc, false) {
		known.WriteString(strings.ToLower(fl.text) + "\n")
	}
	c.known = known.String()
	switch d := doc.(type) {
	case *content.Outline:
		c.outline = d
		for i, s := range d.Sections {
			p := fmt.Sprintf("/sections/%d", i)
			c.items++
			c.title(p+"/title", s.Title)
			c.cut(p+"/description", s.Description)
			for j, k := range s.KeyPoints {
				c.cut(fmt.Sprintf("%s/key_points/%d", p, j), k)
			}
		}
	case *content.PodcastScript:
		for i, t := range d.Turns {
			p := fmt.Sprintf("/turns/%d", i)
			c.items++
			c.long(p+"/text", t.Text, maxTurnWords)
			c.cut(p+"/text", t.Text)
		}
	case *content.StudyGuide:
		for i, k := range d.KeyConcepts {
			p := fmt.Sprintf("/key_concepts/%d/explanation", i)
			c.items++
			c.standsAlone(p, k.Explanation)
			c.restates(p, k.Term, k.Explanation)
			c.long(p, k.Explanation, maxExplanationWords)
			c.cut(p, k.Explanation)
		}
	case *content.OnePager:
		for i, k := range d.KeyTakeaways {
			p := fmt.Sprintf("/key_takeaways/%d/text", i)
			c.items++
			c.standsAlone(p, k.Text)
			c.long(p, k.Text, maxTakeawayWords)
			c.cut(p, k.Text)
		}
	case *content.DetailedReading:
		for i, s := range d.Sections {
			c.items++
			c.title(fmt.Sprintf("/sections/%d/title", i), s.Title)
			for j, para := range s.Paragraphs {
				c.items++
				c.cut(fmt.Sprintf("/sections/%d/paragraphs/%d/text", i, j), para.Text)
			}
		}
	case *content.FAQs:
		var qs []string
		for i, q := range d.FAQs {
			p := fmt.Sprintf("/faqs/%d", i)
			c.items++
			c.question(p+"/question", q.Question)
			c.standsAlone(p+"/answer", q.Answer)
			c.short(p+"/answer", q.Answer, minAnswerWords)
			c.long(p+"/answer", q.Answer, maxAnswerWords)
			c.cut(p+"/answer", q.Answer)
			qs = append(qs, q.Question)
		}
		c.templates("/faqs/%d/question", qs)
	case *content.Flashcards:
		var fronts []string
		for i, card := range d.Cards {
			p := fmt.Sprintf("/cards/%d", i)
			c.items++
			c.question(p+"/front", card.Front)
			c.standsAlone(p+"/back", card.Back)
			c.restates(p+"/back", card.Front, card.Back)
			c.long(p+"/back", card.Back, maxBackWords)
			c.cut(p+"/back", card.Back)
			fronts = append(fronts, card.Front)
		}
		c.templates("/cards/%d/front", fronts)
	case *content.ReadingGuide:
		var qs []string
		for i, q := range d.Questions {
			c.items++
			c.question(fmt.Sprintf("/questions/%d/question", i), q.Question)
			qs = append(qs, q.Question)
		}
		c.templates("/questions/%d/question", qs)
	case *content.Quiz:
		var qs []string
		for i, q := range d.Questions {
			p := fmt.Sprintf("/questions/%d", i)
			c.items++
			c.question(p+"/question", q.Question)
			c.standsAlone(p+"/explanation", q.Explanation)
			c.long(p+"/explanation", q.Explanation, maxExplanationWords)
			c.cut(p+"/explanation", q.Explanation)
			qs = append(qs, q.Question)
		}
		c.templates("/questions/%d/question", qs)
	case *content.Timeline:
		for i, e := range d.Events {
			p := fmt.Sprintf("/events/%d", i)
			c.items++
			c.long(p+"/description", e.Description, maxTakeawayWords)
			c.cut(p+"/description", e.Description)
		}
	}
	s := content.StructureQuality{Items: c.items, Score: 1}
	// An item is flagged once however many findings it has.
	items := map[string]bool{}
	for p := range c.flagged {
		items[itemOf(p)] = true
	}
	s.Flagged = min(len(items), c.items)
	if c.items > 0 {
		s.Score = round(1 - float64(s.Flagged)/float64(c.items))
	}
	return s
}

// itemOf is the path of the item a field belongs to: "/cards/3" for
// "/cards/3/back", "/sections/1/paragraphs/2" for its "/text".
func itemOf(path string) string {
	parts := strings.Split(path, "/")
	last := 0
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			last = i
		}
	}
	if last == 0 {
		return path
	}
	return strings.Join(parts[:last+1], "/")
}

func (c *formChecker) standsAlone(path, text string) {
	if word, ok := prose.LeansBack(text); ok {
		c.flag(path, content.FindingDangling, "opens with %q, which points outside it: the answer cannot stand alone", word)
	}
}

// restates flags an answer whose every content word is in its prompt.
func (c *formChecker) restates(path, prompt, answer string) {
	back := distinct(prose.ContentStems(answer))
	if len(back) == 0 {
		return
	}
	front := map[string]bool{}
	for _, w := range prose.ContentStems(prompt) {
		front[w] = true
	}
	for _, w := range back {
		if !front[w] {
			return
		}
	}
	c.flag(path, content.FindingRestated, "only restates its prompt %q", clip(prompt))
}

func (c *formChecker) long(path, text string, limit int) {
	if n := prose.Words(text); n > limit {
		c.flag(path, content.FindingTooLong, "has %d words; at most %d keep it easy to study", n, limit)
	}
}

func (c *formChecker) short(path, text string, limit int) {
	if n := prose.Words(text); n < limit {
		c.flag(path, content.FindingTooShort, "has %d words; an answer needs at least %d to explain anything", n, limit)
	}
}

// cut flags a text cut short to fit a limit ("…" at its end).
func (c *formChecker) cut(path, text string) {
	if strings.HasSuffix(strings.TrimSpace(text), "…") || strings.HasSuffix(strings.TrimSpace(text), "...") {
		c.flag(path, content.FindingCut, "is cut short (it ends with an ellipsis)")
	}
}

// interrogatives open an English question (or a question about a place,
// a time, a cause that starts with a preposition).
var interrogatives = prose.SetOf(`what why how when where who whom whose which is are was were do does did can could
	should would will shall has have had may might must in on at for to from by with under during according
	compared if suppose imagine`)

// question flags an English text that ends with a question mark but does
// not read as a question ("Energy and light?").
func (c *formChecker) question(path, text string) {
	t := strings.TrimSpace(text)
	if !english(c.lang) || !strings.HasSuffix(t, "?") {
		return
	}
	toks := prose.Tokenize(t)
	if len(toks) == 0 || !interrogatives[strings.ToLower(toks[0].Text)] {
		c.flag(path, content.FindingNotAQuestion, "ends with a question mark but does not ask a question")
	}
}

// keywordTitle is a title of two words joined by "and".
var keywordTitle = regexp.MustCompile(`(?i)^\s*([\p{L}\p{N}'’-]+)\s+(and|und|et|y|e)\s+([\p{L}\p{N}'’-]+)\s*$`)

// title flags a title made of two keywords ("French and political") that
// the sources never write together: it names words, not what the section
// teaches.
func (c *formChecker) title(path, title string) {
	if !keywordTitle.MatchString(title) {
		return
	}
	if strings.Count(c.known, strings.ToLower(strings.Join(strings.Fields(title), " "))) > 1 {
		return // a phrase of the subject ("supply and demand"), not only this title
	}
	c.flag(path, content.FindingKeywordTitle, "%q is two keywords, not a title that says what the section teaches", title)
}

// quoted matches a quoted name inside a question.
var quoted = regexp.MustCompile(`“[^”]*”|"[^"]*"|«[^»]*»|„[^“]*“`)

// minTemplate is how many questions sharing one wording make a template.
const minTemplate = 3

// templates flags questions that are one wording with a name swapped in
// ("What does “X” cover?" for every section).
func (c *formChecker) templates(pathFormat string, questions []string) {
	groups := map[string][]int{}
	for i, q := range questions {
		groups[c.skeleton(q)] = append(groups[c.skeleton(q)], i)
	}
	for sk, idx := range groups {
		if len(idx) < minTemplate || !strings.Contains(sk, "X") {
			continue
		}
		for _, i := range idx {
			c.flag(fmt.Sprintf(pathFormat, i), content.FindingTemplate, "is one of %d questions worded %q", len(idx), sk)
		}
	}
}

// skeleton is a question with its quoted names and the outline's section
// titles replaced by X.
func (c *formChecker) skeleton(q string) string {
	s := quoted.ReplaceAllString(q, "X")
	if c.outline != nil {
		for _, sec := range c.outline.Sections {
			if t := strings.TrimSpace(sec.Title); t != "" {
				s = replaceFold(s, t, "X")
			}
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

// replaceFold replaces every occurrence of old in s, ignoring case.
func replaceFold(s, old, repl string) string {
	lo, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lo) != len(s) || len(lold) != len(old) {
		return s // a case change altered byte lengths: leave it
	}
	var b strings.Builder
	for {
		i := strings.Index(lo, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + repl)
		s, lo = s[i+len(old):], lo[i+len(old):]
	}
}
