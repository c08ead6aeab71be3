package text_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/quality"
)

const revolution = `{"topic":"The Tennis Court Oath","level":"intermediate","sources":[
{"title":"The oath","text":"In June 1789 the deputies of the Third Estate declared themselves the National Assembly. When they found their meeting hall locked, they gathered in a nearby indoor tennis court.\n\nThere they swore not to separate until France had a written constitution. The pledge became known as the Tennis Court Oath and marked the start of the French Revolution."},
{"title":"After the oath","text":"King Louis XVI at first ordered the Assembly to disperse. Within weeks he gave way and asked the clergy and the nobles to join the deputies.\n\nOn 14 July 1789 crowds in Paris stormed the Bastille, a royal fortress and prison. The day is still celebrated as the national holiday of France."}]}`

// fabricated is a claim no passage supports, given the citations of the
// takeaway it replaces.
const fabricated = "Napoleon Bonaparte was crowned emperor in the tennis court during a snowstorm in 1804."

// injecting writes the offline one-pager with its first takeaway
// replaced by a fabricated claim, for the first `times` answers; after
// that, the offline document as it is. It keeps the problems each repair
// sent back.
type injecting struct {
	times    int
	calls    int
	problems [][]string
}

func (g *injecting) GenerateText(ctx context.Context, req ai.TextRequest) (ai.TextResult, error) {
	g.calls++
	if req.Repair != nil {
		g.problems = append(g.problems, req.Repair.Problems)
	}
	res, err := extract.Text{}.GenerateText(ctx, req)
	if err != nil || g.calls > g.times {
		return res, err
	}
	var doc content.OnePager
	if err := json.Unmarshal(res.JSON, &doc); err != nil {
		return res, err
	}
	doc.KeyTakeaways[0].Text = fabricated
	res.JSON, err = json.Marshal(doc)
	return res, err
}

func draft(t *testing.T) text.Draft {
	t.Helper()
	req, err := content.ParseRequest([]byte(revolution))
	require.NoError(t, err)
	set := content.TextSources(&req)
	res, err := extract.Text{}.GenerateText(t.Context(), ai.TextRequest{Format: content.FormatOutline, Request: &req, Sources: set})
	require.NoError(t, err)
	var outline content.Outline
	require.NoError(t, json.Unmarshal(res.JSON, &outline))
	return text.Draft{JobID: "job", Version: 1, Attempt: 1, Format: content.FormatOnePager, Request: &req, Outline: &outline, Sources: set}
}

func takeaways(t *testing.T, w text.Written) []content.Takeaway {
	t.Helper()
	var doc content.OnePager
	require.NoError(t, json.Unmarshal(w.JSON, &doc))
	return doc.KeyTakeaways
}

func TestAnUnsupportedClaimIsSentBackAndRepaired(t *testing.T) {
	t.Parallel()
	gen := &injecting{times: 1}
	w := text.Writer{Gen: gen, Checker: quality.Lexical{}, MaxRepairs: 2}
	got, err := w.Write(t.Context(), draft(t))
	require.NoError(t, err)

	require.Equal(t, 2, got.Rounds, "the fabricated claim costs one repair")
	require.Len(t, gen.problems, 1)
	sent := strings.Join(gen.problems[0], "\n")
	assert.Contains(t, sent, "/key_takeaways/0: "+content.FindingUnsupported)
	assert.Contains(t, sent, "Napoleon Bonaparte")

	require.NotNil(t, got.Quality.Grounding)
	assert.Equal(t, quality.LexicalChecker, got.Quality.Grounding.Checker)
	assert.Zero(t, got.Quality.Grounding.Unsupported)
	assert.Positive(t, got.Quality.Grounding.Supported)
	assert.Empty(t, got.Warnings)
	for i, k := range takeaways(t, got) {
		assert.NotEqual(t, fabricated, k.Text)
		assert.NotEmpty(t, k.Citations, "takeaway %d", i)
		assert.Equal(t, content.Supported, k.Grounding, "takeaway %d: %q", i, k.Text)
	}
}

