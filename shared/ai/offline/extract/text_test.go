package extract_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

// generate returns a format's document for a request, with the outline
// generated first for derived formats.
func generate(t testing.TB, req content.Request, f content.Format) ai.TextResult {
	t.Helper()
	return aitest.Document(t, extract.Text{}, req, f)
}

func outlineOf(t testing.TB, req content.Request) *content.Outline {
	t.Helper()
	return aitest.Outline(t, extract.Text{}, req)
}

func decode[T any](t testing.TB, res ai.TextResult) *T {
	t.Helper()
	var doc T
	require.NoError(t, json.Unmarshal(res.JSON, &doc))
	return &doc
}

func TestTextDeterministic(t *testing.T) {
	t.Parallel()
	for _, fx := range aitest.Fixtures(t) {
		for _, f := range content.TextFormats() {
			first := generate(t, fx.Request, f)
			again, err := content.ParseRequest(fx.Raw)
			require.NoError(t, err)
			second := generate(t, again, f)
			require.Equal(t, string(first.JSON), string(second.JSON), "%s/%s differs between runs", fx.Name, f)
		}
	}
}

func TestTextUsage(t *testing.T) {
	t.Parallel()
	fx := aitest.FixtureNamed(t, "photosynthesis")
	res := generate(t, fx.Request, content.FormatOutline)
	require.Len(t, res.Calls, 1)
	c := res.Calls[0]
	assert.Equal(t, "offline", c.Backend)
	assert.Equal(t, "extractive-v1", c.Model)
	assert.Equal(t, "offline-v2", res.PromptVersion)
	in := utf8.RuneCountInString(fx.Request.Topic)
	for _, p := range content.TextSources(&fx.Request).Passages {
		in += utf8.RuneCountInString(p.Text)
	}
	assert.InDelta(t, float64(in)/4, float64(c.PromptTokens), 2)
	assert.InDelta(t, float64(utf8.RuneCount(res.JSON))/4, float64(c.OutputTokens), 2)
	assert.Positive(t, c.Duration)
}

