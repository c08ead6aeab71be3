// Package export renders a job's documents for people: the Markdown
// bundle of every text format, its sanitized HTML, the page-based exports
// made from the Markdown's syntax tree (PDF, DOCX, EPUB 3), the flashcards
// as an Anki deck and CSV, the podcast's chapters, and the WebVTT
// transcript of the podcast.
package export

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// Doc is one decoded text document (a pointer to its content struct).
type Doc struct {
	Format content.Format
	Value  any
}

// Bundle is every text document of a job, and the job's sources: what
// the documents cite.
type Bundle struct {
	Title string
	Topic string
	// Language is the request's BCP 47 tag: the HTML page's language and,
	// for Arabic, Hebrew, Persian or Urdu, its right-to-left direction.
	Language string
	Docs     []Doc
	// Sources are the job's sources and passages (nil: none). Every
	// citation of a passage becomes a numbered link to its text.
	Sources *content.SourceSet
}

// Markdown renders the bundle as one Markdown document with a section per
// format, in the order given. An item that cites passages is followed by
// a footnote reference to each ([^p3]); the footnotes, numbered in the
// order they are first cited, hold each cited passage's source and text,
// so every citation is a numbered link to the passage it names. An item
// the grounding check found unsupported says so.
func Markdown(b Bundle) []byte {
	w := mdWriter{passages: map[string]content.Passage{}, lang: b.Language}
	if b.Sources != nil {
		for _, p := range b.Sources.Passages {
			w.passages[p.ID] = p
		}
	}
	w.line("# " + oneLine(b.Title))
	if b.Topic != "" && b.Topic != b.Title {
		w.line("")
		w.line("*" + fmt.Sprintf(w.label("Topic: %s"), oneLine(b.Topic)) + "*")
	}
	w.line("")
	w.line("## " + w.label("Contents"))
	w.line("")
	for _, d := range b.Docs {
		title := FormatTitle(b.Language, d.Format)
		w.line(fmt.Sprintf("- [%s](#%s)", title, anchor(title)))
	}
	for _, d := range b.Docs {
		w.line("")
		w.line("## " + FormatTitle(b.Language, d.Format))
		w.line("")
		renderDoc(&w, d.Value)
	}
	w.footnotes(b.Sources)
	return []byte(w.String())
}

type mdWriter struct {
	strings.Builder
	// lang is the bundle's language, its labels' (Label).
	lang     string
	passages map[string]content.Passage
	// cited are the passages cited so far, in order.
	cited []string
}

// refs returns the footnote references of an item's citations (of the
// job's passages only), and a mark when the check found it unsupported.
func (w *mdWriter) refs(c content.Cited) string {
	var b strings.Builder
	if c.Grounding == content.Unsupported {
		b.WriteString(" *" + w.label("(not supported by its sources)") + "*")
	}
	for _, id := range c.Citations {
		if _, ok := w.passages[id]; !ok {
			continue
		}
		if !slices.Contains(w.cited, id) {
			w.cited = append(w.cited, id)
		}
		b.WriteString("[^" + id + "]")
	}
	return b.String()
}

// footnotes writes the text of every cited passage as its footnote.
func (w *mdWriter) footnotes(set *content.SourceSet) {
	if len(w.cited) == 0 {
		return
	}
	titles := map[string]string{}
	for i, s := range set.Sources {
		t := oneLine(s.Title)
		switch {
		case t == "" && s.URL != "":
			t = s.URL
		case t == "" && s.Filename != "":
			t = s.Filename
		case t == "":
			t = fmt.Sprintf(w.label("Source %d"), i+1)
		}
		titles[s.ID] = t
	}
	w.line("")
	for _, id := range w.cited {
		p := w.passages[id]
		where := titles[p.Source]
		if p.Page > 0 {
			where += ", " + fmt.Sprintf(w.label("p. %d"), p.Page)
		}
		if h := oneLine(p.Heading); h != "" {
			where += ", " + h
		}
		w.line(fmt.Sprintf("[^%s]: %s (%s): %s", id, escapeInline(where), id, escapeInline(oneLine(p.Text))))
		w.line("")
	}
}

