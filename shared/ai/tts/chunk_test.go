package tts_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/tts"
)

func TestSentences(t *testing.T) {
	t.Parallel()
	got := tts.Sentences("  Hello there.  How are you?\nFine! \"Quoted.\" Then (this.) Wait… ok; next 3.5 is a number. 你好。再见！End")
	assert.Equal(t, []string{"Hello there.", "How are you?", "Fine!", `"Quoted."`, "Then (this.)", "Wait…", "ok;",
		"next 3.5 is a number.", "你好。", "再见！", "End"}, got)
}

func TestSplitKeepsSentencesWhole(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("This sentence has exactly eight words in it. ", 40)
	pieces := tts.Split(text, 200)
	for _, p := range pieces {
		assert.LessOrEqual(t, len(p), 200)
		assert.True(t, strings.HasSuffix(p, "in it."), "a piece ends with a sentence: %q", p)
	}
	assert.Equal(t, strings.Join(strings.Fields(text), " "), strings.Join(pieces, " "), "nothing is lost")
	assert.Len(t, pieces, 10, "four sentences of 45 bytes fit in 200")
}

func TestSplitCutsALongSentenceBetweenWords(t *testing.T) {
	t.Parallel()
	words := make([]string, 3000)
	for i := range words {
		words[i] = []string{"Übergrößenträger", "naïve", "façade", "日本語のテキスト", "emoji🙂"}[i%5]
	}
	text := strings.Join(words, " ") + "."
	require.Greater(t, len(text), 3*4800)
	pieces := tts.Split(text, 4800)
	require.Greater(t, len(pieces), 3)
	var back []string
	for _, p := range pieces {
		assert.LessOrEqual(t, len(p), 4800, "bytes, not characters")
		assert.True(t, utf8.ValidString(p))
		back = append(back, strings.Fields(p)...)
	}
	assert.Equal(t, strings.Fields(text), back, "no word was cut")
}

func TestSplitCutsAnImpossibleWordBetweenRunes(t *testing.T) {
	t.Parallel()
	word := strings.Repeat("é", 300) // 600 bytes
	pieces := tts.Split("Short. "+word+" end.", 100)
	for _, p := range pieces {
		assert.LessOrEqual(t, len(p), 100)
		assert.True(t, utf8.ValidString(p))
	}
	assert.Equal(t, "Short. "+word+" end.", strings.Join(pieces[:1], "")+" "+strings.Join(pieces[1:len(pieces)-1], "")+" "+pieces[len(pieces)-1])
}

func TestSplitEmpty(t *testing.T) {
	t.Parallel()
	assert.Empty(t, tts.Split("   \n ", 100))
}
