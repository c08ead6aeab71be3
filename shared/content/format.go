package content

import (
	"reflect"
	"slices"
)

// Format names one output of a job. Every format is produced by one step of
// the same name.
type Format string

// The fourteen formats: the sources a job reads, ten text formats, the
// cover image, the podcast audio and the package that bundles the rest.
const (
	// FormatSources is the job's sources read and split into numbered
	// passages (sources.json). A job has it when its request has sources.
	FormatSources         Format = "sources"
	FormatOutline         Format = "outline"
	FormatPodcastScript   Format = "podcast_script"
	FormatStudyGuide      Format = "study_guide"
	FormatOnePager        Format = "one_pager"
	FormatDetailedReading Format = "detailed_reading"
	FormatFAQs            Format = "faqs"
	FormatFlashcards      Format = "flashcards"
	FormatReadingGuide    Format = "reading_guide"
	FormatQuiz            Format = "quiz"
	FormatTimeline        Format = "timeline"
	FormatImage           Format = "image"
	FormatAudio           Format = "audio"
	FormatPackage         Format = "package"
)

// Kind is the kind of work a format needs; each kind has its own worker.
type Kind string

// The worker kinds.
const (
	KindSources  Kind = "sources"
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindAudio    Kind = "audio"
	KindAssemble Kind = "assemble"
)

// Kinds returns every kind, in the order of the pipeline.
func Kinds() []Kind { return []Kind{KindSources, KindText, KindImage, KindAudio, KindAssemble} }

// Spec describes one format.
type Spec struct {
	Format Format
	Kind   Kind
	// Title is the human name used in exports.
	Title string
	// Requires lists the formats this one is generated from. The package
	// requires every other step of its job and is not listed here.
	Requires []Format
	// Doc is the Go type of a text format's JSON document (nil otherwise).
	Doc reflect.Type
	// Input marks a format made from the request itself: a job has it
	// only when its request has what it reads (sources), so requiring it
	// never pulls it into a job (Closure).
	Input bool
}

// Schema returns the JSON Schema of a text format's document, nil for
// other kinds.
func (s Spec) Schema() *Schema {
	if s.Doc == nil {
		return nil
	}
	return SchemaFor(s.Doc)
}

var outlineOnly = []Format{FormatOutline}

var specs = []Spec{
	{Format: FormatSources, Kind: KindSources, Title: "Sources", Input: true},
	{FormatOutline, KindText, "Outline", []Format{FormatSources}, reflect.TypeFor[Outline](), false},
	{FormatPodcastScript, KindText, "Podcast script", outlineOnly, reflect.TypeFor[PodcastScript](), false},
	{FormatStudyGuide, KindText, "Study guide", outlineOnly, reflect.TypeFor[StudyGuide](), false},
	{FormatOnePager, KindText, "One-pager", outlineOnly, reflect.TypeFor[OnePager](), false},
	{FormatDetailedReading, KindText, "Detailed reading", outlineOnly, reflect.TypeFor[DetailedReading](), false},
	{FormatFAQs, KindText, "FAQs", outlineOnly, reflect.TypeFor[FAQs](), false},
	{FormatFlashcards, KindText, "Flashcards", outlineOnly, reflect.TypeFor[Flashcards](), false},
	{FormatReadingGuide, KindText, "Reading guide", outlineOnly, reflect.TypeFor[ReadingGuide](), false},
	{FormatQuiz, KindText, "Quiz", outlineOnly, reflect.TypeFor[Quiz](), false},
	{FormatTimeline, KindText, "Timeline", outlineOnly, reflect.TypeFor[Timeline](), false},
	{FormatImage, KindImage, "Cover image", outlineOnly, nil, false},
	{FormatAudio, KindAudio, "Podcast audio", []Format{FormatPodcastScript}, nil, false},
	{FormatPackage, KindAssemble, "Package", nil, nil, false},
}

// Formats returns every format in generation order.
func Formats() []Format {
	out := make([]Format, len(specs))
	for i, s := range specs {
		out[i] = s.Format
	}
	return out
}

// TextFormats returns the ten text formats in generation order.
func TextFormats() []Format {
	var out []Format
	for _, s := range specs {
		if s.Kind == KindText {
			out = append(out, s.Format)
		}
	}
	return out
}

// DefaultFormats is what a request without formats asks for: every text
// format, the image and the audio (the package is always added).
func DefaultFormats() []Format {
	return append(TextFormats(), FormatImage, FormatAudio)
}

// Lookup returns the spec of a format.
func Lookup(f Format) (Spec, bool) {
	i := Order(f)
	if i < 0 {
		return Spec{}, false
	}
	return specs[i], true
}

