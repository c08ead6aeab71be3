// Package aitest holds the conformance suites the AI backends must pass
// and the request fixtures they run on: TextConformance for text backends,
// ImageConformance for cover backends and SpeechConformance for speech
// backends. Each takes a constructor and runs its checks as subtests; the
// tests of every backend call the suite of its kind (the offline backends
// directly, the Google ones against the fakes of their services), so that
// all of them are held to the same contract.
package aitest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// TextConformance checks a text backend against the content contract. For
// every fixture it generates the outline, then every derived format from
// that outline, and requires each document to pass content.ValidateText
// with the request (and, for derived formats, the outline) and the
// fixture's passages: every citation names a passage of the job, none
// twice in one item, and a document written from sources cites at least
// one passage (one written without cites none). It also
// requires usage to be reported and an unknown format to fail with a
// permanent "unsupported_format" error. Subtests are named
// fixture/format. newGen is called once per fixture.
func TextConformance(t *testing.T, newGen func(t *testing.T) ai.TextGenerator) {
	for _, fx := range Fixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			gen := newGen(t)
			var outline *content.Outline
			t.Run(string(content.FormatOutline), func(t *testing.T) {
				outline = checkFormat[content.Outline](t, gen, fx.Request, content.FormatOutline, nil)
			})
			if outline == nil {
				t.Fatalf("%s: no valid outline, so the derived formats cannot be checked", fx.Name)
			}
			for _, f := range content.TextFormats() {
				if f == content.FormatOutline {
					continue
				}
				t.Run(string(f), func(t *testing.T) {
					checkDerived(t, gen, fx.Request, f, outline)
				})
			}
			t.Run("unsupported_format", func(t *testing.T) {
				checkUnsupported(t, gen, fx.Request)
			})
		})
	}
}

// checkFormat generates one format and validates it, returning the
// decoded document.
func checkFormat[T any](t *testing.T, gen ai.TextGenerator, req content.Request, f content.Format, outline *content.Outline) *T {
	t.Helper()
	res, err := gen.GenerateText(context.Background(), ai.TextRequest{JobID: "conformance", Format: f, Request: &req, Outline: outline})
	require.NoError(t, err, "generate %s", f)
	require.NotEmpty(t, res.JSON, "%s: empty document", f)
	checkCalls(t, res.Calls)
	require.NotEmpty(t, res.PromptVersion, "%s: no prompt version", f)
	passages := content.PassagesOf(content.TextSources(&req))
	exp := content.Expect{Request: &req, Passages: passages}
	if f != content.FormatOutline {
		exp.Outline = outline
	}
	doc, err := content.Decode[T](f, res.JSON, exp)
	require.NoError(t, err, "%s breaks the content contract; document:\n%s", f, res.JSON)
	cited := content.Citations(doc)
	for _, id := range cited {
		require.True(t, passages[id], "%s cites %s, which is not a passage of the job", f, id)
	}
	if len(passages) == 0 {
		require.Empty(t, cited, "%s cites passages of a job without sources", f)
	} else if len(content.CitedItems(doc)) > 0 {
		require.NotEmpty(t, cited, "%s is written from %d passages and cites none; document:\n%s", f, len(passages), res.JSON)
	}
	return doc
}

// checkDerived validates a derived format with the document type of its
// format.
func checkDerived(t *testing.T, gen ai.TextGenerator, req content.Request, f content.Format, outline *content.Outline) {
	t.Helper()
	switch f {
	case content.FormatPodcastScript:
		s := checkFormat[content.PodcastScript](t, gen, req, f, outline)
		require.Equal(t, req.Podcast.Speakers, s.Speakers, "the script must use the requested speakers in order")
	case content.FormatStudyGuide:
		checkFormat[content.StudyGuide](t, gen, req, f, outline)
	case content.FormatOnePager:
		checkFormat[content.OnePager](t, gen, req, f, outline)
	case content.FormatDetailedReading:
		checkFormat[content.DetailedReading](t, gen, req, f, outline)
	case content.FormatFAQs:
		checkFormat[content.FAQs](t, gen, req, f, outline)
	case content.FormatFlashcards:
		checkFormat[content.Flashcards](t, gen, req, f, outline)
	case content.FormatReadingGuide:
		checkFormat[content.ReadingGuide](t, gen, req, f, outline)
	default:
		require.FailNow(t, "unknown text format", "the suite has no check for %s", f)
	}
}

func checkUnsupported(t *testing.T, gen ai.TextGenerator, req content.Request) {
	t.Helper()
	_, err := gen.GenerateText(context.Background(), ai.TextRequest{JobID: "conformance", Format: content.FormatImage, Request: &req})
	require.Error(t, err, "generating a non-text format must fail")
	requirePermanent(t, err, "unsupported_format")
}
