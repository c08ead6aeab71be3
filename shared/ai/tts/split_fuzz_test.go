package tts_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/ai/tts"
)

// FuzzSplit: for any text and any limit of at least utf8.UTFMax bytes,
// Split gives non-empty pieces of at most that many bytes, trimmed, valid
// UTF-8 when the text is, that together hold every non-space character of
// a valid text in order; nothing panics. Seeds: testdata/fuzz/FuzzSplit.
func FuzzSplit(f *testing.F) {
	f.Add("Hello there.  How are you?\nFine! \"Quoted.\" 你好。再见！End", 20)
	f.Add(strings.Repeat("Übergrößenträger naïve ", 50)+"emoji🙂.", 64)
	f.Add("\xff\xfe\xc3 broken. text", 4)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		limit = utf8.UTFMax + int(uint(limit)%5000)
		pieces := tts.Split(text, limit)
		for _, p := range pieces {
			if p == "" || len(p) > limit {
				t.Fatalf("piece of %d bytes (limit %d): %q", len(p), limit, p)
			}
			if strings.TrimSpace(p) != p {
				t.Fatalf("piece not trimmed: %q", p)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p) {
				t.Fatalf("piece not UTF-8: %q", p)
			}
		}
		// Compared only for valid UTF-8: joining the bytes of invalid text
		// can form characters (even spaces) that were not there. Narration
		// text is always valid (requests are cleaned).
		if !utf8.ValidString(text) {
			return
		}
		if got, want := strings.Join(strings.Fields(strings.Join(pieces, "")), ""), strings.Join(strings.Fields(text), ""); got != want {
			t.Fatalf("text lost or reordered:\n got %q\nwant %q", got, want)
		}
	})
}
