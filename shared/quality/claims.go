package quality

import (
	"strconv"
	"strings"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// Claims returns the claims of a document (a pointer to a format's
// struct): every sentence of its cited items (content.CitedItems) that
// states something, numbered c1, c2, … in document order, each with the
// passages its item cites. lang is the document's BCP 47 tag.
func Claims(doc any, lang string) []content.Claim {
	var out []content.Claim
	for _, it := range content.CitedItems(doc) {
		for _, text := range it.Texts {
			for _, s := range sentencesOf(text, lang) {
				if !IsClaim(s) {
					continue
				}
				out = append(out, content.Claim{ID: "c" + strconv.Itoa(len(out)+1), Path: it.Path, Text: s, Citations: it.Cited.Citations})
			}
		}
	}
	return out
}

// notClaims open sentences that speak to the reader or the listener
// rather than state something.
var notClaims = []string{"let's ", "let us ", "welcome", "thank", "thanks", "hello", "hi ", "goodbye", "see you", "join us",
	"stay tuned", "until next time", "great question", "good question", "that's right", "exactly", "absolutely"}

// IsClaim reports whether a sentence states something a source could
// support: not a question, at least four words of which two carry
// content, and not a greeting, a thanks or an invitation.
func IsClaim(sentence string) bool {
	s := strings.TrimSpace(sentence)
	if s == "" || strings.HasSuffix(strings.TrimRight(s, `"'”’»)`), "?") {
		return false
	}
	toks := prose.Tokenize(s)
	if len(toks) < 4 {
		return false
	}
	content := 0
	for _, t := range toks {
		if prose.ContentWord(strings.ToLower(t.Text), t.Text) {
			content++
		}
	}
	if content < 2 {
		return false
	}
	lower := strings.ToLower(s)
	for _, p := range notClaims {
		if strings.HasPrefix(lower, p) {
			return false
		}
	}
	return true
}

// sentencesOf splits a text (plain or Markdown) into sentences: each
// paragraph and list item on its own, Markdown marks removed.
func sentencesOf(text, lang string) []string {
	var out []string
	for _, block := range blocks(text) {
		out = append(out, prose.Sentences(block, lang)...)
	}
	return out
}

// blocks returns the paragraphs and list items of a text, without
// Markdown headings, list markers, emphasis and link targets.
func blocks(text string) []string {
	var out, para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, strings.Join(para, " "))
			para = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "```") || strings.HasPrefix(t, "|"):
			flush()
		case strings.HasPrefix(t, "#"):
			flush() // a heading is a title, not a sentence
		case listItem(t) != "":
			flush()
			para = append(para, plain(listItem(t)))
			flush()
		default:
			para = append(para, plain(t))
		}
	}
	flush()
	return out
}

// listItem returns the text of a Markdown list item line, or "".
func listItem(t string) string {
	for _, m := range []string{"- ", "* ", "+ "} {
		if strings.HasPrefix(t, m) {
			return strings.TrimSpace(t[len(m):])
		}
	}
	i := 0
	for i < len(t) && i < 3 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return strings.TrimSpace(t[i+2:])
	}
	return ""
}

// plain removes Markdown emphasis and keeps a link's text.
func plain(s string) string {
	s = strings.NewReplacer("**", "", "__", "", "`", "").Replace(s)
	for {
		i := strings.Index(s, "](")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ')')
		k := strings.LastIndexByte(s[:i], '[')
		if j < 0 || k < 0 {
			break
		}
		s = s[:k] + s[k+1:i] + s[i+j+1:]
	}
	return strings.TrimSpace(strings.TrimLeft(s, "> "))
}
