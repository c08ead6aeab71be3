package extract

import "contentfactory.dev/factory/shared/prose"

// The sentence and word rules the extractor reads its sources with are
// the ones the quality scorer reads documents with (shared/prose).

func splitSentences(text, lang string) []string { return prose.Sentences(text, lang) }

type token = prose.Token

func tokenize(s string) []token { return prose.Tokenize(s) }

func contentWord(lower, surface string) bool { return prose.ContentWord(lower, surface) }

func setOf(words string) map[string]bool { return prose.SetOf(words) }

var stopWords = prose.StopWords
