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
	"time"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

// TextConformance checks a text backend against the content contract. For
// every fixture it generates the outline, then every derived format from
// that outline, and requires each document to pass content.ValidateText
// with the request (and, for derived formats, the outline) and the
// fixture's passages: every citation names a passage of the job, none
// twice in one item, and a document written from sources cites at least
// one passage (one written without cites none); a podcast script must be
// as long as its request asks at Pace. A timeline of sources that hold
// too few dates must instead fail with failure.NotApplicable, and a
// timeline made must be of at least three events. It also requires usage
// to be reported and an unknown format to fail with a permanent
// "unsupported_format" error. Subtests are named fixture/format. newGen
// is called once per fixture.
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

// Pace is the pace the suite's podcast scripts are sized for and checked
// at: four voices of different speeds, and a pause between lines.
var Pace = content.Pace{WordsPerMinute: []float64{150, 165, 140, 172}, PerLine: 400 * time.Millisecond}

// generateFormat asks for one format as the text step does.
func generateFormat(gen ai.TextGenerator, req *content.Request, f content.Format, outline *content.Outline) (ai.TextResult, error) {
	pace := Pace
	return gen.GenerateText(context.Background(), ai.TextRequest{JobID: "conformance", Format: f, Request: req, Outline: outline, Pace: &pace})
}

// checkFormat generates one format and validates it, returning the
// decoded document.
func checkFormat[T any](t *testing.T, gen ai.TextGenerator, req content.Request, f content.Format, outline *content.Outline) *T {
	t.Helper()
	res, err := generateFormat(gen, &req, f, outline)
	require.NoError(t, err, "generate %s", f)
	return checkResult[T](t, res, req, f, outline)
}

// checkResult validates a generated document as the text step does.
func checkResult[T any](t *testing.T, res ai.TextResult, req content.Request, f content.Format, outline *content.Outline) *T {
	t.Helper()
	require.NotEmpty(t, res.JSON, "%s: empty document", f)
	checkCalls(t, res.Calls)
	require.NotEmpty(t, res.PromptVersion, "%s: no prompt version", f)
	passages := content.PassagesOf(content.TextSources(&req))
	pace := Pace
	exp := content.Expect{Request: &req, Passages: passages, Pace: &pace}
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

// checkQuiz asks more of a quiz than its validator: four options with a
// reason each, and answers in more than one position.
func checkQuiz(t *testing.T, q *content.Quiz, outline *content.Outline) {
	t.Helper()
	letters := map[string]bool{}
	for i, x := range q.Questions {
		require.Len(t, x.Options, 4, "question %d", i)
		_, k := x.Correct()
		require.GreaterOrEqual(t, k, 0, "question %d names its correct option", i)
		letters[x.Answer] = true
		require.Contains(t, outline.LearningObjectives, x.Objective, "question %d checks an objective of the outline", i)
	}
	require.Greater(t, len(letters), 1, "the correct answers are not all in one position")
}

// checkTimeline requires a timeline when the fixture's sources hold
// enough dates (or it has none, and the backend may write from what it
// knows), and a not_applicable refusal with a reason, at no cost,
// otherwise.
func checkTimeline(t *testing.T, gen ai.TextGenerator, req content.Request, outline *content.Outline) {
	t.Helper()
	res, err := generateFormat(gen, &req, content.FormatTimeline, outline)
	set := content.TextSources(&req)
	if ok, why := content.TimelineApplicable(set); !ok {
		na, isNA := failure.AsNotApplicable(err)
		require.True(t, isNA, "sources without dates (%s) must make no timeline but end not_applicable; got %v, document %s", why, err, res.JSON)
		require.NotEmpty(t, na.Reason)
		require.Empty(t, res.Calls, "deciding there are no dates costs no model call")
		return
	}
	if na, ok := failure.AsNotApplicable(err); ok && set == nil {
		require.NotEmpty(t, na.Reason, "a backend that cannot write a timeline without sources says why")
		return
	}
	require.NoError(t, err, "generate timeline")
	tl := checkResult[content.Timeline](t, res, req, content.FormatTimeline, outline)
	require.GreaterOrEqual(t, len(tl.Events), content.MinTimelineEvents)
	if set != nil {
		cited := 0
		for _, e := range tl.Events {
			cited += len(e.Citations)
		}
		require.Positive(t, cited, "events taken from sources cite their passages")
	}
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
	case content.FormatQuiz:
		checkQuiz(t, checkFormat[content.Quiz](t, gen, req, f, outline), outline)
	case content.FormatTimeline:
		checkTimeline(t, gen, req, outline)
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
