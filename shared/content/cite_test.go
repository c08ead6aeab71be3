package content_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

func faqs(citations ...[]string) content.FAQs {
	f := content.FAQs{Title: "Tides and the Moon"}
	for i, q := range []string{"Why two tides?", "What is a spring tide?", "What is a neap tide?", "Who feels tides?", "Where are tides largest?"} {
		item := content.FAQ{Question: q, Answer: "Because the Moon pulls the near and the far side unequally.", Category: "basics"}
		if i < len(citations) {
			item.Citations = citations[i]
		}
		f.FAQs = append(f.FAQs, item)
	}
	return f
}

func TestCitedAddsItsFieldsToEveryItemSchema(t *testing.T) {
	for f, path := range map[content.Format][]string{
		content.FormatOutline:         {"sections"},
		content.FormatPodcastScript:   {"turns"},
		content.FormatStudyGuide:      {"key_concepts"},
		content.FormatOnePager:        {"key_takeaways"},
		content.FormatDetailedReading: {"sections", "paragraphs"},
		content.FormatFAQs:            {"faqs"},
		content.FormatFlashcards:      {"cards"},
	} {
		s := content.MustLookup(f).Schema()
		for _, p := range path {
			s = s.Properties[p].Items
		}
		c := s.Properties["citations"]
		require.NotNil(t, c, "%s items carry citations", f)
		assert.Equal(t, "array", c.Type)
		assert.Equal(t, `^p[1-9][0-9]*$`, c.Items.Pattern)
		assert.NotContains(t, s.Required, "citations", "%s: optional in the stored document", f)
		assert.Contains(t, s.PropertyOrdering, "grounding")
	}
}

func TestModelSchemaPinsCitationsToTheJobsPassages(t *testing.T) {
	spec := content.MustLookup(content.FormatFAQs)
	item := func(exp content.Expect) *content.Schema { return spec.SchemaFor(exp).Properties["faqs"].Items }

	with := item(content.Expect{Passages: content.PassageSet{"p1": true, "p2": true, "p10": true}})
	assert.Equal(t, []string{"p1", "p2", "p10"}, with.Properties["citations"].Items.Enum, "in passage order")
	assert.Contains(t, with.Required, "citations", "every item must say what it cites")
	assert.NotContains(t, with.Properties, "grounding", "the verdicts are the pipeline's, never the model's")

	without := item(content.Expect{Passages: content.PassageSet{}})
	assert.NotContains(t, without.Properties, "citations", "a job without sources has nothing to cite")
	assert.NotContains(t, without.PropertyOrdering, "citations")

	many := content.PassageSet{}
	for i := range content.MaxPinnedPassages + 1 {
		many[fmt.Sprintf("p%d", i+1)] = true
	}
	assert.Nil(t, item(content.Expect{Passages: many}).Properties["citations"].Items.Enum, "too many ids to list: the pattern holds them")
	assert.NotNil(t, spec.Schema().Properties["faqs"].Items.Properties["grounding"], "the shared schema is untouched")
}

func TestCitationsAreCheckedAgainstThePassages(t *testing.T) {
	doc := faqs([]string{"p1", "p2"}, []string{"p9"}, []string{"p2", "p2"}, []string{"x1"})
	exp := content.Expect{Passages: content.PassageSet{"p1": true, "p2": true, "p3": true}}
	_, err := content.ValidateText(content.FormatFAQs, mustJSON(t, doc), exp)
	assert.Equal(t, []string{"/faqs/3/citations/0: must match ^p[1-9][0-9]*$"}, violations(t, err), "the schema first")

	doc.FAQs[3].Citations = []string{"p30"}
	_, err = content.ValidateText(content.FormatFAQs, mustJSON(t, doc), exp)
	assert.Equal(t, []string{
		`/faqs/1/citations/0: "p9" is not a passage of the job's sources`,
		"/faqs/2/citations/1: cites p2 twice",
		`/faqs/3/citations/0: "p30" is not a passage of the job's sources`,
	}, violations(t, err))

	_, err = content.ValidateText(content.FormatFAQs, mustJSON(t, faqs([]string{"p1"})), content.Expect{Passages: content.PassageSet{}})
	assert.Equal(t, []string{"/faqs/0/citations/0: the job has no sources, so there is no passage to cite"}, violations(t, err))

	_, err = content.ValidateText(content.FormatFAQs, mustJSON(t, doc), content.Expect{})
	assert.NoError(t, err, "without passages to check against, ids are not checked")
}

