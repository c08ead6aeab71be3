package extract

import (
	"fmt"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// studyGuide explains the key concepts and walks through every section.
func (a *analysis) studyGuide(o *content.Outline) content.StudyGuide {
	concepts := a.keyConcepts(o)
	explained := uniqueSet{}
	for _, k := range concepts {
		for _, s := range splitSentences(k.Explanation, a.req.Language) {
			explained.add(s)
		}
	}
	return content.StudyGuide{
		Title:           o.Title,
		Overview:        a.guideOverview(o),
		KeyConcepts:     concepts,
		DetailedContent: a.detailedContent(o, explained),
		Summary:         a.summary(o),
		FurtherReading:  a.furtherReading(o),
	}
}

func (a *analysis) guideOverview(o *content.Outline) string {
	b := builder{limit: 4000}
	b.add(fmt.Sprintf(a.tr("This study guide covers %s for %s at the %s level."), a.topicPhrase(), a.audiencePhrase(), a.levelPhrase()))
	b.add(fmt.Sprintf(a.tr(" It follows the %d sections of the outline: %s."), len(o.Sections), a.joinList(a.quotedTitles(o))))
	return truncate(b.String(), 4000)
}

func (a *analysis) quotedTitles(o *content.Outline) []string {
	out := make([]string, len(o.Sections))
	for i, s := range o.Sections {
		out[i] = a.sectionName(s.Title)
	}
	return out
}

// keyConcepts lists defined terms first, then frequent key terms, then the
// sections themselves, then the topic and the study plan.
func (a *analysis) keyConcepts(o *content.Outline) []content.KeyConcept {
	var out []content.KeyConcept
	seen := uniqueSet{}
	add := func(termText, explanation string) {
		termText, explanation = truncate(capitalize(termText), 120), truncate(explanation, 2000)
		if len(out) < 12 && runeLen(explanation) >= 10 && runeLen(termText) >= 1 && seen.add(termText) {
			out = append(out, content.KeyConcept{Term: termText, Explanation: explanation})
		}
	}
	for _, d := range a.defs {
		add(a.natural(d.term), a.standalone(d.sent))
	}
	for _, ts := range a.explained() {
		add(ts.term.display, a.standalone(ts.sent))
	}
	if len(out) >= 5 {
		return out
	}
	for _, s := range o.Sections {
		add(s.Title, s.Description)
	}
	if a.hasSource() {
		add(a.req.Topic, a.central(2000)) // what the sources say, not what the material is
	} else {
		add(a.req.Topic, o.Overview)
	}
	add(a.tr("Learning objectives"), fmt.Sprintf(a.tr("By the end you should be able to: %s."), strings.Join(lowerAll(o.LearningObjectives), a.tr("; "))))
	add(a.tr("Study plan"), fmt.Sprintf(a.tr("Work through the %d sections in order, about %d minutes in all, then test yourself with the review questions."),
		len(o.Sections), totalMinutes(o)))
	return out
}

func lowerAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strings.TrimSuffix(lowerFirst(s), ".")
	}
	return out
}

func totalMinutes(o *content.Outline) int {
	n := 0
	for _, s := range o.Sections {
		n += s.Minutes
	}
	return n
}

// detailedContent is the material section by section, in Markdown,
// without the sentences the key concepts quoted (explained).
func (a *analysis) detailedContent(o *content.Outline, explained uniqueSet) string {
	b := builder{limit: 30000}
	perSection := max(400, 29000/len(o.Sections))
	for _, s := range o.Sections {
		var part strings.Builder
		fmt.Fprintf(&part, "## %s\n\n", s.Title)
		var m []int
		for _, i := range a.material(s) {
			if !explained.has(a.sents[i].text) {
				m = append(m, i)
			}
		}
		if (len(m) == 0 || a.sents[m[0]].text != s.Description) && !explained.has(s.Description) {
			part.WriteString(asSentence(s.Description) + "\n\n")
		}
		text := ""
		if len(m) > 0 {
			text = truncate(a.paragraphText(m), perSection)
			part.WriteString(text + "\n\n")
		}
		// The key points the text above already makes are not said twice.
		var points []string
		for _, p := range s.KeyPoints {
			if !strings.Contains(text, strings.TrimSpace(p)) && !explained.has(p) {
				points = append(points, p)
			}
		}
		if len(points) > 0 {
			part.WriteString(a.tr("**Key points**\n\n"))
			for _, p := range points {
				fmt.Fprintf(&part, "- %s\n", p)
			}
			part.WriteString("\n")
		}
		if !b.add(part.String()) {
			break
		}
	}
	if b.n < 100 {
		b.add(fmt.Sprintf(a.tr("Review each section of %s in turn and explain its key points in your own words."), o.Title))
	}
	return b.String()
}

