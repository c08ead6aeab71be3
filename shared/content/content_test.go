package content_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func TestEveryTextFormatHasASchema(t *testing.T) {
	for _, f := range content.TextFormats() {
		s := content.MustLookup(f).Schema()
		require.NotNil(t, s, f)
		assert.Equal(t, "object", s.Type)
		assert.NotEmpty(t, s.Required, f)
		assert.Equal(t, s.PropertyOrdering, s.Required, "every property of %s is required", f)
		b, err := json.Marshal(s)
		require.NoError(t, err)
		var back map[string]any
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, false, back["additionalProperties"], f)
	}
	for _, f := range []content.Format{content.FormatImage, content.FormatAudio, content.FormatPackage} {
		assert.Nil(t, content.MustLookup(f).Schema(), f)
	}
}

func TestSchemaCarriesTheTagConstraints(t *testing.T) {
	s := content.MustLookup(content.FormatFAQs).Schema()
	faqs := s.Properties["faqs"]
	assert.Equal(t, "array", faqs.Type)
	assert.Equal(t, 5, *faqs.MinItems)
	assert.Equal(t, 15, *faqs.MaxItems)
	q := faqs.Items.Properties["question"]
	assert.Equal(t, `[?？؟]$`, q.Pattern)
	assert.Equal(t, 5, *q.MinLength)
	assert.Contains(t, q.Description, "question mark")

	fc := content.MustLookup(content.FormatFlashcards).Schema().Properties["cards"].Items
	assert.Equal(t, []string{"easy", "medium", "hard"}, fc.Properties["difficulty"].Enum)
	o := content.MustLookup(content.FormatOutline).Schema()
	minutes := o.Properties["sections"].Items.Properties["minutes"]
	assert.Equal(t, "integer", minutes.Type)
	assert.Equal(t, 1.0, *minutes.Minimum)
}