func TestTextErrors(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	tests := []struct {
		name string
		tr   ai.TextRequest
		code string
	}{
		{"unknown format", ai.TextRequest{Format: "sonnet", Request: &req}, "unsupported_format"},
		{"non-text format", ai.TextRequest{Format: content.FormatAudio, Request: &req}, "unsupported_format"},
		{"derived format without outline", ai.TextRequest{Format: content.FormatFAQs, Request: &req}, "missing_outline"},
		{"no request", ai.TextRequest{Format: content.FormatOutline}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := extract.Text{}.GenerateText(context.Background(), tt.tr)
			e, ok := ai.AsError(err)
			require.True(t, ok, "want *ai.Error, got %v", err)
			assert.Equal(t, tt.code, e.Code)
			assert.False(t, e.Retryable)
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := extract.Text{}.GenerateText(ctx, ai.TextRequest{Format: content.FormatOutline, Request: &req})
	require.ErrorIs(t, err, context.Canceled)
}

func TestOutlineFollowsHeadings(t *testing.T) {
	t.Parallel()
	md := outlineOf(t, aitest.FixtureNamed(t, "markdown-notes").Request)
	assert.Equal(t, []string{"Introduction", "Why consensus?", "Leader election", "Log replication", "Safety",
		"Membership changes and compaction", "Further questions"}, md.SectionTitles(),
		"level-2 headings make the sections; the lone level-1 heading is the title")
	assert.Equal(t, "advanced", md.Level)
	assert.Equal(t, "graduate students in computer science", md.Audience)

	plain := outlineOf(t, aitest.FixtureNamed(t, "plain-headings").Request)
	assert.Equal(t, []string{"Introduction", "Evaporation and transpiration", "Condensation and clouds", "Precipitation",
		"Runoff and groundwater"}, plain.SectionTitles(), "short title lines are headings; the one repeating the topic is the title")
}

func TestOutlineWithoutSourceUsesTemplates(t *testing.T) {
	t.Parallel()
	o := outlineOf(t, aitest.FixtureNamed(t, "no-source").Request)
	assert.Equal(t, "The history of the printing press", o.Title)
	assert.Len(t, o.Sections, 7)
	assert.Contains(t, o.Sections[0].Title, "the history of the printing press")
	assert.Equal(t, content.DefaultLevel, o.Level)
	assert.Equal(t, content.DefaultAudience, o.Audience)
}

func TestShortSourceMeetsMinimums(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "short-source").Request
	o := outlineOf(t, req)
	assert.Len(t, o.Sections, 3, "two sentences and one templated section")
	cards := decode[content.Flashcards](t, generate(t, req, content.FormatFlashcards))
	assert.GreaterOrEqual(t, len(cards.Cards), 10)
	guide := decode[content.StudyGuide](t, generate(t, req, content.FormatStudyGuide))
	assert.GreaterOrEqual(t, len(guide.KeyConcepts), 5)
	assert.Equal(t, "Black hole", guide.KeyConcepts[0].Term)
}

func TestDefinitionsBecomeQuestions(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	cards := decode[content.Flashcards](t, generate(t, req, content.FormatFlashcards))
	fronts := map[string]string{}
	for _, c := range cards.Cards {
		fronts[c.Front] = c.Back
	}
	assert.Contains(t, fronts["What is photosynthesis?"], "Photosynthesis is the process")
	assert.Contains(t, fronts["What is the Calvin cycle?"], "also called the light-independent reactions")
	assert.Contains(t, fronts["What is a chloroplast?"], "A chloroplast is an organelle")
	assert.Equal(t, "light-independent reactions", fronts["What is another name for Calvin cycle?"])

	faqs := decode[content.FAQs](t, generate(t, req, content.FormatFAQs))
	var questions []string
	for _, f := range faqs.FAQs {
		questions = append(questions, f.Question)
	}
	assert.Contains(t, questions, "What is chlorophyll?")
}

func TestPodcastTargetsLength(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	s := decode[content.PodcastScript](t, generate(t, req, content.FormatPodcastScript))
	words := s.Words()
	budget := 150 * req.Podcast.TargetMinutes
	assert.InDelta(t, budget, words, 0.2*float64(budget), "about 150 words a minute")
	assert.InDelta(t, float64(words)/150, s.EstimatedMinutes, 0.005, "estimated minutes are words / 150")
	requireNoRepeats(t, s)
}

func TestPodcastFillsItsLengthWhenMaterialRunsOut(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "short-source").Request
	req.Podcast.TargetMinutes = 30
	s := decode[content.PodcastScript](t, generate(t, req, content.FormatPodcastScript))
	assert.Equal(t, 30, s.TargetMinutes)
	lo, hi := req.Podcast.Length().ScriptWindow()
	assert.GreaterOrEqual(t, s.EstimatedMinutes, lo, "two sentences of source are recapped until the podcast is as long as asked")
	assert.LessOrEqual(t, s.EstimatedMinutes, hi)
	recaps := 0
	for _, turn := range s.Turns {
		if strings.Contains(turn.Text, "recap") || strings.Contains(turn.Text, "once more") || strings.Contains(turn.Text, "sum it up") {
			recaps++
		}
	}
	assert.Positive(t, recaps, "what is said again is said as a recap")
}

func TestPodcastCastsSpeakers(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "markdown-notes").Request
	s := decode[content.PodcastScript](t, generate(t, req, content.FormatPodcastScript))
	assert.Equal(t, req.Podcast.Speakers, s.Speakers)
	assert.Equal(t, 3, s.TargetMinutes)
	byRole := map[string][]string{}
	for _, turn := range s.Turns {
		byRole[turn.Speaker] = append(byRole[turn.Speaker], turn.Text)
	}
	require.NotEmpty(t, byRole["Leo"], "the curious student speaks")
	for _, text := range byRole["Leo"] {
		assert.True(t, strings.HasSuffix(text, "?"), "the curious student asks: %q", text)
	}
	for i := 1; i < len(s.Turns); i++ {
		assert.NotEqual(t, s.Turns[i-1].Speaker, s.Turns[i].Speaker, "consecutive turns of one speaker are merged")
	}
	requireNoRepeats(t, s)
}