// Order is a format's place in the generation order (Formats), -1 for
// an unknown format.
func Order(f Format) int {
	return slices.IndexFunc(specs, func(s Spec) bool { return s.Format == f })
}

// MustLookup returns the spec of a known format and panics otherwise.
func MustLookup(f Format) Spec {
	s, ok := Lookup(f)
	if !ok {
		panic("content: unknown format " + string(f))
	}
	return s
}

// Closure returns the formats a job must produce for the requested ones:
// the requested formats, everything they are generated from (but for
// Input formats, which only a request with sources has: see
// Request.ApplyDefaults), and the package, in generation order.
func Closure(requested []Format) []Format {
	need := map[Format]bool{FormatPackage: true}
	var add func(Format)
	add = func(f Format) {
		if need[f] {
			return
		}
		need[f] = true
		for _, r := range MustLookup(f).Requires {
			if !MustLookup(r).Input {
				add(r)
			}
		}
	}
	for _, f := range requested {
		add(f)
	}
	var out []Format
	for _, s := range specs {
		if need[s.Format] {
			out = append(out, s.Format)
		}
	}
	return out
}

// SchemaFor returns the format's schema as a model answers to it, with
// what the request and the outline already decide pinned as enums: the
// outline's title on derived formats, the requested level, the requested
// speakers and length of the podcast, the outline's section titles in the
// reading guide, its learning objectives in the quiz. Citations follow
// the job's passages (Expect.Passages): required on every item that
// carries them, limited to the job's ids when there are at most
// MaxPinnedPassages, and left out when the job has no sources; what the
// pipeline sets (the grounding verdicts) is left out. A model held to
// this schema cannot get those wrong; the validator checks them anyway.
func (s Spec) SchemaFor(exp Expect) *Schema {
	base := s.Schema()
	if base == nil {
		return nil
	}
	p := base.clone()
	if exp.Outline != nil && s.Format != FormatOutline {
		p.Properties["title"].pin(exp.Outline.Title)
	}
	req := exp.Request
	switch s.Format {
	case FormatOutline:
		if req != nil {
			p.Properties["level"].pin(req.Level)
		}
	case FormatPodcastScript:
		if req != nil && req.Podcast != nil && len(req.Podcast.Speakers) > 0 {
			var names, roles []string
			for _, sp := range req.Podcast.Speakers {
				names, roles = append(names, sp.Name), append(roles, sp.Role)
			}
			n := len(names)
			sp := p.Properties["speakers"]
			sp.MinItems, sp.MaxItems = &n, &n
			sp.Items.Properties["name"].pin(names...)
			sp.Items.Properties["role"].pin(roles...)
			p.Properties["turns"].Items.Properties["speaker"].pin(names...)
			if m := float64(req.Podcast.TargetMinutes); m > 0 {
				p.Properties["target_minutes"].Minimum, p.Properties["target_minutes"].Maximum = &m, &m
			}
		}
	case FormatReadingGuide:
		if exp.Outline != nil {
			p.Properties["questions"].Items.Properties["section"].pin(exp.Outline.SectionTitles()...)
		}
	case FormatQuiz:
		q := p.Properties["questions"].Items
		if exp.Outline != nil {
			q.Properties["objective"].pin(exp.Outline.LearningObjectives...)
		}
	}
	p.forModel(exp.Passages)
	return p
}

// MaxPinnedPassages is the most passage ids a model's schema lists as the
// only ones it may cite; a job with more is held to the id pattern, and
// the validator rejects ids it does not have.
const MaxPinnedPassages = 300

// forModel leaves out what the pipeline sets and pins lists of passage
// ids to the job's (see Spec.SchemaFor).
func (s *Schema) forModel(passages PassageSet) {
	if s == nil {
		return
	}
	for _, k := range slices.Clone(s.PropertyOrdering) {
		p := s.Properties[k]
		if p.modelOmit || (p.citations && passages != nil && len(passages) == 0) {
			delete(s.Properties, k)
			s.PropertyOrdering = slices.DeleteFunc(s.PropertyOrdering, func(n string) bool { return n == k })
			s.Required = slices.DeleteFunc(s.Required, func(n string) bool { return n == k })
			continue
		}
		if p.citations && len(passages) > 0 {
			if !slices.Contains(s.Required, k) {
				s.Required = append(s.Required, k)
			}
			if len(passages) <= MaxPinnedPassages {
				p.Items.Enum = passages.IDs()
			}
		}
		p.forModel(passages)
	}
	s.Items.forModel(passages)
}
