package prompts

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

// TestEveryReleasedTemplateRenders renders every released template of
// every text format, as an A/B evaluation does, and checks the prompt
// records which one it was.
func TestEveryReleasedTemplateRenders(t *testing.T) {
	t.Parallel()
	for _, f := range content.TextFormats() {
		rel := Released(f)
		require.NotEmpty(t, rel, f)
		assert.Equal(t, Versions.Formats[f], rel[len(rel)-1], "%s: the template in use is its latest release", f)
		for _, name := range rel {
			in := Text{Format: f, Request: request(t, "Plants turn light into sugar."), Sources: lecture(), Canary: testCanary, Template: name}
			if f != content.FormatOutline {
				in.Outline = outline
			}
			p, err := RenderText(in)
			require.NoError(t, err, name)
			assert.Equal(t, name+"/"+Versions.System, p.Version)
			assert.NotContains(t, p.User, "<no value>", name)
			assert.Contains(t, p.User, "<<<DATA-"+p.Token+" passages\n", name)
		}
	}
	_, err := RenderText(Text{Format: content.FormatFAQs, Request: request(t, "x"), Template: "quiz.v1"})
	assert.ErrorContains(t, err, `"quiz.v1" is not a released template of faqs`)
}

func TestTheCurrentTemplatesTeachAndCite(t *testing.T) {
	t.Parallel()
	for _, level := range content.Levels {
		req := request(t, "Plants turn light into sugar.")
		req.Level = level
		p, err := RenderText(Text{Format: content.FormatOutline, Request: req, Sources: lecture()})
		require.NoError(t, err)
		assert.Contains(t, p.User, "Teach at the "+level+" level:")
		assert.Contains(t, p.User, "Citations: every item with a citations list names the passages")
	}
	p, err := RenderText(Text{Format: content.FormatFlashcards, Request: request(t, "x"), Outline: outline})
	require.NoError(t, err)
	assert.Contains(t, p.User, "there are no sources, so every citations list stays empty")
	assert.Contains(t, p.User, "cloze card")
	assert.Contains(t, p.System, "a quiz and a timeline", "the system instruction names every format")
}

func TestParseSelection(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"", "current"} {
		sel, err := ParseSelection(spec)
		require.NoError(t, err)
		assert.Empty(t, sel)
		assert.Equal(t, "current", sel.String())
	}
	prev, err := ParseSelection("previous")
	require.NoError(t, err)
	assert.Equal(t, "faqs.v1", prev.For(content.FormatFAQs))
	assert.Equal(t, "podcast_script.v2", prev.For(content.FormatPodcastScript))
	for f, name := range prev {
		rel := Released(f)
		assert.Equal(t, rel[len(rel)-2], name, "%s: the release before the one in use", f)
	}

	sel, err := ParseSelection(" faqs.v1, quiz.v1 ")
	require.NoError(t, err)
	assert.Equal(t, Selection{content.FormatFAQs: "faqs.v1", content.FormatQuiz: "quiz.v1"}, sel)
	assert.Equal(t, "faqs.v1,quiz.v1", sel.String())
	assert.Empty(t, sel.For(content.FormatOutline), "a format not named renders the template in use")

	for spec, msg := range map[string]string{
		"faqs":              "not a template name",
		"image.v1":          "not a text format",
		"faqs.v9":           "not released",
		"faqs.v1,faqs.v2":   "named twice",
		"cover.v1,faqs.v1":  "not a text format",
		"faqs.vx":           "not released",
		"study_guide.v0001": "not released",
	} {
		_, err := ParseSelection(spec)
		assert.ErrorContains(t, err, msg, spec)
	}
}