// requireNoRepeats fails if any sentence is spoken twice.
func requireNoRepeats(t *testing.T, s *content.PodcastScript) {
	t.Helper()
	seen := map[string]bool{}
	for _, turn := range append([]content.Turn{{Text: s.Intro}, {Text: s.Outro}}, s.Turns...) {
		for _, sentence := range strings.SplitAfter(turn.Text, ". ") {
			sentence = strings.TrimSpace(sentence)
			if len(sentence) < 25 {
				continue
			}
			require.False(t, seen[sentence], "sentence spoken twice: %q", sentence)
			seen[sentence] = true
		}
	}
}

func TestDerivedFormatsAcceptForeignOutline(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	foreign := &content.Outline{
		Title:              "How plants make food",
		Overview:           "A short tour of photosynthesis for curious minds.",
		LearningObjectives: []string{"Explain light reactions", "Explain the Calvin cycle", "Name limiting factors"},
		Sections: []content.OutlineSection{
			{Title: "Light", Description: "How chlorophyll captures light.", KeyPoints: []string{"Chlorophyll absorbs red and blue light."}, Minutes: 5},
			{Title: "Sugar", Description: "How the Calvin cycle fixes carbon dioxide.", KeyPoints: []string{"RuBisCO fixes carbon."}, Minutes: 5},
			{Title: "Limits", Description: "What limits the rate of photosynthesis.", KeyPoints: []string{"Light, carbon dioxide and temperature."}, Minutes: 5},
		},
		Audience: "curious minds",
		Level:    "beginner",
	}
	for _, f := range content.TextFormats()[1:] {
		res, err := extract.Text{}.GenerateText(context.Background(), ai.TextRequest{Format: f, Request: &req, Outline: foreign})
		if aitest.NotApplicable(f, err) {
			continue
		}
		require.NoError(t, err, f)
		_, err = content.ValidateText(f, res.JSON, content.Expect{Request: &req, Outline: foreign})
		require.NoError(t, err, f)
	}
}

// TestEdgeSources feeds awkward sources through every format; the
// backend validates its own output, so an error means a broken contract.
func TestEdgeSources(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Dies ist ein ziemlich langer Satz über die Geschichte Europas und seiner Städte. ", 1300)
	sources := map[string]string{
		"only headings":     "# One\n\n## Two\n\n## Three",
		"only a list":       "- apples\n- pears\n- plums\n- cherries",
		"one giant word":    strings.Repeat("x", 5000),
		"no punctuation":    strings.Repeat("word after word without any stop ", 400),
		"emoji and CJK":     "光合作用是植物利用光能的过程。🌱 Plants grow. 叶绿素是绿色的色素。",
		"repeated sentence": strings.Repeat("The same sentence again. ", 50),
		"maximum length":    strings.TrimSpace(string([]rune(long)[:content.MaxSourceLen-1])),
		"questions only":    "Why is the sky blue? What makes clouds white? How do rainbows form?",
		"numbers":           "1. 2. 3. 4.\n\n5,000 + 3.5 = 5,003.5!",
		"long headings":     "# " + strings.Repeat("Title ", 60) + "\n\nText one.\n\n## " + strings.Repeat("Sub ", 70) + "\n\nText two.\n\n## Another\n\nThree.\n\n## Fourth\n\nFour.",
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body, err := json.Marshal(map[string]any{"topic": "Edge case " + name, "source_text": src})
			require.NoError(t, err)
			req, err := content.ParseRequest(body)
			require.NoError(t, err)
			for _, f := range content.TextFormats() {
				generate(t, req, f)
			}
		})
	}
}

func TestOneCharacterAudienceFallsBack(t *testing.T) {
	t.Parallel()
	// ParseRequest refuses such an audience; a request built in code may
	// still carry one, and the backend must not produce an invalid outline.
	req := content.Request{Topic: "Tides", Audience: "x"}
	req.ApplyDefaults()
	o := outlineOf(t, req)
	assert.Equal(t, content.DefaultAudience, o.Audience, "the outline needs at least two characters")
}

func BenchmarkText(b *testing.B) {
	req := aitest.FixtureNamed(b, "photosynthesis").Request
	outline := outlineOf(b, req)
	ctx := context.Background()
	gen := extract.Text{}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range content.TextFormats() {
			tr := ai.TextRequest{Format: f, Request: &req}
			if f != content.FormatOutline {
				tr.Outline = outline
			}
			if _, err := gen.GenerateText(ctx, tr); err != nil {
				b.Fatal(err)
			}
		}
	}
}
