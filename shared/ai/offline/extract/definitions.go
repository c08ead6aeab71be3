package extract

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// definition is a term a source sentence defines.
type definition struct {
	term   string // as written, without a leading article
	alias  string // another name given in the same sentence, if any
	body   string // what the term is, as the sentence words it
	art    string // the English article the sentence puts before the term
	plural bool   // "X are …"
	sent   int    // index of the defining sentence
}

// defPattern is one sentence shape that defines a term.
type defPattern struct {
	re *regexp.Regexp
	// term, body and alias are submatch indexes (alias 0: none).
	term, body, alias int
	// copula is the submatch of "is" / "are", 0 when the shape has none.
	copula int
	// cues are words one of which a sentence must contain (lower case)
	// for the pattern to be tried: a cheap filter before the regexp.
	cues []string
}

const (
	enArticle = `(?:(?:the|a|an)\s+)?`
	deArticle = `(?:(?:der|die|das|ein|eine)\s+)?`
	frArticle = `(?:(?:le|la|les|un|une)\s+|l['’])?`
	adverbs   = `(?:\s+(?:simply|essentially|basically|usually|generally|also|often|always|therefore))?`
)

var defPatterns = []defPattern{
	// "X, also called Y, …"
	{re: regexp.MustCompile(`(?i)^` + enArticle + `([^,]{2,60}?),\s+also\s+(?:called|known\s+as)\s+` + enArticle + `([^,]{2,60}?),\s+(.+)$`), term: 1, alias: 2, body: 3, cues: []string{"also"}},
	// "…, which is called X."
	{re: regexp.MustCompile(`(?i)^(.{10,}?),\s+(?:which|this)\s+(is|are)\s+(?:called|known\s+as|termed)\s+` + enArticle + `([^,;:]{2,60}?)[.!]?$`), term: 3, body: 1, copula: 2, cues: []string{"called", "known", "termed"}},
	// "Y is called X."
	{re: regexp.MustCompile(`(?i)^(.{3,120}?)\s+(is|are)\s+(?:called|known\s+as|termed)\s+` + enArticle + `([^,;:]{2,60}?)[.!]?$`), term: 3, body: 1, copula: 2, cues: []string{"called", "known", "termed"}},
	// "X refers to …", "X means …", "X is defined as …"
	{re: regexp.MustCompile(`(?i)^` + enArticle + `(.{2,60}?)\s+(?:refers\s+to|refer\s+to|means|is\s+defined\s+as|are\s+defined\s+as|denotes)\s+(.+)$`), term: 1, body: 2, cues: []string{"refer", "means", "defined", "denotes"}},
	// "X is a/an/the …"
	{re: regexp.MustCompile(`(?i)^` + enArticle + `(.{2,60}?)\s+(is|are)` + adverbs + `\s+((?:a|an|the|one\s+of\s+the)\s+.+)$`), term: 1, body: 3, copula: 2, cues: []string{" is ", " are "}},
	// "…, a step known as X, …", "an enzyme called X"
	{re: regexp.MustCompile(`(?i)(?:^|[\s,])(?:a|an|the)\s+([^\s,]+(?:\s+[^\s,]+){0,2}?)\s+(?:called|known\s+as|termed)\s+([^,;:.!?]{2,60}?)(?:[,.;!?]|$)`), term: 2, body: 1, cues: []string{"called", "known", "termed"}},
	// German: "X ist ein/eine/der/die/das …", "X bezeichnet …", "X, auch Y genannt, …"
	{re: regexp.MustCompile(`(?i)^` + deArticle + `([^,]{2,60}?),\s+auch\s+(.{2,60}?)\s+genannt,\s+(.+)$`), term: 1, alias: 2, body: 3, cues: []string{"genannt"}},
	{re: regexp.MustCompile(`(?i)^` + deArticle + `(.{2,60}?)\s+(ist|sind|war|waren)\s+((?:ein|eine|einer|der|die|das)\s+.+)$`), term: 1, body: 3, copula: 2, cues: []string{"ist ", "sind ", "war ", "waren "}},
	{re: regexp.MustCompile(`(?i)^` + deArticle + `(.{2,60}?)\s+(?:bezeichnet|bedeutet|meint)\s+(.+)$`), term: 1, body: 2, cues: []string{"bezeichnet", "bedeutet", "meint"}},
	// French: "X est un/une/le/la …", "X désigne …", "X, aussi appelé Y, …"
	{re: regexp.MustCompile(`(?i)^` + frArticle + `([^,]{2,60}?),\s+(?:aussi|également)\s+appelée?s?\s+` + frArticle + `(.{2,60}?),\s+(.+)$`), term: 1, alias: 2, body: 3, cues: []string{"appel"}},
	{re: regexp.MustCompile(`(?i)^` + frArticle + `(.{2,60}?)\s+(est|sont)\s+((?:un|une|le|la|les|des)\s+.+|l['’].+)$`), term: 1, body: 3, copula: 2, cues: []string{"est ", "sont "}},
	{re: regexp.MustCompile(`(?i)^` + frArticle + `(.{2,60}?)\s+(?:désigne|signifie)\s+(.+)$`), term: 1, body: 2, cues: []string{"désigne", "signifie"}},
}

