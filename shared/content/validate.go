package content

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"contentfactory.dev/factory/shared/prose"
)

// Expect is what a text document must agree with besides its own schema:
// the request it was made for, for derived formats the outline, and the
// passages its citations may name.
type Expect struct {
	Request *Request
	Outline *Outline
	// Passages are the ids the document may cite (PassagesOf the job's
	// sources); nil: citations are not checked.
	Passages PassageSet
	// Pace, when set, is how fast the job's voices speak: a podcast
	// script must then be as long as its request asks (generated scripts
	// are held to it; a script edited by hand is spoken as written).
	Pace *Pace
}

// checker is implemented by documents with rules a schema cannot express.
type checker interface {
	check(Expect) Violations
}

// ValidateText checks a text format's JSON document against the format's
// schema and content rules and returns the decoded document (a pointer to
// the format's struct) when it passes.
func ValidateText(f Format, raw []byte, exp Expect) (any, error) {
	spec, ok := Lookup(f)
	if !ok || spec.Doc == nil {
		return nil, fmt.Errorf("content: %q is not a text format", f)
	}
	raw = upgrade(f, raw)
	if vs := spec.Schema().Validate(raw); len(vs) > 0 {
		return nil, vs
	}
	doc := reflect.New(spec.Doc).Interface()
	if err := json.Unmarshal(raw, doc); err != nil {
		return nil, Violations{{Message: "cannot decode: " + err.Error()}}
	}
	var vs Violations
	if c, ok := doc.(checker); ok {
		vs = c.check(exp)
	}
	if vs = append(vs, checkCitations(doc, exp.Passages)...); len(vs) > 0 {
		return nil, vs
	}
	return doc, nil
}

// Decode validates and decodes a text document into its struct type.
func Decode[T any](f Format, raw []byte, exp Expect) (*T, error) {
	doc, err := ValidateText(f, raw, exp)
	if err != nil {
		return nil, err
	}
	t, ok := doc.(*T)
	if !ok {
		return nil, fmt.Errorf("content: %s document is %T, not %T", f, doc, t)
	}
	return t, nil
}

func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// titleAgrees is the rule every derived format shares.
func titleAgrees(title string, exp Expect) Violations {
	if exp.Outline != nil && !sameText(title, exp.Outline.Title) {
		return Violations{{Path: "/title", Message: fmt.Sprintf("must be the outline's title %q", exp.Outline.Title)}}
	}
	return nil
}

// unique reports repeated values (compared without case or extra space).
func unique[T any](items []T, path, what string, key func(T) string) Violations {
	var vs Violations
	seen := map[string]bool{}
	for i, it := range items {
		k := strings.ToLower(strings.Join(strings.Fields(key(it)), " "))
		if seen[k] {
			vs = append(vs, Violation{Path: fmt.Sprintf("%s/%d", path, i), Message: fmt.Sprintf("repeats an earlier %s", what)})
		}
		seen[k] = true
	}
	return vs
}

func (o *Outline) check(exp Expect) Violations {
	vs := unique(o.Sections, "/sections", "section title", func(s OutlineSection) string { return s.Title })
	if exp.Request != nil && exp.Request.Level != "" && o.Level != exp.Request.Level {
		vs = append(vs, Violation{Path: "/level", Message: fmt.Sprintf("must be the requested level %q", exp.Request.Level)})
	}
	return vs
}

// SectionTitles returns the titles of the outline's sections.
func (o *Outline) SectionTitles() []string {
	out := make([]string, len(o.Sections))
	for i, s := range o.Sections {
		out[i] = s.Title
	}
	return out
}