func TestCitedItemsFindEveryItemWithWhatItClaims(t *testing.T) {
	r := content.DetailedReading{Title: "Tides", Introduction: "An introduction to tides.", Conclusion: "A conclusion on tides.",
		Sections: []content.ReadingSection{{Title: "Gravity", Paragraphs: []content.Paragraph{
			{Text: "Gravity weakens with distance.", Cited: content.Cited{Citations: []string{"p1"}}},
			{Text: "So the near side is pulled harder."},
		}}}}
	items := content.CitedItems(&r)
	require.Len(t, items, 2)
	assert.Equal(t, "/sections/0/paragraphs/0", items[0].Path)
	assert.Equal(t, []string{"Gravity weakens with distance."}, items[0].Texts)
	assert.Equal(t, "/sections/0/paragraphs/1", items[1].Path)
	items[1].Cited.Grounding = content.Unsupported
	assert.Equal(t, content.Unsupported, r.Sections[0].Paragraphs[1].Grounding, "the item points into the document")
	assert.Equal(t, []string{"p1"}, content.Citations(&r))
	content.ClearGrounding(&r)
	assert.Empty(t, r.Sections[0].Paragraphs[1].Grounding)

	o := outline()
	o.Sections[0].Citations = []string{"p4", "p2"}
	o.Sections[1].Citations = []string{"p2", "p11"}
	items = content.CitedItems(&o)
	require.Len(t, items, 3)
	assert.Equal(t, []string{"Why gravity varies across the Earth.", "Inverse square"}, items[0].Texts, "description and key points")
	assert.Equal(t, []string{"p2", "p4", "p11"}, content.Citations(&o))

	cloze := content.Flashcard{Front: "The ______ pulls the oceans.", Back: "Moon"}
	assert.Equal(t, []string{"The Moon pulls the oceans."}, cloze.ClaimTexts())
	plain := content.Flashcard{Front: "Spring tide", Back: "The largest tidal range, at new and full moon."}
	assert.Equal(t, []string{plain.Back}, plain.ClaimTexts())
}

func TestDocumentsOfTheEarlierShapesStillValidate(t *testing.T) {
	op := `{"title":"Tides","executive_summary":"Tides are long waves driven by the Moon.","key_takeaways":["Two tides a day.","Spring tides are largest.","Neap tides are smallest."],"main_content":"The Moon pulls the near side of the Earth harder than the far side."}`
	doc, err := content.Decode[content.OnePager](content.FormatOnePager, []byte(op), content.Expect{})
	require.NoError(t, err)
	assert.Equal(t, content.Takeaways("Two tides a day.", "Spring tides are largest.", "Neap tides are smallest."), doc.KeyTakeaways)

	dr := `{"title":"Tides","introduction":"An introduction to tides.","conclusion":"A conclusion on tides.","references":[],
	  "sections":[{"title":"Gravity","content":"Gravity weakens with distance.\n\n### Why\n\nSo the near side is pulled harder than the far side."},
	    {"title":"Spring tides","content":"When the Sun and the Moon line up, their pulls add up."},
	    {"title":"Neap tides","content":"At right angles, the Sun's pull takes from the Moon's."}]}`
	reading, err := content.Decode[content.DetailedReading](content.FormatDetailedReading, []byte(dr), content.Expect{})
	require.NoError(t, err)
	assert.Equal(t, []content.Paragraph{{Text: "Gravity weakens with distance."}, {Text: "### Why"}, {Text: "So the near side is pulled harder than the far side."}},
		reading.Sections[0].Paragraphs)
}

func TestWorseVerdict(t *testing.T) {
	assert.Equal(t, content.Partial, content.WorseVerdict(content.Supported, content.Partial))
	assert.Equal(t, content.Unsupported, content.WorseVerdict(content.Unsupported, content.Partial))
	assert.Equal(t, content.Supported, content.WorseVerdict("", content.Supported))
}