func TestAClaimStillUnsupportedIsFlagged(t *testing.T) {
	t.Parallel()
	gen := &injecting{times: 99}
	w := text.Writer{Gen: gen, Checker: quality.Lexical{}, MaxRepairs: 1}
	got, err := w.Write(t.Context(), draft(t))
	require.NoError(t, err, "a document with an unsupported claim is delivered, flagged")

	assert.Equal(t, 2, gen.calls, "one answer and one repair")
	require.NotNil(t, got.Quality.Grounding)
	assert.Equal(t, 1, got.Quality.Grounding.Unsupported)
	assert.Less(t, got.Quality.Grounding.SupportRate, 1.0)
	codes := warningCodes(got)
	assert.Contains(t, codes, pipeline.WarnUnsupportedClaims)
	ks := takeaways(t, got)
	assert.Equal(t, fabricated, ks[0].Text)
	assert.Equal(t, content.Unsupported, ks[0].Grounding, "the claim is never served as if grounded")
	for _, k := range ks[1:] {
		assert.Equal(t, content.Supported, k.Grounding)
	}
}

// TestModelAnswersAreCheckedAgainstTheirCitations runs the writer with
// the Vertex backend against its fake, whose answers are words drawn at
// random with citations of the job's passages (the schema pins their
// ids): they are valid, the check finds their claims unsupported, every
// repair is asked for, and the document is delivered flagged.
func TestModelAnswersAreCheckedAgainstTheirCitations(t *testing.T) {
	t.Parallel()
	c, srv := vertexClient(t, vertextest.Options{Seed: 3})
	w := text.Writer{Gen: c, Checker: quality.Lexical{}, MaxRepairs: 1}
	d := draft(t)
	got, err := w.Write(t.Context(), d)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count("generate"), "the answer and one repair")
	assert.Len(t, got.Calls, 2)
	passages := content.PassagesOf(d.Sources)
	for _, id := range content.Citations(got.Doc) {
		assert.True(t, passages[id], "%s is a passage of the job", id)
	}
	require.NotNil(t, got.Quality.Grounding)
	assert.Positive(t, got.Quality.Grounding.Unsupported)
	codes := warningCodes(got)
	assert.Contains(t, codes, pipeline.WarnUnsupportedClaims)
	bodies := srv.Bodies("")
	require.Len(t, bodies, 2)
	assert.Contains(t, bodies[1].Text(), content.FindingUnsupported, "the repair carries the check's findings")
}

func TestWithoutSourcesTheDocumentIsMarkedUngrounded(t *testing.T) {
	t.Parallel()
	d := draft(t)
	req, err := content.ParseRequest([]byte(`{"topic":"The Tennis Court Oath"}`))
	require.NoError(t, err)
	d.Request, d.Sources = &req, nil
	got, err := text.Writer{Gen: extract.Text{}, Checker: quality.Lexical{}, MaxRepairs: 1}.Write(t.Context(), d)
	require.NoError(t, err)
	assert.Nil(t, got.Quality.Grounding, "nothing to check")
	assert.Nil(t, got.Quality.Citations)
	assert.Empty(t, content.Citations(got.Doc))
	require.NotEmpty(t, got.Warnings)
	assert.Equal(t, pipeline.WarnUngrounded, got.Warnings[len(got.Warnings)-1].Code)

	withSources, err := text.Writer{Gen: extract.Text{}, Checker: quality.Lexical{}, MaxRepairs: 1}.Write(t.Context(), draft(t))
	require.NoError(t, err)
	for _, w := range withSources.Warnings {
		assert.NotEqual(t, pipeline.WarnUngrounded, w.Code)
	}
}

