package content

import (
	"fmt"
	"slices"
	"strings"
)

// Export names one file a job's documents are rendered into. Each export
// is its own artifact; a request's exports choose which are made.
type Export string

// The exports. The package step makes all but chapters, which the audio
// step writes with the narration.
const (
	ExportMarkdown Export = "markdown" // bundle.md
	ExportHTML     Export = "html"     // bundle.html, sanitized
	ExportPDF      Export = "pdf"      // bundle.pdf
	ExportDOCX     Export = "docx"     // bundle.docx
	ExportEPUB     Export = "epub"     // bundle.epub (EPUB 3)
	ExportAnki     Export = "anki"     // flashcards.apkg: the flashcards and the quiz
	ExportCSV      Export = "csv"      // flashcards.csv and quiz.csv
	ExportChapters Export = "chapters" // chapters.json, and chapter frames in podcast.mp3
)

type exportSource struct {
	export Export
	// from are the formats the export is made from, any of them (none:
	// the bundles, which take every text format there is).
	from []Format
}

// exportSources says which formats an export is made from.
var exportSources = []exportSource{
	{ExportMarkdown, nil}, {ExportHTML, nil}, {ExportPDF, nil}, {ExportDOCX, nil}, {ExportEPUB, nil},
	{ExportAnki, []Format{FormatFlashcards, FormatQuiz}}, {ExportCSV, []Format{FormatFlashcards, FormatQuiz}},
	{ExportChapters, []Format{FormatAudio}},
}

// Exports returns every export in a stable order.
func Exports() []Export {
	out := make([]Export, len(exportSources))
	for i, s := range exportSources {
		out[i] = s.export
	}
	return out
}

// Sources are the formats an export is made from, any one of them
// enough (none for the bundles, which need only some text format), and
// whether the export is known.
func (e Export) Sources() ([]Format, bool) {
	i := slices.IndexFunc(exportSources, func(s exportSource) bool { return s.export == e })
	if i < 0 {
		return nil, false
	}
	return exportSources[i].from, true
}

// madeFrom reports whether formats hold one an export is made from.
func (s exportSource) madeFrom(formats []Format) bool {
	return len(s.from) == 0 || slices.ContainsFunc(s.from, func(f Format) bool { return slices.Contains(formats, f) })
}

// DefaultExports is what a request without exports gets: every export
// the job's formats (their closure) can make.
func DefaultExports(formats []Format) []Export {
	var out []Export
	for _, s := range exportSources {
		if s.madeFrom(formats) {
			out = append(out, s.export)
		}
	}
	return out
}

// WantsExport reports whether the job makes an export. A request stored
// before exports existed has none listed and makes them all.
func (r *Request) WantsExport(e Export) bool {
	return r.Exports == nil || slices.Contains(r.Exports, e)
}

// validateExports reports unknown, repeated and unmakeable exports: one
// made from a format the request does not ask for (with the formats'
// default and closure applied) is an error, not a silent omission.
func (r *Request) validateExports(add func(field, code, format string, args ...any)) {
	if r.Exports == nil {
		return
	}
	if len(r.Exports) == 0 {
		add("exports", "required", "must name at least one export, or be left out for all of them")
		return
	}
	formats := r.Formats
	if len(formats) == 0 {
		formats = DefaultFormats()
	}
	made := Closure(formats)
	seen := map[Export]bool{}
	for i, e := range r.Exports {
		field := fmt.Sprintf("exports[%d]", i)
		from, ok := e.Sources()
		switch {
		case !ok:
			add(field, "unknown_export", "unknown export %q; exports are %s", e, exportList())
		case seen[e]:
			add(field, "duplicate", "export %q is listed twice", e)
		case !(exportSource{e, from}).madeFrom(made):
			add(field, "missing_format", "export %q is made from the %s format, which the request does not ask for", e, alternatives(from))
		}
		seen[e] = true
	}
}

// alternatives names formats as alternatives: "flashcards or quiz".
func alternatives(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, " or ")
}

func exportList() string {
	names := make([]string, 0, len(exportSources))
	for _, e := range Exports() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}
