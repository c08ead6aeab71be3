package extract

import (
	"regexp"

	"strings"
	"unicode"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/content"
)

// block is one structural piece of a source text: a heading or a
// paragraph of lines.
type block struct {
	heading bool
	level   int    // heading level, 1 for "#"; plain title lines get 2
	title   string // heading text
	lines   []srcLine
}

// srcLine is one cleaned line of a paragraph.
type srcLine struct {
	text string
	item bool // a list item, which stands on its own
}

// units returns the paragraph's texts to split into sentences: runs of
// prose lines joined into one text, and each list item on its own.
func (b block) units() []string {
	var units, prose []string
	endProse := func() {
		if len(prose) > 0 {
			units = append(units, strings.Join(prose, " "))
			prose = nil
		}
	}
	for _, l := range b.lines {
		if l.item {
			endProse()
			units = append(units, l.text)
			continue
		}
		prose = append(prose, l.text)
	}
	endProse()
	return units
}

// plainTitleLevel is the heading level given to a plain-text title line.
const plainTitleLevel = 2

// Markdown syntax the parser recognises.
var (
	atxHeading = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.+?)(?:\s+#+)?\s*$`)
	setextRule = regexp.MustCompile(`^\s{0,3}(=+|-+)\s*$`)
	thematic   = regexp.MustCompile(`^\s{0,3}([-*_])(\s*[-*_]){2,}\s*$`)
	listMarker = regexp.MustCompile(`^\s*(?:[-*+•‣◦]|\d{1,3}[.)])\s+`)
	mdLink     = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis = regexp.MustCompile("(\\*\\*|__|\\*|`)")
)

// passageText is the job's passages as one Markdown text: every passage a
// paragraph (or several, as it holds them), and each heading of the
// sources where it stands, at its level, so the extractor sees the
// sources' structure as the sources step read it.
func passageText(set *content.SourceSet) string {
	if set == nil {
		return ""
	}
	var b strings.Builder
	order := map[string]int{}
	for i, d := range set.Sources {
		order[d.ID] = i
	}
	before := func(x content.Heading, p content.Passage) bool {
		return order[x.Source] < order[p.Source] || x.Source == p.Source && x.Start < p.Start
	}
	h := 0
	heading := func(x content.Heading) {
		level := min(max(x.Level, 2), 6)
		if x.Level == 1 {
			level = 1
		}
		b.WriteString(strings.Repeat("#", level) + " " + strings.ReplaceAll(x.Text, "\n", " ") + "\n\n")
	}
	for _, p := range set.Passages {
		for h < len(set.Headings) && before(set.Headings[h], p) {
			heading(set.Headings[h])
			h++
		}
		b.WriteString(p.Text + "\n\n")
	}
	for ; h < len(set.Headings); h++ {
		heading(set.Headings[h])
	}
	return b.String()
}

// parseSource splits a (possibly Markdown) source text into headings and
// paragraphs. Fenced code blocks are skipped: they are not prose.
func parseSource(text string) []block {
	p := &parser{}
	for _, line := range strings.Split(text, "\n") {
		p.line(line)
	}
	p.flush()
	return promoteTitleLines(p.blocks)
}

// parser accumulates the lines of the paragraph being read.
type parser struct {
	blocks []block
	lines  []string
	fenced bool
}

func (p *parser) line(line string) {
	trimmed := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
		p.flush()
		p.fenced = !p.fenced
	case p.fenced:
	case trimmed == "":
		p.flush()
	case atxHeading.MatchString(line):
		p.flush()
		m := atxHeading.FindStringSubmatch(line)
		p.heading(len(m[1]), m[2])
	case setextRule.MatchString(line) && len(p.lines) == 1 && !listMarker.MatchString(p.lines[0]):
		level := 1
		if strings.HasPrefix(trimmed, "-") {
			level = 2
		}
		title := p.lines[0]
		p.lines = nil
		p.heading(level, title)
	case thematic.MatchString(line):
		p.flush()
	default:
		p.lines = append(p.lines, line)
	}
}

func (p *parser) heading(level int, title string) {
	title = strings.TrimSuffix(cleanInline(title), ":")
	if title != "" {
		p.blocks = append(p.blocks, block{heading: true, level: level, title: title})
	}
}

// flush closes the current paragraph.
func (p *parser) flush() {
	var lines []srcLine
	for _, l := range p.lines {
		item := false
		if loc := listMarker.FindStringIndex(l); loc != nil {
			l, item = l[loc[1]:], true
		}
		if text := cleanInline(l); text != "" {
			lines = append(lines, srcLine{text: text, item: item})
		}
	}
	if len(lines) > 0 {
		p.blocks = append(p.blocks, block{lines: lines})
	}
	p.lines = nil
}

// cleanInline removes Markdown inline markup and collapses white space.
func cleanInline(s string) string {
	if strings.Contains(s, "](") {
		s = mdLink.ReplaceAllString(s, "$1")
	}
	if strings.ContainsAny(s, "*_`") {
		s = mdEmphasis.ReplaceAllString(s, "")
	}
	s = strings.TrimLeft(strings.TrimSpace(s), "> ")
	return strings.Join(strings.Fields(s), " ")
}

// promoteTitleLines turns short, title-like lines of plain text into
// headings: a line standing alone between blank lines, or, when the text
// keeps each paragraph on one long line, a short first line followed by
// such a paragraph line. Markdown documents keep their own headings only.
func promoteTitleLines(blocks []block) []block {
	for _, b := range blocks {
		if b.heading {
			return blocks
		}
	}
	unwrapped := unwrappedParagraphs(blocks)
	var out []block
	for i, b := range blocks {
		first := b.lines[0]
		switch {
		case len(b.lines) == 1 && i < len(blocks)-1 && !first.item && titleLike(first.text):
			out = append(out, titleBlock(first.text))
		case unwrapped && len(b.lines) > 1 && !first.item && titleLike(first.text) &&
			utf8.RuneCountInString(b.lines[1].text) > 100:
			out = append(out, titleBlock(first.text), block{lines: b.lines[1:]})
		default:
			out = append(out, b)
		}
	}
	return out
}

func titleBlock(text string) block {
	return block{heading: true, level: plainTitleLevel, title: strings.TrimSuffix(text, ":")}
}

// unwrappedParagraphs reports whether the text keeps each paragraph on one
// long line rather than hard-wrapping it; only then is a short first line
// a title rather than the start of a wrapped sentence.
func unwrappedParagraphs(blocks []block) bool {
	lines, long := 0, 0
	for _, b := range blocks {
		for _, l := range b.lines {
			if l.item {
				continue
			}
			lines++
			if utf8.RuneCountInString(l.text) > 100 {
				long++
			}
		}
	}
	return lines > 0 && long*2 >= lines
}

// titleLike reports a line shaped like a title: short, few words, starting
// with a capital or digit, not ending like a sentence.
func titleLike(line string) bool {
	line = strings.TrimSuffix(strings.TrimSpace(line), ":")
	n := utf8.RuneCountInString(line)
	words := strings.Fields(line)
	if n < 3 || n > 70 || len(words) > 10 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(line)
	last, _ := utf8.DecodeLastRuneInString(line)
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
		return false
	}
	return !strings.ContainsRune(".!?,;…\"”»)", last)
}
