// Package chapters divides a narrated podcast into chapters: the intro,
// then one chapter per outline section the conversation covers (the
// script follows the outline's sections in order; each turn goes to the
// section whose words it shares most, keeping that order), the outro
// closing the last. It writes them as Podcasting 2.0 chapters JSON and as
// ID3v2 chapter frames (CHAP, with a CTOC table of contents) for the MP3.
package chapters

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// ContentType is the media type of Podcasting 2.0 chapters.
const ContentType = "application/json+chapters"

// Chapter is a titled stretch of the narration.
type Chapter struct {
	Title      string
	Start, End time.Duration
}

// Make divides the narration into chapters. cues are the narration's, one
// per spoken part: the intro, every turn, the outro (ai.SpeechResult).
// Without an outline the intro and the conversation are the chapters.
func Make(script *content.PodcastScript, outline *content.Outline, cues []ai.Cue) ([]Chapter, error) {
	if len(cues) != len(script.Turns)+2 {
		return nil, fmt.Errorf("chapters: %d cues for %d turns with an intro and an outro", len(cues), len(script.Turns))
	}
	out := []Chapter{{Title: script.Title, Start: 0, End: cues[0].End}}
	var sections []string
	var owner []int
	if outline != nil && len(outline.Sections) > 0 {
		owner = align(script.Turns, outline.Sections)
		for _, s := range outline.Sections {
			sections = append(sections, s.Title)
		}
	} else {
		sections = []string{script.Title}
		owner = make([]int, len(script.Turns))
	}
	for i := range script.Turns {
		cue := cues[i+1]
		if i > 0 && owner[i] == owner[i-1] {
			out[len(out)-1].End = cue.End
			continue
		}
		out = append(out, Chapter{Title: sections[owner[i]], Start: cue.Start, End: cue.End})
	}
	out[len(out)-1].End = cues[len(cues)-1].End // the outro closes the last chapter
	return out, nil
}

// align gives each turn a section, in non-decreasing order, maximizing
// the words turns share with their sections.
func align(turns []content.Turn, sections []content.OutlineSection) []int {
	secWords := make([]map[string]bool, len(sections))
	for j, s := range sections {
		secWords[j] = words(s.Title+" "+s.Title+" "+s.Description+" "+strings.Join(s.KeyPoints, " "), nil)
	}
	n, m := len(turns), len(sections)
	if n == 0 {
		return nil
	}
	score := make([][]float64, n)
	for i, t := range turns {
		tw := words(t.Text, nil)
		score[i] = make([]float64, m)
		for j := range m {
			for w := range tw {
				if secWords[j][w] {
					score[i][j]++
				}
			}
		}
	}
	// best[i][j]: the best total for turns 0..i with turn i in section j.
	best := make([][]float64, n)
	from := make([][]int, n)
	for i := range n {
		best[i], from[i] = make([]float64, m), make([]int, m)
		for j := range m {
			if i == 0 {
				best[i][j] = score[i][j] - float64(j)*1e-6 // ties go to the earlier section
				continue
			}
			k := 0
			for c := 1; c <= j; c++ {
				if best[i-1][c] > best[i-1][k] {
					k = c
				}
			}
			best[i][j], from[i][j] = score[i][j]+best[i-1][k], k
		}
	}
	out := make([]int, n)
	j := 0
	for c := range m {
		if best[n-1][c] > best[n-1][j]+1e-9 {
			j = c
		}
	}
	for i := n - 1; i >= 0; i-- {
		out[i] = j
		j = from[i][j]
	}
	return out
}

// words are the lower-cased words of at least four letters (or any CJK
// character) in s.
func words(s string, into map[string]bool) map[string]bool {
	if into == nil {
		into = map[string]bool{}
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		rs := []rune(w)
		if unicode.In(rs[0], unicode.Han, unicode.Hiragana, unicode.Katakana) {
			for _, r := range rs {
				into[string(r)] = true
			}
			continue
		}
		if len(rs) >= 4 {
			into[w] = true
		}
	}
	return into
}

// JSON writes the chapters in the Podcasting 2.0 chapters format
// (version 1.2.0): start and end times in seconds, titles.
func JSON(chs []Chapter) ([]byte, error) {
	type chapter struct {
		StartTime float64 `json:"startTime"`
		EndTime   float64 `json:"endTime"`
		Title     string  `json:"title"`
	}
	doc := struct {
		Version  string    `json:"version"`
		Chapters []chapter `json:"chapters"`
	}{Version: "1.2.0"}
	for _, c := range chs {
		doc.Chapters = append(doc.Chapters, chapter{StartTime: seconds(c.Start), EndTime: seconds(c.End), Title: c.Title})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("chapters: %w", err)
	}
	return b, nil
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// ID3 returns an ID3v2.3 tag with a CTOC frame listing every chapter in
// order and a CHAP frame per chapter (start and end in milliseconds, a
// TIT2 title in UTF-16), to be put before the MP3's first frame.
func ID3(chs []Chapter) []byte {
	var frames []byte
	toc := []byte("toc\x00")
	toc = append(toc, 0x03, byte(len(chs))) // top level, ordered
	for i := range chs {
		toc = append(toc, fmt.Sprintf("chp%d\x00", i+1)...)
	}
	frames = append(frames, frame("CTOC", toc)...)
	for i, c := range chs {
		body := []byte(fmt.Sprintf("chp%d\x00", i+1))
		body = binary.BigEndian.AppendUint32(body, uint32(c.Start.Milliseconds()))
		body = binary.BigEndian.AppendUint32(body, uint32(c.End.Milliseconds()))
		body = binary.BigEndian.AppendUint32(body, 0xFFFFFFFF) // no byte offsets: times are used
		body = binary.BigEndian.AppendUint32(body, 0xFFFFFFFF)
		body = append(body, frame("TIT2", utf16Text(c.Title))...)
		frames = append(frames, frame("CHAP", body)...)
	}
	n := len(frames)
	tag := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	return append(tag, frames...)
}

// frame is an ID3v2.3 frame: id, size (not syncsafe in 2.3), no flags.
func frame(id string, body []byte) []byte {
	out := append([]byte(id), 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(out[4:], uint32(len(body)))
	return append(out, body...)
}

// utf16Text is a text frame's body: encoding 1 (UTF-16 with a byte-order
// mark), the text, a terminating null.
func utf16Text(s string) []byte {
	out := []byte{1, 0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return append(out, 0, 0)
}
