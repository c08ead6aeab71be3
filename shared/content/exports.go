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
	ExportAnki     Export = "anki"     // flashcards.apkg
	ExportCSV      Export = "csv"      // flashcards.csv
	ExportChapters Export = "chapters" // chapters.json, and chapter frames in podcast.mp3
)

type exportSource struct {
	export Export
	from   Format
}

// exportSources says which format an export is made from; the bundles
// take every text format there is.
var exportSources = []exportSource{
	{ExportMarkdown, ""}, {ExportHTML, ""}, {ExportPDF, ""}, {ExportDOCX, ""}, {ExportEPUB, ""},
	{ExportAnki, FormatFlashcards}, {ExportCSV, FormatFlashcards}, {ExportChapters, FormatAudio},
}

// Exports returns every export in a stable order.
func Exports() []Export {
	out := make([]Export, len(exportSources))
	for i, s := range exportSources {
		out[i] = s.export
	}
	return out
}

// Source is the format an export needs ("" for the bundles, which need
// only some text format), and whether the export is known.
func (e Export) Source() (Format, bool) {
	i := slices.IndexFunc(exportSources, func(s exportSource) bool { return s.export == e })
	if i < 0 {
		return "", false
	}
	return exportSources[i].from, true
}

// DefaultExports is what a request without exports gets: every export
// the job's formats (their closure) can make.
func DefaultExports(formats []Format) []Export {
	var out []Export
	for _, s := range exportSources {
		if s.from == "" || slices.Contains(formats, s.from) {
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
		from, ok := e.Source()
		switch {
		case !ok:
			add(field, "unknown_export", "unknown export %q; exports are %s", e, exportList())
		case seen[e]:
			add(field, "duplicate", "export %q is listed twice", e)
		case from != "" && !slices.Contains(made, from):
			add(field, "missing_format", "export %q is made from the %s format, which the request does not ask for", e, from)
		}
		seen[e] = true
	}
}

func exportList() string {
	names := make([]string, 0, len(exportSources))
	for _, e := range Exports() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}