func outline() content.Outline {
	return content.Outline{
		Title:              "Tides and the Moon",
		Overview:           "How the Moon and the Sun raise the tides of the oceans.",
		LearningObjectives: []string{"Explain tidal forces", "Predict spring tides", "Read a tide table"},
		Sections: []content.OutlineSection{
			{Title: "Gravity", Description: "Why gravity varies across the Earth.", KeyPoints: []string{"Inverse square"}, Minutes: 5},
			{Title: "Spring and neap", Description: "How the Sun adds or cancels.", KeyPoints: []string{"Alignment"}, Minutes: 5},
			{Title: "Tide tables", Description: "Reading and using predictions.", KeyPoints: []string{"Datums"}, Minutes: 5},
		},
		Audience: "students",
		Level:    "beginner",
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func violations(t *testing.T, err error) []string {
	t.Helper()
	var vs content.Violations
	require.True(t, errors.As(err, &vs), "want violations, got %v", err)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

func TestValidateOutline(t *testing.T) {
	o := outline()
	req := &content.Request{Level: "beginner"}
	doc, err := content.ValidateText(content.FormatOutline, mustJSON(t, o), content.Expect{Request: req})
	require.NoError(t, err)
	assert.Equal(t, &o, doc)

	bad := outline()
	bad.Sections = bad.Sections[:2]
	bad.Sections[1].Title = "gravity"
	bad.Level = "advanced"
	_, err = content.ValidateText(content.FormatOutline, mustJSON(t, bad), content.Expect{Request: req})
	assert.Equal(t, []string{"/sections: must have at least 3 items, has 2"}, violations(t, err), "schema first")

	bad.Sections = append(bad.Sections, outline().Sections[2])
	_, err = content.ValidateText(content.FormatOutline, mustJSON(t, bad), content.Expect{Request: req})
	assert.Equal(t, []string{"/sections/1: repeats an earlier section title", `/level: must be the requested level "beginner"`}, violations(t, err))
}

func TestValidateRejectsWhatTheSchemaForbids(t *testing.T) {
	cases := map[string]struct {
		doc  string
		want string
	}{
		"not JSON":        {`{"title":`, "not valid JSON"},
		"trailing data":   {`{} {}`, "data after the document"},
		"missing":         {`{"title": "Tides and the Moon"}`, `missing required property "faqs"`},
		"unknown":         {`{"title": "Tides and the Moon", "faqs": [], "html": "<script>"}`, `unknown property "html"`},
		"wrong type":      {`{"title": 5, "faqs": []}`, "/title: must be a string"},
		"not a question":  {`{"title": "Tides and the Moon", "faqs": [{"question": "Tides are high", "answer": "Twice a day, mostly.", "category": "basics"}]}`, "/faqs/0/question: must match"},
		"too few":         {`{"title": "Tides and the Moon", "faqs": []}`, "/faqs: must have at least 5 items"},
		"blank is short":  {`{"title": "   ", "faqs": []}`, "/title: must be at least 3 characters"},
		"integer wanted":  {`{"title": "Tides and the Moon", "faqs": [{"question": "Why?", "answer": 1.5, "category": "x"}]}`, "/faqs/0/answer: must be a string"},
		"not an object":   {`[]`, "must be an object"},
		"nested wrong":    {`{"title": "Tides and the Moon", "faqs": [7]}`, "/faqs/0: must be an object"},
		"number not text": {`{"title": "Tides and the Moon", "faqs": "five"}`, "/faqs: must be an array"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := content.ValidateText(content.FormatFAQs, []byte(c.doc), content.Expect{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	s := content.MustLookup(content.FormatOutline).Schema()
	assert.Contains(t, s.Validate([]byte(`{"sections":[{"minutes": 2.5}]}`)).Error(), "/sections/0/minutes: must be an integer")
}

func TestDerivedFormatsAgreeWithTheOutline(t *testing.T) {
	o := outline()
	exp := content.Expect{Outline: &o}
	guide := content.ReadingGuide{Title: "Tides and the moon", Questions: []content.ReadingQuestion{
		{Question: "What is gravity?", Section: "Gravity"},
		{Question: "What is a neap tide?", Section: "spring and  NEAP"},
		{Question: "How is a tide table read?", Section: "Tide tables"},
		{Question: "Who wrote the first table?", Section: "History"},
		{Question: "What is a datum?", Section: "Tide tables"},
	}}
	_, err := content.ValidateText(content.FormatReadingGuide, mustJSON(t, guide), exp)
	assert.Equal(t, []string{`/questions/3/section: "History" is not a section of the outline`}, violations(t, err))

	guide.Title = "Another title"
	guide.Questions[3].Section = "Gravity"
	_, err = content.ValidateText(content.FormatReadingGuide, mustJSON(t, guide), exp)
	assert.Equal(t, []string{`/title: must be the outline's title "Tides and the Moon"`}, violations(t, err))
}

func TestPodcastScriptRules(t *testing.T) {
	o := outline()
	req := &content.Request{Podcast: &content.PodcastOptions{
		Speakers:      []content.Speaker{{Name: "Ana", Role: "host"}, {Name: "Ben", Role: "guest"}},
		TargetMinutes: 3,
	}}
	script := content.PodcastScript{
		Title:    o.Title,
		Speakers: req.Podcast.Speakers,
		Intro:    "Welcome to the show about tides.",
		Turns: []content.Turn{
			{Speaker: "Ana", Text: "What moves the sea?"}, {Speaker: "ben", Text: "The Moon, mostly."},
			{Speaker: "Ana", Text: "And the Sun?"}, {Speaker: "Ben", Text: "It adds or cancels."},
		},
		Outro: "Thanks for listening, see you soon.", TargetMinutes: 3, EstimatedMinutes: 0.2,
	}
	exp := content.Expect{Request: req, Outline: &o}
	doc, err := content.ValidateText(content.FormatPodcastScript, mustJSON(t, script), exp)
	require.NoError(t, err)
	p := doc.(*content.PodcastScript)
	assert.Equal(t, 1, p.SpeakerIndex("BEN"))
	assert.Equal(t, 26, p.Words())

	script.Turns[3].Speaker = "Cy"
	script.TargetMinutes = 4
	_, err = content.ValidateText(content.FormatPodcastScript, mustJSON(t, script), exp)
	assert.ElementsMatch(t, []string{"/target_minutes: must be 3", `/turns/3/speaker: "Cy" is not a declared speaker`}, violations(t, err))

	script.Turns[1].Speaker, script.Turns[3].Speaker = "Ana", "Ana"
	script.TargetMinutes = 3
	_, err = content.ValidateText(content.FormatPodcastScript, mustJSON(t, script), exp)
	assert.Equal(t, []string{`/speakers/1: "Ben" never speaks`}, violations(t, err))
}

func TestParseRequestDefaults(t *testing.T) {
	r, err := content.ParseRequest([]byte(`{"topic": "  Photosynthesis\u202e  "}`))
	require.NoError(t, err)
	assert.Equal(t, "Photosynthesis", r.Topic, "trimmed, bidi override dropped")
	assert.Equal(t, content.Closure(content.DefaultFormats()), r.Formats)
	assert.Len(t, r.Formats, 13, "all thirteen steps")
	assert.Contains(t, r.Formats, content.FormatQuiz, "the quiz is a default format")
	assert.Contains(t, r.Formats, content.FormatTimeline, "so is the timeline (not_applicable when the sources hold no dates)")
	assert.Equal(t, "en-US", r.Language)
	assert.Equal(t, "intermediate", r.Level)
	assert.Equal(t, content.DefaultSpeakers, r.Podcast.Speakers)
	assert.Equal(t, 5, r.Podcast.TargetMinutes)
	assert.Equal(t, content.StyleDeepDive, r.Podcast.Style)
	assert.Equal(t, "16:9", r.Image.AspectRatio)
}

func TestParseRequestNormalizes(t *testing.T) {
	r, err := content.ParseRequest([]byte(`{"topic": "Cafe\u0301 culture", "source_text": "line one\r\nline\u0007 two\n\ttabbed", "language": "de-de", "formats": ["FAQS", "image"]}`))
	require.NoError(t, err)
	assert.Equal(t, "Café culture", r.Topic, "NFC")
	assert.Equal(t, "line one\nline two\n\ttabbed", r.SourceText)
	assert.Equal(t, "de-DE", r.Language, "canonical tag")
	assert.Equal(t, []content.Format{content.FormatSources, content.FormatOutline, content.FormatFAQs, content.FormatImage, content.FormatPackage}, r.Formats,
		"a request with a source text reads it first")
	assert.True(t, r.Wants(content.FormatImage))
	assert.False(t, r.Wants(content.FormatAudio))
}

func TestParseRequestCountsCharactersNotBytes(t *testing.T) {
	topic := strings.Repeat("é", content.MaxTopicLen)
	_, err := content.ParseRequest(mustJSON(t, map[string]any{"topic": topic}))
	require.NoError(t, err)
	_, err = content.ParseRequest(mustJSON(t, map[string]any{"topic": topic + "é"}))
	var ie *content.InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "too_long", ie.Errors[0].Code)
}

func TestParseRequestKeepsRealReplacementCharacters(t *testing.T) {
	for _, body := range []string{`{"topic": "Photo\ufffdsynthesis"}`, "{\"topic\": \"Photo\uFFFDsynthesis\"}", `{"topic": "Emoji \ud83d\ude00 pairs"}`} {
		r, err := content.ParseRequest([]byte(body))
		require.NoError(t, err, body)
		assert.NotEmpty(t, r.Topic)
	}
}

func TestParseRequestErrors(t *testing.T) {
	cases := map[string]struct {
		body string
		code string
	}{
		"empty":          {``, "invalid_json"},
		"truncated":      {`{"topic": "abc"`, "invalid_json"},
		"unknown field":  {`{"topic": "abc", "colour": "red"}`, "unknown_field"},
		"wrong type":     {`{"topic": ["abc"]}`, "invalid_json"},
		"trailing":       {`{"topic": "abc"}x`, "invalid_json"},
		"invalid UTF-8":  {"{\"topic\": \"Photo\xffsynthesis\"}", "invalid_json"},
		"latin-1":        {"{\"topic\": \"Caf\xe9 culture\"}", "invalid_json"},
		"lone surrogate": {`{"topic": "Photo\ud800synthesis"}`, "invalid_json"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := content.ParseRequest([]byte(c.body))
			var de *content.DecodeError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, c.code, de.Code)
			assert.NotEmpty(t, de.Detail)
		})
	}
	_, err := content.ParseRequest([]byte(`{"topic": "abc", "formats": ["package"]}`))
	var ie *content.InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "formats", ie.Errors[0].Field)

	_, err = content.ParseRequest([]byte(`{"topic": "abc", "formats": ["faqs", "faqs"], "podcast": {"speakers": [{"name": "A", "role": "x"}, {"name": "a", "role": "y"}], "target_minutes": 31}, "image": {"aspect_ratio": "5:1"}}`))
	require.ErrorAs(t, err, &ie)
	var fields []string
	for _, e := range ie.Errors {
		fields = append(fields, e.Field+"="+e.Code)
	}
	assert.Equal(t, []string{"formats[1]=duplicate", "podcast.speakers[1].name=duplicate", "podcast.target_minutes=out_of_range", "image.aspect_ratio=invalid_value"}, fields)
}

func TestClosure(t *testing.T) {
	assert.Equal(t, []content.Format{content.FormatOutline, content.FormatPodcastScript, content.FormatAudio, content.FormatPackage}, content.Closure([]content.Format{content.FormatAudio}))
	assert.Equal(t, []content.Format{content.FormatOutline, content.FormatPackage}, content.Closure([]content.Format{content.FormatOutline}))
}

func TestFingerprintTellsRequestsApart(t *testing.T) {
	a, err := content.ParseRequest([]byte(`{"topic": "Tides"}`))
	require.NoError(t, err)
	b, err := content.ParseRequest([]byte(`{"topic": "Tides", "level": "intermediate"}`))
	require.NoError(t, err)
	c, err := content.ParseRequest([]byte(`{"topic": "Tides", "level": "advanced"}`))
	require.NoError(t, err)
	assert.Equal(t, a.Fingerprint(), b.Fingerprint(), "defaults filled in are the same request")
	assert.NotEqual(t, a.Fingerprint(), c.Fingerprint())
}

func TestSchemaForRejectsBadTags(t *testing.T) {
	type bad struct {
		X string `json:"x" len:"9-1"`
	}
	assert.Panics(t, func() { content.SchemaFor(reflect.TypeFor[bad]()) })
}

func TestSchemaForPinsWhatIsDecided(t *testing.T) {
	o := outline()
	req := &content.Request{Level: "advanced", Podcast: &content.PodcastOptions{
		Speakers: []content.Speaker{{Name: "Ana", Role: "host"}, {Name: "Ben", Role: "guest"}, {Name: "Cy", Role: "guest"}}, TargetMinutes: 7,
	}}
	exp := content.Expect{Request: req, Outline: &o}
	ps := content.MustLookup(content.FormatPodcastScript).SchemaFor(exp)
	assert.Equal(t, []string{o.Title}, ps.Properties["title"].Enum)
	assert.Equal(t, 3, *ps.Properties["speakers"].MinItems)
	assert.Equal(t, 3, *ps.Properties["speakers"].MaxItems)
	assert.Equal(t, []string{"Ana", "Ben", "Cy"}, ps.Properties["turns"].Items.Properties["speaker"].Enum)
	assert.Equal(t, []string{"host", "guest"}, ps.Properties["speakers"].Items.Properties["role"].Enum)
	assert.Equal(t, 7.0, *ps.Properties["target_minutes"].Maximum)

	rg := content.MustLookup(content.FormatReadingGuide).SchemaFor(exp)
	assert.Equal(t, o.SectionTitles(), rg.Properties["questions"].Items.Properties["section"].Enum)
	ol := content.MustLookup(content.FormatOutline).SchemaFor(content.Expect{Request: req})
	assert.Equal(t, []string{"advanced"}, ol.Properties["level"].Enum)
	assert.Nil(t, ol.Properties["title"].Enum)

	// The shared schema is untouched, and the pinned one still validates.
	base := content.MustLookup(content.FormatPodcastScript).Schema()
	assert.Nil(t, base.Properties["title"].Enum)
	assert.Equal(t, 2, *base.Properties["speakers"].MinItems)
	assert.Contains(t, rg.Validate([]byte(`{"title": "x", "questions": [{"question": "Why", "section": "History"}]}`)).Error(), "must match")
}

func TestAudienceNeedsTwoCharacters(t *testing.T) {
	_, err := content.ParseRequest([]byte(`{"topic":"Tides","audience":"x"}`))
	var ie *content.InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "audience", ie.Errors[0].Field)
	assert.Equal(t, "too_short", ie.Errors[0].Code)
}

func TestCallbackURLForm(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://hooks.example.com/factory?x=1": true,
		"http://hooks.example.com/":             false,
		"https://user:pw@hooks.example.com/":    false,
		"https:///path":                         false,
		"ftp://hooks.example.com":               false,
		"https://hooks.example.com/#frag":       false,
		"not a url at all":                      false,
	} {
		err := content.CheckCallbackURL(raw)
		assert.Equal(t, ok, err == nil, "%s: %v", raw, err)
	}
	_, err := content.ParseRequest([]byte(`{"topic": "Tides", "callback_url": "http://example.com/hook"}`))
	var ie *content.InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "callback_url", ie.Errors[0].Field)
}

