package models

import (
	"unicode/utf8"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// What the admission estimate assumes a job's calls consume. These are
// typical sizes, not bounds: an owner's budget is settled with what the
// calls really cost when the job ends.
const (
	// estPromptTokens is what a text call sends besides the source text
	// and the outline: the system instruction, the format's template, the
	// request and the response schema.
	estPromptTokens = 2000
	// estOutlineTokens is the outline a derived format reads.
	estOutlineTokens = 1500
	// estThinkingTokens is a text call's thinking, billed as output.
	estThinkingTokens = 1000
	// estScriptTokensPerMinute is a podcast script's output per minute of
	// its target length: 150 words at about 1.4 tokens a word, in JSON.
	estScriptTokensPerMinute = 250
	// estImagePromptTokens is the prompt of the cover.
	estImagePromptTokens = 600
	// estSpeechCharsPerMinute is what a minute of narration speaks: 150
	// words of about six characters with their space.
	estSpeechCharsPerMinute = 900
	// estDocumentChars is the text an uploaded file or a link yields, which
	// is unknown until the sources step reads it: a typical article or
	// chapter.
	estDocumentChars = 30_000
)

// estOutputTokens is the typical document of each text format, in tokens;
// a podcast script's grows with its length (estScriptTokensPerMinute).
var estOutputTokens = map[content.Format]int64{
	content.FormatOutline:         2000,
	content.FormatPodcastScript:   300,
	content.FormatStudyGuide:      5000,
	content.FormatOnePager:        1500,
	content.FormatDetailedReading: 6000,
	content.FormatFAQs:            2000,
	content.FormatFlashcards:      2000,
	content.FormatReadingGuide:    1000,
	content.FormatQuiz:            3000,
	content.FormatTimeline:        2000,
}

// Estimate is what a request is expected to cost, in US dollars, before
// it runs; admission reserves it against the owner's daily budget. It
// prices the calls the request's steps are expected to make with the same
// table and rules as the calls themselves (Cost): each text format as one
// call of its step's model that reads the instructions, the sources
// (texts as they are, an upload or link as estDocumentChars) and, for a
// derived format, the outline, and writes a typical document of
// its format after some thinking; the cover as one image of the image
// model; the narration as its target minutes of speech at 900 characters
// a minute in the first voice of the request's language. It leaves out
// the discount of the context cache, so a long source errs high. A model
// without a price counts nothing, as its calls do.
func (c *Config) Estimate(r *content.Request) float64 {
	total := 0.0
	for _, f := range r.Formats {
		if call, ok := c.expectedCall(r, f); ok {
			total += c.Cost(call)
		}
	}
	return total
}

// expectedCall is the call the step of format f is expected to make, and
// whether the format's step makes a billed call.
func (c *Config) expectedCall(r *content.Request, f content.Format) (ai.Call, bool) {
	spec, ok := content.Lookup(f)
	if !ok {
		return ai.Call{}, false
	}
	switch spec.Kind {
	case content.KindText:
		source := utf8.RuneCountInString(r.Topic) + sourceChars(r)
		call := ai.Call{
			Backend:        BackendVertex,
			Model:          c.Text.For(f).Model,
			PromptTokens:   estPromptTokens + int64(source+3)/4,
			OutputTokens:   estOutputTokens[f],
			ThinkingTokens: estThinkingTokens,
		}
		if f != content.FormatOutline {
			call.PromptTokens += estOutlineTokens
		}
		if f == content.FormatPodcastScript {
			call.OutputTokens += estScriptTokensPerMinute * int64(podcastMinutes(r))
		}
		return call, true
	case content.KindImage:
		return ai.Call{Backend: BackendVertex, Model: c.Image.Model, PromptTokens: estImagePromptTokens, Images: 1}, true
	case content.KindAudio:
		lang := r.Language
		if lang == "" {
			lang = content.DefaultLanguage
		}
		_, voices := c.TTS.VoicesFor(lang)
		if len(voices) == 0 {
			return ai.Call{}, false
		}
		return ai.Call{Backend: BackendTTS, Model: voices[0], Characters: estSpeechCharsPerMinute * int64(podcastMinutes(r))}, true
	}
	return ai.Call{}, false
}

// sourceChars is what a request's sources are expected to yield.
func sourceChars(r *content.Request) int {
	n := 0
	for _, src := range r.AllSources() {
		if src.Kind() == content.SourceKindText {
			n += utf8.RuneCountInString(src.Text)
		} else {
			n += estDocumentChars
		}
	}
	return n
}

// podcastMinutes is the requested length of the podcast, or the default.
func podcastMinutes(r *content.Request) int {
	if r.Podcast != nil && r.Podcast.TargetMinutes > 0 {
		return r.Podcast.TargetMinutes
	}
	return content.DefaultMinutes
}
