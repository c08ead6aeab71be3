package quality_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/quality"
)

const revolution = "On 20 June 1789 the deputies of the Third Estate met in a tennis court at Versailles. " +
	"They swore not to separate until France had a constitution. This pledge is known as the Tennis Court Oath."

func TestSupport(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		claim string
		want  string
	}{
		"copied from the passage":    {"The deputies of the Third Estate met in a tennis court at Versailles.", content.Supported},
		"a paraphrase of most of it": {"Deputies of the Third Estate swore to stay together until France had a constitution.", content.Partial},
		"a wrong date":               {"On 20 June 1792 the deputies of the Third Estate met in a tennis court.", content.Partial},
		"about something else":       {"Photosynthesis turns light into chemical energy in the leaves of plants.", content.Unsupported},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			score, why := quality.Support(tt.claim, []string{revolution})
			assert.Equal(t, tt.want, quality.VerdictOf(score), "score %.2f: %s", score, why)
		})
	}
}

func TestSupportNeedsThePassagesCited(t *testing.T) {
	t.Parallel()
	set := &content.SourceSet{Passages: []content.Passage{{ID: "p1", Text: revolution}, {ID: "p2", Text: "Plants make sugar from light."}}}
	claim := "The deputies of the Third Estate met in a tennis court at Versailles."
	vs := quality.CheckLexically([]content.Claim{
		{ID: "c1", Text: claim, Citations: []string{"p1"}},
		{ID: "c2", Text: claim, Citations: []string{"p2"}},
	}, set)
	require.Len(t, vs, 2)
	assert.Equal(t, content.Supported, vs[0].Verdict)
	assert.Equal(t, content.Unsupported, vs[1].Verdict, "the same claim is not supported by a passage that does not hold it")
}

func cards(fronts, backs []string) *content.Flashcards {
	d := &content.Flashcards{Title: "Revolution"}
	for i := range fronts {
		d.Cards = append(d.Cards, content.Flashcard{Front: fronts[i], Back: backs[i], Difficulty: "easy"})
	}
	return d
}

func codesAt(q content.Quality) map[string][]string {
	out := map[string][]string{}
	for _, f := range q.Findings {
		out[f.Path] = append(out[f.Path], f.Code)
	}
	return out
}

func TestStructureFindsWhatALearnerTripsOver(t *testing.T) {
	t.Parallel()
	doc := cards(
		[]string{"What did the deputies swear at Versailles?", "Name a key point of “Demand”.", "Name a key point of “Supply”.", "Name a key point of “Prices”.", "Tennis court oath?"},
		[]string{"This pledge is known as the Tennis Court Oath.", "Demand falls when prices rise.", "Supply rises when prices rise.", "Prices meet where supply equals demand.", "The Tennis Court Oath."},
	)
	q := quality.Score(quality.Input{Format: content.FormatFlashcards, Doc: doc, Threshold: quality.DefaultThreshold})
	at := codesAt(q)
	assert.Contains(t, at["/cards/0/back"], content.FindingDangling)
	for _, i := range []string{"1", "2", "3"} {
		assert.Contains(t, at["/cards/"+i+"/front"], content.FindingTemplate)
	}
	assert.Contains(t, at["/cards/4/front"], content.FindingNotAQuestion)
	assert.Contains(t, at["/cards/4/back"], content.FindingRestated)
	assert.Equal(t, 5, q.Structure.Items)
	assert.Equal(t, 5, q.Structure.Flagged)
	assert.InDelta(t, 0, q.Structure.Score, 1e-9)

	good := cards(
		[]string{"What did the deputies of the Third Estate swear in June 1789?", "What happens to demand when prices rise?", "Where do prices settle in a market?"},
		[]string{"The deputies swore not to separate until France had a constitution.", "Demand falls when prices rise.", "Prices settle where supply equals demand."},
	)
	gq := quality.Score(quality.Input{Format: content.FormatFlashcards, Doc: good, Threshold: quality.DefaultThreshold})
	assert.Empty(t, gq.Findings, "well-formed cards have no form findings")
	assert.InDelta(t, 1, gq.Structure.Score, 1e-9)
	assert.Greater(t, gq.Score, q.Score)
}

func TestKeywordTitles(t *testing.T) {
	t.Parallel()
	set := &content.SourceSet{Passages: []content.Passage{{ID: "p1", Text: "Supply and demand set prices. Economists study supply and demand in every market."}}}
	doc := &content.Outline{Title: "Markets", Sections: []content.OutlineSection{
		{Title: "French and political", Description: "The deputies met."},
		{Title: "Supply and demand", Description: "How prices are set."},
		{Title: "How prices are set", Description: "Where supply meets demand."},
	}}
	q := quality.Score(quality.Input{Format: content.FormatOutline, Doc: doc, Sources: set})
	at := codesAt(q)
	assert.Contains(t, at["/sections/0/title"], content.FindingKeywordTitle)
	assert.NotContains(t, at["/sections/1/title"], content.FindingKeywordTitle, "a phrase the sources use is a real title")
	assert.NotContains(t, at["/sections/2/title"], content.FindingKeywordTitle)
}