// TestOnVertexTheModelChecksTheClaims runs the writer with the Vertex
// backend as its own grounding check (CheckerFor): each answer is judged
// by a check call, whose cost is the step's like any call, and what the
// check found unsupported is flagged.
func TestOnVertexTheModelChecksTheClaims(t *testing.T) {
	t.Parallel()
	c, srv := vertexClient(t, vertextest.Options{Seed: 3})
	checker := text.CheckerFor(c)
	require.Same(t, c, checker, "the Vertex backend judges its own documents")
	_, offline := text.CheckerFor(extract.Text{}).(quality.Lexical)
	assert.True(t, offline, "the offline backend is judged by the support score")

	got, err := text.Writer{Gen: c, Checker: checker, MaxRepairs: 0}.Write(t.Context(), draft(t))
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count("generate"), "the document and its check")
	require.Len(t, got.Calls, 2, "both are paid for")
	for _, call := range got.Calls {
		assert.Positive(t, call.CostUSD)
	}
	g := got.Quality.Grounding
	require.NotNil(t, g)
	assert.True(t, strings.HasPrefix(g.Checker, vertex.CheckerName+":"), g.Checker)
	assert.Positive(t, g.Checked)
	assert.Equal(t, g.Checked, g.Supported+g.Partial+g.Unsupported)
	flagged := 0
	for _, it := range content.CitedItems(got.Doc) {
		if it.Cited.Grounding == content.Unsupported {
			flagged++
		}
	}
	assert.Equal(t, g.Unsupported > 0, flagged > 0, "an item with a claim the check found unsupported is flagged")
	codes := warningCodes(got)
	assert.Equal(t, g.Unsupported > 0, slices.Contains(codes, pipeline.WarnUnsupportedClaims))
}

// TestTheFakeAnswersAPromptAlikeInEveryRun: the Vertex fake draws its
// answer from its seed and the prompt without the prompt's random fence
// token, so a test of what the checks make of an answer sees the same
// answer in every run (an answer that happened to cite nothing once
// left nothing to check).
func TestTheFakeAnswersAPromptAlikeInEveryRun(t *testing.T) {
	t.Parallel()
	c, srv := vertexClient(t, vertextest.Options{Seed: 3})
	d := draft(t)
	var answers []string
	for range 3 {
		res, err := c.GenerateText(t.Context(), ai.TextRequest{JobID: d.JobID, Version: 1, Attempt: 1, Format: d.Format, Request: d.Request, Sources: d.Sources})
		require.NoError(t, err)
		answers = append(answers, string(res.JSON))
	}
	bodies := srv.Bodies("")
	require.Len(t, bodies, 3)
	assert.NotEqual(t, bodies[0].Text(), bodies[1].Text(), "each prompt is fenced with a token of its own")
	assert.Equal(t, answers[0], answers[1])
	assert.Equal(t, answers[0], answers[2])
	var doc content.OnePager
	require.NoError(t, json.Unmarshal([]byte(answers[0]), &doc))
	assert.NotEmpty(t, content.Citations(&doc), "the answer the checks are tested on cites passages")
}

// TestACheckThatJudgesNothingLeavesTheDocumentUnchecked: a model that
// answers the grounding check with something else (here every answer is
// the same valid one-pager, as a compromised model's would be) is asked
// once more, then the valid document is delivered with its claims
// unchecked and a grounding_unchecked warning, not failed and not marked
// supported.
func TestACheckThatJudgesNothingLeavesTheDocumentUnchecked(t *testing.T) {
	t.Parallel()
	c, srv := vertexClient(t, vertextest.Options{Seed: 3})
	d := draft(t)
	offline, err := extract.Text{}.GenerateText(t.Context(), ai.TextRequest{Format: d.Format, Request: d.Request, Outline: d.Outline, Sources: d.Sources})
	require.NoError(t, err)
	srv.SetCompromised(string(offline.JSON))

	got, err := text.Writer{Gen: c, Checker: text.CheckerFor(c), MaxRepairs: 1}.Write(t.Context(), d)
	require.NoError(t, err, "a valid document is not lost to a check that judged nothing")
	assert.Equal(t, 3, srv.Count("generate"), "the document and two checks")
	assert.Len(t, got.Calls, 3, "every call is the step's")
	require.NotEmpty(t, content.Citations(got.Doc), "the document cites passages, so its claims were sent to the check")
	assert.Nil(t, got.Quality.Grounding, "no verdicts, so no support rate")
	assert.Empty(t, got.Verdicts)
	for _, k := range takeaways(t, got) {
		assert.Empty(t, k.Grounding, "no claim is marked supported: %s", k.Text)
	}
	codes := warningCodes(got)
	assert.Contains(t, codes, pipeline.WarnUnchecked)
	assert.NotContains(t, codes, pipeline.WarnUnsupportedClaims)
}

// warningCodes lists the codes of a written document's warnings.
func warningCodes(w text.Written) []string {
	codes := []string{}
	for _, warn := range w.Warnings {
		codes = append(codes, warn.Code)
	}
	return codes
}
