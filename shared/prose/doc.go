// Package prose reads natural-language text the way both the offline
// writer and the quality scorer need it: sentences (with abbreviations,
// decimals, initials and German ordinals that do not end one), words with
// their byte spans, the function words of English, German and French, a
// light stem for comparing words, and syllables for reading grades.
package prose