func TestExportsDefaultToAllAndAreChecked(t *testing.T) {
	r, err := content.ParseRequest([]byte(`{"topic": "Tides"}`))
	require.NoError(t, err)
	assert.Equal(t, content.Exports(), r.Exports)
	assert.True(t, r.WantsExport(content.ExportPDF))

	r, err = content.ParseRequest([]byte(`{"topic": "Tides", "exports": [" PDF", "anki"]}`))
	require.NoError(t, err)
	assert.Equal(t, []content.Export{content.ExportPDF, content.ExportAnki}, r.Exports)
	assert.False(t, r.WantsExport(content.ExportEPUB))
	assert.True(t, (&content.Request{}).WantsExport(content.ExportEPUB), "a request stored before exports existed makes them all")

	_, err = content.ParseRequest([]byte(`{"topic": "Tides", "formats": ["study_guide"], "exports": ["pdf", "pdf", "odt", "anki", "chapters"]}`))
	var ie *content.InvalidError
	require.ErrorAs(t, err, &ie)
	var fields []string
	for _, e := range ie.Errors {
		fields = append(fields, e.Field+"="+e.Code)
	}
	assert.Equal(t, []string{"exports[1]=duplicate", "exports[2]=unknown_export", "exports[3]=missing_format", "exports[4]=missing_format"}, fields)
	assert.Contains(t, ie.Errors[2].Message, "flashcards")

	r, err = content.ParseRequest([]byte(`{"topic": "Tides", "formats": ["study_guide"]}`))
	require.NoError(t, err)
	assert.Equal(t, []content.Export{content.ExportMarkdown, content.ExportHTML, content.ExportPDF, content.ExportDOCX, content.ExportEPUB}, r.Exports,
		"by default, every export the formats can make")

	r, err = content.ParseRequest([]byte(`{"topic": "Tides", "formats": ["quiz"]}`))
	require.NoError(t, err)
	assert.Equal(t, []content.Export{content.ExportMarkdown, content.ExportHTML, content.ExportPDF, content.ExportDOCX, content.ExportEPUB,
		content.ExportAnki, content.ExportCSV}, r.Exports, "a quiz alone makes a deck and a CSV")
	_, err = content.ParseRequest([]byte(`{"topic": "Tides", "formats": ["timeline"], "exports": ["csv"]}`))
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "missing_format", ie.Errors[0].Code)
	assert.Contains(t, ie.Errors[0].Message, "flashcards or quiz")

	_, err = content.ParseRequest([]byte(`{"topic": "Tides", "exports": []}`))
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "exports", ie.Errors[0].Field)
	assert.Equal(t, "required", ie.Errors[0].Code)
}
