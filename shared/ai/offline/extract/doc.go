// Package extract is the offline text backend: it writes every text
// format by extraction, with no network and no credentials.
//
// Text splits the request's source text into paragraphs and sentences,
// ranks the sentences (a TF-IDF-like weight of their words, their overlap
// with the topic, their position, and whether they define something),
// extracts key terms and definitions ("X is a …", "X refers to …", "X,
// also called Y, …"), and builds the outline from the structure of the
// source: its headings when it has them, otherwise runs of related
// paragraphs. The derived formats are built from that outline and the
// same sentences. Without a source text, or with too little of one, the
// material is completed from templates about the topic. The same request
// always yields the same bytes.
//
// Language: the phrases the backend writes itself (headings, question
// templates, section openers, the podcast's host lines, connectives,
// labels) come from the table of the request's language: English,
// Spanish, French, German, Portuguese or Japanese (phrases*.go, one table
// per language, all in the order of the English one); a request in any
// other language gets the English phrases. Sentences extracted from the
// source stay in the source's language. Japanese and Chinese sources are
// read without spaces between words: "。", "！" and "？" end sentences and
// words are cut where the script changes (shared/prose). Definitions are
// recognised in English, German and French.
package extract