// summary closes the guide with the source's two central sentences.
func (a *analysis) summary(o *content.Outline) string {
	b := builder{limit: 4000}
	b.add(fmt.Sprintf(a.tr("In short, %s comes down to %d connected ideas: %s."), a.titlePhrase(o.Title), len(o.Sections), a.joinList(a.quotedTitles(o))))
	// The guide has quoted the sources already; the summary says what the
	// reader should now be able to do.
	if n := len(o.LearningObjectives); n > 0 {
		b.add(fmt.Sprintf(a.tr(" You should now be able to %s."), strings.Join(lowerAll(o.LearningObjectives[:min(3, n)]), a.tr("; "))))
	}
	return truncate(b.String(), 4000)
}

// furtherReading suggests where to read on; it invents no titles.
func (a *analysis) furtherReading(o *content.Outline) []string {
	out := []string{}
	if a.hasSource() {
		out = append(out, truncate(a.tr("The source text supplied with this request, especially the parts on ")+
			a.joinList(a.quotedTitles(o)[:min(3, len(o.Sections))]), 500))
	}
	out = append(out, truncate(a.tr("An introductory textbook chapter or encyclopedia article on ")+a.topicPhrase(), 500))
	if len(a.terms) >= 2 {
		out = append(out, truncate(fmt.Sprintf(a.tr("Reference entries on %s and %s"), a.terms[0].display, a.terms[1].display), 500))
	}
	return out
}

// onePager sums the material up on one page. Each source sentence is
// used once on it while there are enough: the takeaways take the best of
// each section, the summary the most central ones left, the body what is
// left after that.
func (a *analysis) onePager(o *content.Outline) content.OnePager {
	used := map[int]bool{}
	takeaways := a.takeaways(o, used)
	return content.OnePager{
		Title:            o.Title,
		ExecutiveSummary: a.executiveSummary(o, used),
		KeyTakeaways:     content.Takeaways(takeaways...),
		MainContent:      a.mainContent(o, used),
	}
}

// unused keeps the sentences not used yet.
func unused(used map[int]bool) func(int) bool { return func(i int) bool { return !used[i] } }

func (a *analysis) executiveSummary(o *content.Outline, used map[int]bool) string {
	b := builder{limit: 2000}
	if !a.hasSource() {
		b.add(truncate(o.Overview, 2000))
		return b.String()
	}
	best := a.top(a.all(), 3, unused(used))
	if len(best) == 0 {
		best = a.top(a.all(), 3, nil) // a short source: the takeaways took it all
	}
	for _, i := range best {
		used[i] = true
	}
	for _, text := range a.texts(best) {
		if !b.add(text + " ") {
			break
		}
	}
	if b.n < 20 {
		b.add(truncate(o.Overview, 2000-b.n))
	}
	return b.String()
}

// takeaways are the best key point of each section, three to seven.
func (a *analysis) takeaways(o *content.Outline, used map[int]bool) []string {
	var out []string
	seen := uniqueSet{}
	add := func(s string) {
		if s = truncate(s, 500); len(out) < 7 && runeLen(s) >= 5 && seen.add(s) {
			out = append(out, s)
		}
	}
	for _, s := range o.Sections {
		if best := a.top(a.material(s), 1, unused(used)); len(best) > 0 {
			used[best[0]] = true
			add(a.standalone(best[0]))
		} else if len(s.KeyPoints) > 0 && len(a.material(s)) == 0 {
			add(s.KeyPoints[0])
		}
	}
	for _, obj := range o.LearningObjectives {
		if len(out) >= 3 {
			break
		}
		add(asSentence(obj))
	}
	return out
}

func (a *analysis) mainContent(o *content.Outline, used map[int]bool) string {
	b := builder{limit: 8000}
	b.add(fmt.Sprintf(a.tr("**%s**: for %s, %s level.\n\n"), o.Title, a.audiencePhrase(), a.levelPhrase()))
	per := max(200, 7000/len(o.Sections))
	for _, s := range o.Sections {
		text := asSentence(s.Description)
		if m := a.material(s); len(m) > 0 {
			best := a.top(m, 2, unused(used))
			if len(best) == 0 {
				continue // the summary and the takeaways said it all
			}
			for _, i := range best {
				used[i] = true
			}
			text = joinSentences(a.texts(best))
		}
		if !b.add(fmt.Sprintf("### %s\n\n%s\n\n", s.Title, truncate(text, per))) {
			break
		}
	}
	return b.String()
}