func TestRepetitionWithinAndAcross(t *testing.T) {
	t.Parallel()
	same := "The deputies swore not to separate until France had a constitution."
	doc := &content.FAQs{Title: "Revolution", FAQs: []content.FAQ{
		{Question: "What did the deputies swear?", Answer: same, Category: "events"},
		{Question: "What was the oath?", Answer: same, Category: "events"},
		{Question: "Where did they meet?", Answer: "The deputies met in a tennis court at Versailles in June 1789.", Category: "events"},
	}}
	other := &content.OnePager{Title: "Revolution", KeyTakeaways: []content.Takeaway{{Text: "The deputies met in a tennis court at Versailles in June 1789."}}}
	q := quality.Score(quality.Input{Format: content.FormatFAQs, Doc: doc, Others: []any{other}})
	assert.InDelta(t, 1.0/3, q.Repetition.Within, 0.001)
	assert.InDelta(t, 1.0/3, q.Repetition.Across, 0.001)
	assert.Contains(t, codesAt(q)["/faqs/1/answer"], content.FindingRepeated)
	alone := quality.Score(quality.Input{Format: content.FormatFAQs, Doc: doc})
	assert.Zero(t, alone.Repetition.Across)
	assert.Greater(t, alone.Repetition.Score, q.Repetition.Score)
}

func TestGroundingCountsVerdictsAndUncitedClaims(t *testing.T) {
	t.Parallel()
	set := &content.SourceSet{Passages: []content.Passage{{ID: "p1", Text: revolution}}}
	doc := &content.OnePager{Title: "Revolution", KeyTakeaways: []content.Takeaway{
		{Text: "The deputies of the Third Estate met in a tennis court at Versailles.", Cited: content.Cited{Citations: []string{"p1"}}},
		{Text: "The deputies later crowned Napoleon emperor of the French in Paris.", Cited: content.Cited{Citations: []string{"p1"}}},
		{Text: "The storming of the Bastille followed a few weeks later in Paris.", Cited: content.Cited{}},
	}}
	claims := quality.Claims(doc, "en")
	require.Len(t, claims, 3)
	var cited []content.Claim
	for _, c := range claims {
		if len(c.Citations) > 0 {
			cited = append(cited, c)
		}
	}
	verdicts := quality.CheckLexically(cited, set)
	q := quality.Score(quality.Input{Format: content.FormatOnePager, Doc: doc, Sources: set, Claims: claims, Verdicts: verdicts, Checker: quality.LexicalChecker})
	require.NotNil(t, q.Citations)
	require.NotNil(t, q.Grounding)
	assert.Equal(t, 3, q.Citations.Claims)
	assert.Equal(t, 2, q.Citations.Cited)
	assert.Equal(t, 2, q.Grounding.Checked)
	assert.Equal(t, 1, q.Grounding.Supported)
	assert.Equal(t, 1, q.Grounding.Unsupported)
	assert.InDelta(t, 0.5, q.Grounding.SupportRate, 1e-9)
	at := codesAt(q)
	assert.Contains(t, at["/key_takeaways/1"], content.FindingUnsupported)
	assert.Contains(t, at["/key_takeaways/2"], content.FindingUncited)
	assert.Equal(t, content.FindingUnsupported, q.Findings[0].Code, "grounding findings come first")
}

func TestClaimsSkipQuestionsAndGreetings(t *testing.T) {
	t.Parallel()
	doc := &content.PodcastScript{Turns: []content.Turn{
		{Speaker: "Ana", Text: "Welcome back to the show, everyone. Why did the deputies meet in a tennis court?"},
		{Speaker: "Ben", Text: "Great question, and an easy one. The king had locked their usual hall at Versailles. So true!"},
	}}
	var texts []string
	for _, c := range quality.Claims(doc, "en") {
		texts = append(texts, c.Text)
	}
	assert.Equal(t, []string{"The king had locked their usual hall at Versailles."}, texts)
}

func TestReadabilityAgainstTheLevel(t *testing.T) {
	t.Parallel()
	simple := &content.OnePager{Title: "Plants", KeyTakeaways: []content.Takeaway{{Text: "Plants need light. They make food. The sun helps them grow."}}}
	dense := &content.OnePager{Title: "Plants", KeyTakeaways: []content.Takeaway{{Text: "Photosynthetic organisms convert electromagnetic radiation into chemical potential energy through sophisticated biochemical pathways involving chlorophyll-mediated excitation and subsequent electron transport phosphorylation."}}}
	beginner := &content.Request{Level: "beginner", Language: "en"}
	s := quality.Score(quality.Input{Format: content.FormatOnePager, Doc: simple, Request: beginner})
	d := quality.Score(quality.Input{Format: content.FormatOnePager, Doc: dense, Request: beginner})
	assert.Less(t, s.Readability.Grade, d.Readability.Grade)
	assert.Greater(t, s.Readability.Score, d.Readability.Score)
	assert.Contains(t, strings.Join(codesAt(d)[""], ","), content.FindingReadability)
}

func TestParseThresholds(t *testing.T) {
	t.Parallel()
	th, err := quality.ParseThresholds("0.5,flashcards=0.7")
	require.NoError(t, err)
	assert.InDelta(t, 0.7, th.For(content.FormatFlashcards), 1e-9)
	assert.InDelta(t, 0.5, th.For(content.FormatFAQs), 1e-9)
	assert.InDelta(t, quality.DefaultThreshold, quality.Thresholds{}.For(content.FormatFAQs), 1e-9)
	for _, bad := range []string{"1.5", "flashcards=x", "podcast_audio=0.5", "nope=0.3"} {
		_, err := quality.ParseThresholds(bad)
		assert.Error(t, err, bad)
	}
}