// escapeInline keeps a source's text from being read as Markdown marks.
func escapeInline(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", `\<`, "|", `\|`).Replace(s)
}

func (w *mdWriter) line(s string) { w.WriteString(s); w.WriteByte('\n') }

// label is an export's own word in the bundle's language.
func (w *mdWriter) label(en string) string { return Label(w.lang, en) }

func (w *mdWriter) para(s string) {
	w.line(strings.TrimSpace(s))
	w.line("")
}

// markdown writes a field that holds Markdown, its headings moved two
// levels down so that they stay inside the format's section.
func (w *mdWriter) markdown(s string) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	fence := ""
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		case len(l)-len(t) < 4 && atxHeading(t):
			lines[i] = "##" + t
			if n := len(t) - len(strings.TrimLeft(t, "#")); n > 4 {
				lines[i] = strings.Repeat("#", 6) + t[n:]
			}
		}
	}
	w.para(strings.Join(lines, "\n"))
}

// atxHeading reports a line that opens with a Markdown heading mark.
func atxHeading(t string) bool {
	n := len(t) - len(strings.TrimLeft(t, "#"))
	return n >= 1 && n <= 6 && (len(t) == n || t[n] == ' ' || t[n] == '\t')
}

func (w *mdWriter) bullets(items []string) {
	for _, it := range items {
		w.line("- " + oneLine(it))
	}
	w.line("")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// anchor is the id of a heading in the HTML bundle (headingIDs), which
// the contents link to: its letters and digits in lower case, in any
// script, with hyphens for spaces.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func renderDoc(w *mdWriter, v any) {
	switch d := v.(type) {
	case *content.Outline:
		w.para(d.Overview)
		w.line("*" + fmt.Sprintf(w.label("Audience: %s · Level: %s"), oneLine(d.Audience), w.label(d.Level)) + "*")
		w.line("")
		w.line("### " + w.label("Learning objectives"))
		w.line("")
		w.bullets(d.LearningObjectives)
		for i, s := range d.Sections {
			w.line(fmt.Sprintf("### %d. %s (%s)", i+1, oneLine(s.Title), fmt.Sprintf(w.label("%d min"), s.Minutes)))
			w.line("")
			w.para(s.Description + w.refs(s.Cited))
			w.bullets(s.KeyPoints)
		}
	case *content.PodcastScript:
		names := make([]string, len(d.Speakers))
		for i, s := range d.Speakers {
			names[i] = fmt.Sprintf("%s (%s)", oneLine(s.Name), oneLine(s.Role))
		}
		w.line(fmt.Sprintf("*%s · %s*", strings.Join(names, ", "), fmt.Sprintf(w.label("about %.0f minutes"), d.EstimatedMinutes)))
		w.line("")
		host := d.Speakers[0].Name
		w.para(fmt.Sprintf("**%s:** %s", oneLine(host), oneLine(d.Intro)))
		for _, t := range d.Turns {
			w.para(fmt.Sprintf("**%s:** %s%s", oneLine(t.Speaker), oneLine(t.Text), w.refs(t.Cited)))
		}
		w.para(fmt.Sprintf("**%s:** %s", oneLine(host), oneLine(d.Outro)))
	case *content.StudyGuide:
		w.para(d.Overview)
		w.line("### " + w.label("Key concepts"))
		w.line("")
		for _, k := range d.KeyConcepts {
			w.line(fmt.Sprintf("- **%s**: %s%s", oneLine(k.Term), oneLine(k.Explanation), w.refs(k.Cited)))
		}
		w.line("")
		w.markdown(d.DetailedContent)
		w.line("### " + w.label("Summary"))
		w.line("")
		w.para(d.Summary)
		if len(d.FurtherReading) > 0 {
			w.line("### " + w.label("Further reading"))
			w.line("")
			w.bullets(d.FurtherReading)
		}
	case *content.OnePager:
		w.para(d.ExecutiveSummary)
		w.line("### " + w.label("Key takeaways"))
		w.line("")
		for _, k := range d.KeyTakeaways {
			w.line("- " + oneLine(k.Text) + w.refs(k.Cited))
		}
		w.line("")
		w.markdown(d.MainContent)
	case *content.DetailedReading:
		w.para(d.Introduction)
		for _, s := range d.Sections {
			w.line("### " + oneLine(s.Title))
			w.line("")
			for _, p := range s.Paragraphs {
				w.markdown(strings.TrimSpace(p.Text) + w.refs(p.Cited))
			}
		}
		w.line("### " + w.label("Conclusion"))
		w.line("")
		w.para(d.Conclusion)
		if len(d.References) > 0 {
			w.line("### " + w.label("References"))
			w.line("")
			w.bullets(d.References)
		}
	case *content.FAQs:
		for _, q := range d.FAQs {
			w.line(fmt.Sprintf("**%s** *(%s)*", oneLine(q.Question), oneLine(q.Category)))
			w.line("")
			w.para(strings.TrimSpace(q.Answer) + w.refs(q.Cited))
		}
	case *content.Flashcards:
		w.line(fmt.Sprintf("| # | %s | %s | %s |", w.label("Front"), w.label("Back"), w.label("Difficulty")))
		w.line("|---|---|---|---|")
		for i, c := range d.Cards {
			w.line(fmt.Sprintf("| %d | %s | %s | %s |", i+1, cell(c.Front), cell(c.Back)+w.refs(c.Cited), w.label(c.Difficulty)))
		}
		w.line("")
	case *content.ReadingGuide:
		for i, q := range d.Questions {
			w.line(fmt.Sprintf("%d. %s *(%s)*", i+1, oneLine(q.Question), oneLine(q.Section)))
		}
		w.line("")
	case *content.Quiz:
		renderQuiz(w, d)
	case *content.Timeline:
		for _, e := range d.Events {
			w.line(fmt.Sprintf("- **%s**: **%s**. %s%s", e.Date, oneLine(e.Title), oneLine(e.Description), w.refs(e.Cited)))
		}
		w.line("")
	}
}

