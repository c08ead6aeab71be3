package extract

import (
	"fmt"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// maxReadingSections is the most sections a detailed reading may have.
const maxReadingSections = 10

// detailedReading gives the whole material as prose, section by section
// in the outline's order. An outline of more than ten sections is read in
// ten groups of neighbouring sections.
func (a *analysis) detailedReading(o *content.Outline) content.DetailedReading {
	r := content.DetailedReading{
		Title:        o.Title,
		Introduction: a.readingIntro(o),
		Conclusion:   a.conclusion(o),
		References:   a.references(o),
	}
	seen := uniqueSet{}
	for _, group := range groupSections(o.Sections, maxReadingSections) {
		title := a.readingTitle(group)
		for n := 2; !seen.add(title); n++ {
			title = fmt.Sprintf("%s (%d)", truncate(a.readingTitle(group), 190), n)
		}
		r.Sections = append(r.Sections, content.ReadingSection{Title: title, Paragraphs: paragraphItems(a.readingContent(group))})
	}
	return r
}

// groupSections splits sections into at most limit runs of neighbours.
func groupSections(secs []content.OutlineSection, limit int) [][]content.OutlineSection {
	var out [][]content.OutlineSection
	for i := range min(limit, len(secs)) {
		lo, hi := i*len(secs)/min(limit, len(secs)), (i+1)*len(secs)/min(limit, len(secs))
		out = append(out, secs[lo:hi])
	}
	return out
}

func (a *analysis) readingTitle(group []content.OutlineSection) string {
	titles := make([]string, len(group))
	for i, s := range group {
		titles[i] = s.Title
	}
	return a.padTitle(truncate(a.joinList(titles), 200))
}

// readingContent is a group's description, its source sentences in
// paragraphs, and its key points when no source covers it.
func (a *analysis) readingContent(group []content.OutlineSection) string {
	b := builder{limit: 20000}
	per := 19000 / len(group)
	for _, s := range group {
		if len(group) > 1 {
			b.add(fmt.Sprintf("### %s\n\n", s.Title))
		}
		m := a.material(s)
		if len(m) == 0 || a.sents[m[0]].text != s.Description {
			b.add(asSentence(s.Description) + "\n\n")
		}
		if len(m) > 0 {
			b.add(truncate(a.paragraphText(m), per) + "\n\n")
			continue
		}
		var points []string
		for _, p := range s.KeyPoints {
			points = append(points, asSentence(p))
		}
		b.add(joinSentences(points) + "\n\n")
	}
	if b.n < 60 {
		b.add(a.tr("Read this part slowly and note any term you could not yet explain to someone else."))
	}
	return b.String()
}

// paragraphText joins sentences, starting a new paragraph where the
// source did.
func (a *analysis) paragraphText(idx []int) string {
	var b strings.Builder
	for k, i := range idx {
		switch {
		case k == 0:
		case a.sents[i].para != a.sents[idx[k-1]].para:
			b.WriteString("\n\n")
		default:
			b.WriteString(sentenceGap(a.sents[idx[k-1]].text))
		}
		b.WriteString(a.sents[i].text)
	}
	return b.String()
}

func (a *analysis) readingIntro(o *content.Outline) string {
	b := builder{limit: 4000}
	b.add(fmt.Sprintf(a.tr("This reading explores %s for %s."), a.topicPhrase(), a.audiencePhrase()))
	b.add(fmt.Sprintf(a.tr(" It proceeds in %d parts: %s."), len(o.Sections), a.joinList(a.quotedTitles(o))))
	return truncate(b.String(), 4000)
}

func (a *analysis) conclusion(o *content.Outline) string {
	b := builder{limit: 4000}
	b.add(fmt.Sprintf(a.tr("Taken together, these parts show what %s involves and how its ideas connect."), a.topicPhrase()))
	if n := len(o.LearningObjectives); n > 0 {
		b.add(fmt.Sprintf(a.tr(" Having read them, you should be able to %s."), strings.Join(lowerAll(o.LearningObjectives[:min(3, n)]), a.tr("; "))))
	}
	return truncate(b.String(), 4000)
}

// references name the source text, the only reference the backend can
// vouch for; without one there are none.
func (a *analysis) references(o *content.Outline) []string {
	if !a.hasSource() {
		return []string{}
	}
	return []string{truncate(fmt.Sprintf(a.tr("Source text supplied with the request on %s (%d sentences)."), o.Title, len(a.sents)), 500)}
}

// paragraphItems splits Markdown text into its paragraphs.
func paragraphItems(text string) []content.Paragraph {
	var out []content.Paragraph
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, content.Paragraph{Text: p})
		}
	}
	return out
}
