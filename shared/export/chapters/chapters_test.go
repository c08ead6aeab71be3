package chapters_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"slices"
	"testing"
	"time"
	"unicode/utf16"

	gomp3 "github.com/hajimehoshi/go-mp3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export/chapters"
)

// narrate times a script as a synthesizer would: a cue per part, each
// two seconds per ten words.
func narrate(s *content.PodcastScript) []ai.Cue {
	var cues []ai.Cue
	var at time.Duration
	add := func(speaker, text string) {
		d := time.Duration(len(text)/6+1) * 200 * time.Millisecond
		cues = append(cues, ai.Cue{Start: at, End: at + d, Speaker: speaker, Text: text})
		at += d
	}
	add(s.Speakers[0].Name, s.Intro)
	for _, t := range s.Turns {
		add(t.Speaker, t.Text)
	}
	add(s.Speakers[0].Name, s.Outro)
	return cues
}

func script(t *testing.T) (*content.PodcastScript, *content.Outline) {
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	o := aitest.Outline(t, extract.Text{}, req)
	res := aitest.Document(t, extract.Text{}, req, content.FormatPodcastScript)
	var s content.PodcastScript
	require.NoError(t, json.Unmarshal(res.JSON, &s))
	return &s, o
}

func TestChaptersFollowTheOutlineSections(t *testing.T) {
	s, o := script(t)
	cues := narrate(s)
	chs, err := chapters.Make(s, o, cues)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(chs), 3)
	assert.Equal(t, s.Title, chs[0].Title, "the intro")
	assert.Zero(t, chs[0].Start)
	assert.Equal(t, cues[len(cues)-1].End, chs[len(chs)-1].End, "the outro closes the last chapter")
	titles := o.SectionTitles()
	last := -1
	for i, c := range chs[1:] {
		k := slices.Index(titles, c.Title)
		require.GreaterOrEqual(t, k, 0, "chapter %q is an outline section", c.Title)
		assert.Greater(t, k, last, "sections in the outline's order")
		last = k
		assert.Equal(t, chs[i].End, c.Start, "chapters follow each other without gap")
		assert.Less(t, c.Start, c.End)
	}
	// The offline host opens each section by its title: the first
	// sections the conversation reaches are chapters.
	assert.Equal(t, titles[0], chs[1].Title)
	assert.Equal(t, titles[1], chs[2].Title)

	_, err = chapters.Make(s, o, cues[1:])
	require.Error(t, err, "cues that do not match the script make no chapters")
}

func TestChaptersJSONIsPodcasting20(t *testing.T) {
	chs := []chapters.Chapter{{Title: "Intro", Start: 0, End: 1500 * time.Millisecond}, {Title: "光合成", Start: 1500 * time.Millisecond, End: 4 * time.Second}}
	b, err := chapters.JSON(chs)
	require.NoError(t, err)
	var doc struct {
		Version  string `json:"version"`
		Chapters []struct {
			StartTime float64 `json:"startTime"`
			EndTime   float64 `json:"endTime"`
			Title     string  `json:"title"`
		} `json:"chapters"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, "1.2.0", doc.Version)
	require.Len(t, doc.Chapters, 2)
	assert.Equal(t, 1.5, doc.Chapters[1].StartTime)
	assert.Equal(t, "光合成", doc.Chapters[1].Title)
}

// chapFrame is a CHAP frame as read back.
type chapFrame struct {
	id         string
	start, end uint32
	title      string
}

// readTag parses an ID3v2.3 tag: the CTOC's children and the CHAP frames.
func readTag(t *testing.T, b []byte) (toc []string, chaps []chapFrame, size int) {
	require.Equal(t, "ID3", string(b[:3]))
	require.Equal(t, byte(3), b[3], "ID3v2.3")
	n := int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9])
	body := b[10 : 10+n]
	for len(body) >= 10 {
		id, sz := string(body[:4]), int(binary.BigEndian.Uint32(body[4:8]))
		f := body[10 : 10+sz]
		body = body[10+sz:]
		switch id {
		case "CTOC":
			e := bytes.IndexByte(f, 0)
			require.Equal(t, "toc", string(f[:e]))
			flags, count := f[e+1], int(f[e+2])
			assert.Equal(t, byte(3), flags, "top-level and ordered")
			rest := f[e+3:]
			for range count {
				k := bytes.IndexByte(rest, 0)
				toc = append(toc, string(rest[:k]))
				rest = rest[k+1:]
			}
		case "CHAP":
			e := bytes.IndexByte(f, 0)
			c := chapFrame{id: string(f[:e]), start: binary.BigEndian.Uint32(f[e+1:]), end: binary.BigEndian.Uint32(f[e+5:])}
			sub := f[e+17:]
			require.Equal(t, "TIT2", string(sub[:4]))
			text := sub[10 : 10+int(binary.BigEndian.Uint32(sub[4:8]))]
			require.Equal(t, []byte{1, 0xFF, 0xFE}, text[:3], "UTF-16 with a byte-order mark")
			var units []uint16
			for i := 3; i+1 < len(text)-2; i += 2 {
				units = append(units, binary.LittleEndian.Uint16(text[i:]))
			}
			c.title = string(utf16.Decode(units))
			chaps = append(chaps, c)
		}
	}
	return toc, chaps, 10 + n
}

func TestTheMP3CarriesItsChaptersAndStillPlays(t *testing.T) {
	s, o := script(t)
	cues := narrate(s)
	chs, err := chapters.Make(s, o, cues)
	require.NoError(t, err)
	h := mp3.Header{Version: mp3.MPEG2, Bitrate: 32000, SampleRate: 24000, Mono: true}
	frames, err := mp3.Frames(h, cues[len(cues)-1].End, nil)
	require.NoError(t, err)
	file := append(chapters.ID3(chs), frames...)

	toc, chaps, size := readTag(t, file)
	require.Len(t, chaps, len(chs))
	require.Len(t, toc, len(chs))
	for i, c := range chs {
		assert.Equal(t, toc[i], chaps[i].id, "the table of contents lists the chapters in order")
		assert.Equal(t, c.Title, chaps[i].title)
		assert.Equal(t, uint32(c.Start.Milliseconds()), chaps[i].start)
		assert.Equal(t, uint32(c.End.Milliseconds()), chaps[i].end)
		if i > 0 {
			assert.Greater(t, chaps[i].start, chaps[i-1].start, "start times in order")
		}
	}
	assert.Equal(t, frames, file[size:], "the audio follows the tag unchanged")

	a, err := mp3.Parse(file)
	require.NoError(t, err)
	assert.Equal(t, frames, a.Data)
	dec, err := gomp3.NewDecoder(bytes.NewReader(file))
	require.NoError(t, err, "a decoder skips the tag")
	pcm, err := io.ReadAll(dec)
	require.NoError(t, err)
	assert.NotEmpty(t, pcm)
}
