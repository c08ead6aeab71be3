package content

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SourceSet is the sources document of a job (sources.json, written once
// by the sources step): every source of the request as it was read, and
// their text split into numbered passages. Every step after it reads the
// passages, never the raw sources.
type SourceSet struct {
	Sources  []SourceDoc `json:"sources"`
	Passages []Passage   `json:"passages"`
	// Headings are the sources' headings in order, those with no text
	// under them included: the outline of each source.
	Headings []Heading `json:"headings,omitempty"`
}

// Heading is one heading of a source.
type Heading struct {
	Source string `json:"source"`
	// Level is 1 to 6 (Markdown #, HTML h1, DOCX Heading 1 or Title),
	// 0 when the source does not say.
	Level int    `json:"level,omitempty"`
	Text  string `json:"text"`
	// Start is its offset in the source's normalized text, in characters.
	Start int `json:"start"`
}

// SourceDoc describes one source as read.
type SourceDoc struct {
	// ID is "s1", "s2", … in the order the request lists its sources
	// (source_text first).
	ID string `json:"id"`
	// Field is the request field it came from: "source_text" or
	// "sources[i]".
	Field string `json:"field"`
	// Kind is SourceKindText, SourceKindUpload or SourceKindURL.
	Kind  string `json:"kind"`
	Title string `json:"title,omitempty"`
	// URL is the link as fetched (after redirects), for links.
	URL string `json:"url,omitempty"`
	// Filename is the uploaded file's name, for uploads.
	Filename string `json:"filename,omitempty"`
	// MediaType is what the bytes are: text/plain, text/markdown,
	// text/html, application/pdf or the DOCX type.
	MediaType string `json:"media_type"`
	// Bytes is the size of what was read (the file, the page, the text).
	Bytes int64 `json:"bytes"`
	// Pages is the page count of a PDF.
	Pages int `json:"pages,omitempty"`
	// Chars is the length of the source's normalized text, in characters:
	// the text passage offsets count in.
	Chars int `json:"chars"`
	// SHA256 is the hex SHA-256 of the normalized text.
	SHA256 string `json:"sha256"`
	// Passages is how many passages the source was split into.
	Passages int `json:"passages"`
	// InputRisk is what the injection screen found in the source's text.
	InputRisk Risk `json:"input_risk"`
}

// Risk is what the injection screen found in a text: a score in [0, 1]
// and the signals behind it. It is recorded, never acted on.
type Risk struct {
	Score   float64  `json:"score" firestore:"score"`
	Signals []string `json:"signals" firestore:"signals"`
}

// Passage is one numbered, paragraph-sized piece of a source's text.
type Passage struct {
	// ID is "p1", "p2", … numbered across the job's sources.
	ID string `json:"id"`
	// Source is the ID of the source it is from.
	Source string `json:"source"`
	// Page is the page it is on (PDF), 0 when the source has no pages.
	Page int `json:"page,omitempty"`
	// Heading is the heading of the section it is in, when the source has
	// headings (Markdown, HTML, DOCX).
	Heading string `json:"heading,omitempty"`
	// Start and End are its offsets in the source's normalized text, in
	// characters (Unicode code points), End exclusive: Text is exactly
	// that range.
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Block is one structural piece of an extracted document: a heading (of
// Level 1 to 6, 0 when unknown) or a paragraph, and the page it is on
// (0: none).
type Block struct {
	Text    string
	Heading bool
	Level   int
	Page    int
}

// Passage sizes, in characters. A paragraph is a passage; paragraphs
// shorter than MinPassageLen are joined with the next ones of the same
// section and page; a paragraph longer than MaxPassageLen is cut at
// sentence ends (at spaces when a sentence is longer still).
const (
	MinPassageLen = 200
	MaxPassageLen = 1500
)

// Split is a source's normalized text and its passages.
type Split struct {
	// Text is the normalized text: the blocks' texts, each cleaned
	// (CleanText) and joined with a blank line.
	Text     string
	Chars    int
	SHA256   string
	Passages []Passage
	Headings []Heading
}

// SplitPassages normalizes a source's blocks and splits them into
// passages numbered from first (p<first>, …), attributed to source id.
// Empty blocks are dropped; a heading is part of the text but of no
// passage: it names the passages after it.
func SplitPassages(id string, blocks []Block, first int) Split {
	var text strings.Builder
	var passages []Passage
	var headings []Heading
	pos := 0 // characters written so far
	var cur *Passage
	heading, page := "", 0
	closeCur := func() {
		if cur != nil {
			passages = append(passages, *cur)
			cur = nil
		}
	}
	write := func(s string) (start, end int) {
		if text.Len() > 0 {
			text.WriteString("\n\n")
			pos += 2
		}
		start = pos
		text.WriteString(s)
		pos += utf8.RuneCountInString(s)
		return start, pos
	}
	for _, b := range blocks {
		t := CleanText(b.Text)
		if b.Heading {
			t = CleanLine(t)
		}
		if t == "" {
			continue
		}
		if b.Page != page {
			closeCur()
			page = b.Page
		}
		if b.Heading {
			closeCur()
			start, _ := write(t)
			headings = append(headings, Heading{Source: id, Level: b.Level, Text: t, Start: start})
			heading = t
			continue
		}
		start, _ := write(t)
		for _, piece := range cutParagraph(t) {
			pStart, pEnd := start+piece[0], start+piece[1]
			if cur != nil && cur.End-cur.Start < MinPassageLen && pEnd-cur.Start <= MaxPassageLen {
				cur.End = pEnd
				continue
			}
			closeCur()
			cur = &Passage{Source: id, Page: page, Heading: heading, Start: pStart, End: pEnd}
		}
	}
	closeCur()
	full := text.String()
	runes := []rune(full)
	for i := range passages {
		p := &passages[i]
		p.ID = "p" + strconv.Itoa(first+i)
		p.Text = string(runes[p.Start:p.End])
	}
	sum := sha256.Sum256([]byte(full))
	return Split{Text: full, Chars: len(runes), SHA256: hex.EncodeToString(sum[:]), Passages: passages, Headings: headings}
}

// cutParagraph returns the character ranges a paragraph is cut into: the
// whole of it when it is at most MaxPassageLen long, else runs of whole
// sentences of at most that length.
func cutParagraph(p string) [][2]int {
	runes := []rune(p)
	if len(runes) <= MaxPassageLen {
		return [][2]int{{0, len(runes)}}
	}
	var out [][2]int
	start := 0
	for start < len(runes) {
		// Skip the space between pieces.
		for start < len(runes) && unicode.IsSpace(runes[start]) {
			start++
		}
		if start >= len(runes) {
			break
		}
		if len(runes)-start <= MaxPassageLen {
			out = append(out, [2]int{start, trimEnd(runes, start, len(runes))})
			break
		}
		limit := start + MaxPassageLen
		end := lastBreak(runes, start, limit, true)
		if end <= start {
			end = lastBreak(runes, start, limit, false)
		}
		if end <= start {
			end = limit
		}
		out = append(out, [2]int{start, trimEnd(runes, start, end)})
		start = end
	}
	return out
}

// lastBreak returns the position after the last sentence end (sentences
// true) or space before limit, at least half a passage in, or -1.
func lastBreak(runes []rune, start, limit int, sentences bool) int {
	for i := limit; i > start+MaxPassageLen/2; i-- {
		if i >= len(runes) || !unicode.IsSpace(runes[i]) {
			continue
		}
		if !sentences || strings.ContainsRune(".!?…。", runes[i-1]) {
			return i
		}
	}
	return -1
}

// trimEnd moves end back over trailing white space.
func trimEnd(runes []rune, start, end int) int {
	for end > start && unicode.IsSpace(runes[end-1]) {
		end--
	}
	return end
}

// TextBlocks splits a text source (plain text or Markdown, kept as it is)
// into blocks: paragraphs separated by blank lines, and Markdown headings
// (ATX "# Title" and setext underlines), which name the passages after
// them. A fenced code block stays one block.
func TextBlocks(text string) []Block {
	var blocks []Block
	var para []string
	fenced := false
	flush := func() {
		if len(para) > 0 {
			blocks = append(blocks, Block{Text: strings.Join(para, "\n")})
			para = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		fence := strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")
		switch {
		case fenced:
			para = append(para, line)
			if fence {
				fenced = false
				flush()
			}
		case fence:
			flush()
			fenced = true
			para = append(para, line)
		case trimmed == "":
			flush()
		case atxTitle(line) != "":
			flush()
			title, level := atx(line)
			blocks = append(blocks, Block{Text: title, Heading: true, Level: level})
		case len(para) == 1 && setextRule(trimmed):
			level := 1
			if strings.HasPrefix(trimmed, "-") {
				level = 2
			}
			blocks = append(blocks, Block{Text: para[0], Heading: true, Level: level})
			para = nil
		default:
			para = append(para, line)
		}
	}
	flush()
	return blocks
}

// atxTitle returns the title of an ATX heading line ("## Title ##"), or "".
func atxTitle(line string) string {
	title, _ := atx(line)
	return title
}

// atx returns the title and level of an ATX heading line, or "" and 0.
func atx(line string) (string, int) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return "", 0
	}
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(t) || (t[n] != ' ' && t[n] != '\t') {
		return "", 0
	}
	title := strings.TrimSpace(t[n:])
	title = strings.TrimSpace(strings.TrimRight(title, "#"))
	return title, n
}

// setextRule reports a line of only "=" or only "-" (a setext underline).
func setextRule(trimmed string) bool {
	return trimmed != "" && (strings.Trim(trimmed, "=") == "" || strings.Trim(trimmed, "-") == "")
}

// SourcesSummary is what the job's step record keeps of its sources (the
// text itself stays in sources.json): counts and hashes, and what the
// injection screen found in each source.
type SourcesSummary struct {
	Sources  int             `json:"sources" firestore:"sources"`
	Passages int             `json:"passages" firestore:"passages"`
	Chars    int             `json:"chars" firestore:"chars"`
	Items    []SourceSummary `json:"items" firestore:"items"`
}

// SourceSummary is one source in a SourcesSummary.
type SourceSummary struct {
	ID        string `json:"id" firestore:"id"`
	Field     string `json:"field" firestore:"field"`
	Kind      string `json:"kind" firestore:"kind"`
	MediaType string `json:"media_type" firestore:"media_type"`
	Bytes     int64  `json:"bytes" firestore:"bytes"`
	Chars     int    `json:"chars" firestore:"chars"`
	Passages  int    `json:"passages" firestore:"passages"`
	SHA256    string `json:"sha256" firestore:"sha256"`
	InputRisk Risk   `json:"input_risk" firestore:"input_risk"`
}

// Summary is the set's SourcesSummary.
func (s *SourceSet) Summary() *SourcesSummary {
	out := &SourcesSummary{Sources: len(s.Sources), Passages: len(s.Passages), Items: []SourceSummary{}}
	for _, d := range s.Sources {
		out.Chars += d.Chars
		out.Items = append(out.Items, SourceSummary{
			ID: d.ID, Field: d.Field, Kind: d.Kind, MediaType: d.MediaType, Bytes: d.Bytes,
			Chars: d.Chars, Passages: d.Passages, SHA256: d.SHA256, InputRisk: d.InputRisk,
		})
	}
	return out
}

// Add reads a source's blocks into the set: the source gets the next id
// (s1, s2, …), its blocks are split into passages numbered after the
// set's (SplitPassages), and d is completed with its text's length, hash
// and passage count. It returns the completed description.
func (s *SourceSet) Add(d SourceDoc, blocks []Block) SourceDoc {
	d.ID = "s" + strconv.Itoa(len(s.Sources)+1)
	sp := SplitPassages(d.ID, blocks, len(s.Passages)+1)
	d.Chars, d.SHA256, d.Passages = sp.Chars, sp.SHA256, len(sp.Passages)
	if d.InputRisk.Signals == nil {
		d.InputRisk.Signals = []string{}
	}
	s.Sources = append(s.Sources, d)
	s.Passages = append(s.Passages, sp.Passages...)
	s.Headings = append(s.Headings, sp.Headings...)
	return d
}

// TextSources is the set a request's text sources make on their own
// (source_text and text sources; uploads and links need the sources
// step): what a job made before the sources step existed reads.
func TextSources(r *Request) *SourceSet {
	set := &SourceSet{Sources: []SourceDoc{}, Passages: []Passage{}}
	for _, src := range r.AllSources() {
		if src.Kind() != SourceKindText {
			continue
		}
		set.Add(SourceDoc{Field: src.Field, Kind: SourceKindText, Title: src.Title, MediaType: MediaMarkdown,
			Bytes: int64(len(src.Text))}, TextBlocks(src.Text))
	}
	if len(set.Sources) == 0 {
		return nil
	}
	return set
}