// notTerms are first words that make a subject a pronoun or a vague noun
// rather than a term ("It is a …", "The result is …").
var notTerms = setOf(`it this that these those there here he she they we you i which what who whom whose
	one each all such its their his her our some many most any both another other something everything
	nothing anything someone everyone result results answer reason problem idea goal point key way thing
	difference main important first last next rest purpose aim question questions only
	sie er es dies das diese dieser dieses man ihr wir ich jeder jede alles
	il elle ils elles ce cela ceci on c'est ça tout chacun`)

// findDefinitions returns the terms a sentence defines, in the order of
// the shapes that matched, one per term.
func findDefinitions(sentence string) []definition {
	var out []definition
	seen := uniqueSet{}
	lower := strings.ToLower(sentence)
	for _, p := range defPatterns {
		if !slices.ContainsFunc(p.cues, func(c string) bool { return strings.Contains(lower, c) }) {
			continue
		}
		loc := p.re.FindStringSubmatchIndex(sentence)
		if loc == nil {
			continue
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = sentence[loc[2*i]:loc[2*i+1]]
			}
		}
		term := cleanTerm(m[p.term])
		if !validTerm(term) || !seen.add(term) {
			continue
		}
		d := definition{term: term, body: strings.TrimSpace(m[p.body]), art: articleBefore(sentence, loc[2*p.term], m[p.term])}
		if p.alias > 0 {
			if alias := cleanTerm(m[p.alias]); validTerm(alias) {
				d.alias = alias
			}
		}
		if p.copula > 0 {
			switch strings.ToLower(m[p.copula]) {
			case "are", "sind", "sont", "waren":
				d.plural = true
			}
		}
		out = append(out, d)
	}
	return out
}

// articleBefore returns the English article written just before a term
// (or at the start of its match), lower case, or "".
func articleBefore(sentence string, at int, match string) string {
	words := strings.Fields(strings.ToLower(sentence[:at]))
	first, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(match)), " ")
	last := ""
	if len(words) > 0 {
		last = strings.Trim(words[len(words)-1], `,"'“”`)
	}
	for _, w := range []string{first, last} {
		switch w {
		case "the", "a", "an":
			return w
		}
	}
	return ""
}

// cleanTerm trims articles, quotes and punctuation around a term.
func cleanTerm(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, `"'“”‘’«»()[]*_.,;: `)
	for _, art := range []string{"the ", "a ", "an ", "der ", "die ", "das ", "le ", "la ", "les ", "l'", "l’"} {
		if len(s) > len(art) && strings.EqualFold(s[:len(art)], art) {
			s = s[len(art):]
			break
		}
	}
	return strings.TrimSpace(s)
}

// validTerm accepts short noun phrases and rejects clauses, pronouns and
// numbers.
func validTerm(term string) bool {
	words := strings.Fields(term)
	n := utf8.RuneCountInString(term)
	if len(words) == 0 || len(words) > 6 || n < 2 || n > 60 {
		return false
	}
	if notTerms[strings.ToLower(strings.Trim(words[0], `"'“”`))] {
		return false
	}
	if strings.ContainsAny(term, ",;:()[]{}?!") {
		return false
	}
	content := false
	for _, t := range tokenize(term) {
		lower := strings.ToLower(t.Text)
		if contentWord(lower, t.Text) {
			content = true
		}
	}
	if !content {
		return false
	}
	// A clause has a verb; cheap proxy: a subordinating word inside.
	for _, w := range words[1:] {
		switch strings.ToLower(w) {
		case "is", "are", "was", "were", "that", "which", "who", "when", "if", "because", "ist", "sind", "est", "sont", "qui", "que":
			return false
		}
	}
	return startsWithLetterOrDigit(term)
}

func startsWithLetterOrDigit(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
