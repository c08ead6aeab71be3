package espeak_test

import (
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/espeak"
)

// TestSpeechConformance runs the suite, its part on a PartStore included:
// Speech keeps every line's MP3 there and reuses it.
func TestSpeechConformance(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	aitest.SpeechConformance(t, func(*testing.T) ai.Synthesizer { return espeak.Speech{} },
		aitest.SpeechTraits{MIMEType: "audio/mpeg", KeepsParts: true})
}
