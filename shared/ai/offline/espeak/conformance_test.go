package espeak_test

import (
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/espeak"
)

// TestSpeechConformance runs the suite without its part on a PartStore:
// espeak-ng narrates locally for nothing, and Speech does not keep parts.
func TestSpeechConformance(t *testing.T) {
	t.Parallel()
	requireEspeak(t)
	aitest.SpeechConformance(t, func(*testing.T) ai.Synthesizer { return espeak.Speech{} },
		aitest.SpeechTraits{MIMEType: "audio/flac"})
}