func (p *PodcastScript) check(exp Expect) Violations {
	vs := titleAgrees(p.Title, exp)
	vs = append(vs, unique(p.Speakers, "/speakers", "speaker name", func(s Speaker) string { return s.Name })...)
	if exp.Request != nil && exp.Request.Podcast != nil {
		want := exp.Request.Podcast
		if len(want.Speakers) > 0 {
			if len(p.Speakers) != len(want.Speakers) {
				vs = append(vs, Violation{Path: "/speakers", Message: fmt.Sprintf("must be the %d requested speakers", len(want.Speakers))})
			} else {
				for i, s := range want.Speakers {
					if !sameText(p.Speakers[i].Name, s.Name) {
						vs = append(vs, Violation{Path: fmt.Sprintf("/speakers/%d/name", i), Message: fmt.Sprintf("must be %q", s.Name)})
					}
				}
			}
		}
		if want.TargetMinutes != 0 && p.TargetMinutes != want.TargetMinutes {
			vs = append(vs, Violation{Path: "/target_minutes", Message: fmt.Sprintf("must be %d", want.TargetMinutes)})
		}
	}
	if exp.Pace != nil {
		vs = append(vs, p.checkLength(exp.Request, *exp.Pace)...)
	}
	spoke := map[string]bool{}
	for i, t := range p.Turns {
		if p.SpeakerIndex(t.Speaker) < 0 {
			vs = append(vs, Violation{Path: fmt.Sprintf("/turns/%d/speaker", i), Message: fmt.Sprintf("%q is not a declared speaker", t.Speaker)})
		}
		spoke[strings.ToLower(t.Speaker)] = true
	}
	for i, s := range p.Speakers {
		if !spoke[strings.ToLower(s.Name)] {
			vs = append(vs, Violation{Path: fmt.Sprintf("/speakers/%d", i), Message: fmt.Sprintf("%q never speaks", s.Name)})
		}
	}
	return vs
}

// SpeakerIndex returns the position of the named speaker, or -1.
func (p *PodcastScript) SpeakerIndex(name string) int {
	for i, s := range p.Speakers {
		if sameText(s.Name, name) {
			return i
		}
	}
	return -1
}

// Words counts the spoken words of the script.
func (p *PodcastScript) Words() int {
	n := prose.SpokenWords(p.Intro) + prose.SpokenWords(p.Outro)
	for _, t := range p.Turns {
		n += prose.SpokenWords(t.Text)
	}
	return n
}

func (s *StudyGuide) check(exp Expect) Violations {
	return append(titleAgrees(s.Title, exp), unique(s.KeyConcepts, "/key_concepts", "term", func(k KeyConcept) string { return k.Term })...)
}

func (o *OnePager) check(exp Expect) Violations { return titleAgrees(o.Title, exp) }

func (d *DetailedReading) check(exp Expect) Violations {
	return append(titleAgrees(d.Title, exp), unique(d.Sections, "/sections", "section title", func(s ReadingSection) string { return s.Title })...)
}

func (f *FAQs) check(exp Expect) Violations {
	get := func(q FAQ) string { return q.Question }
	vs := append(titleAgrees(f.Title, exp), unique(f.FAQs, "/faqs", "question", get)...)
	return append(vs, questionForms(f.FAQs, "/faqs", "question", exp, get)...)
}

func (f *Flashcards) check(exp Expect) Violations {
	return append(titleAgrees(f.Title, exp), unique(f.Cards, "/cards", "card front", func(c Flashcard) string { return c.Front })...)
}

func (g *ReadingGuide) check(exp Expect) Violations {
	get := func(q ReadingQuestion) string { return q.Question }
	vs := append(titleAgrees(g.Title, exp), unique(g.Questions, "/questions", "question", get)...)
	vs = append(vs, questionForms(g.Questions, "/questions", "question", exp, get)...)
	if exp.Outline == nil {
		return vs
	}
	for i, q := range g.Questions {
		found := false
		for _, s := range exp.Outline.Sections {
			if sameText(s.Title, q.Section) {
				found = true
				break
			}
		}
		if !found {
			vs = append(vs, Violation{Path: fmt.Sprintf("/questions/%d/section", i), Message: fmt.Sprintf("%q is not a section of the outline", q.Section)})
		}
	}
	return vs
}