// renderQuiz writes the questions with their lettered options, then the
// answers with their explanations, so that a reader can try first.
func renderQuiz(w *mdWriter, q *content.Quiz) {
	for i, x := range q.Questions {
		w.line(fmt.Sprintf("**%d. %s** *(%s)*", i+1, oneLine(x.Question), w.label(x.Difficulty)))
		w.line("")
		for j, o := range x.Options {
			w.line(fmt.Sprintf("- %s. %s", content.AnswerLetters[j], oneLine(o.Text)))
		}
		w.line("")
	}
	w.line("### " + w.label("Answers"))
	w.line("")
	for i, x := range q.Questions {
		answer := x.Answer
		if o, k := x.Correct(); k >= 0 {
			answer += ". " + oneLine(o.Text)
		}
		w.line(fmt.Sprintf("%d. **%s**: %s *(%s)*%s", i+1, answer, oneLine(x.Explanation), fmt.Sprintf(w.label("Checks: %s"), oneLine(x.Objective)), w.refs(x.Cited)))
	}
	w.line("")
}

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }

// WebVTT renders cues as a WebVTT transcript with the speaker as the voice
// of each cue.
func WebVTT(cues []ai.Cue) []byte {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for i, c := range cues {
		fmt.Fprintf(&b, "\n%d\n%s --> %s\n<v %s>%s\n", i+1, vttTime(c.Start), vttTime(c.End), vttText(c.Speaker), vttText(c.Text))
	}
	return []byte(b.String())
}

func vttTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}

// vttText keeps cue text on one line and escapes what WebVTT reserves.
func vttText(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "-->", "--&gt;").Replace(oneLine(s))
	return s
}
