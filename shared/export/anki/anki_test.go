package anki_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export/anki"
	"contentfactory.dev/factory/shared/export/exporttest"
)

var created = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func cards() *content.Flashcards {
	return &content.Flashcards{Title: "Tides, \"moons\" & <seas>", Cards: []content.Flashcard{
		{Front: "Spring tide", Back: "The largest range, at new and full moon.", Difficulty: "easy"},
		{Front: "Neap tide?", Back: "The smallest range,\nat the quarters; a, \"quoted\" <b>word</b>", Difficulty: "medium"},
		{Front: "潮汐", Back: "المد والجزر", Difficulty: "hard"},
	}}
}

// TestTheDeckOpensAsAnAnkiCollection opens the collection inside the
// package with sqlite3 and reads the notes, cards and deck back.
func TestTheDeckOpensAsAnAnkiCollection(t *testing.T) {
	fc := cards()
	data, err := anki.Flashcards(t.Context(), fc, nil, "job-1", created)
	require.NoError(t, err)
	exporttest.Keep(t, "flashcards.apkg", data)

	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	assert.ElementsMatch(t, []string{"collection.anki2", "media"}, names)
	col := filepath.Join(t.TempDir(), "collection.anki2")
	require.NoError(t, os.WriteFile(col, read(t, z, "collection.anki2"), 0o600))
	assert.Equal(t, "{}", string(read(t, z, "media")))

	q := func(sql string) string {
		return strings.TrimSpace(exporttest.Run(t, "sqlite3", "-batch", "-noheader", col, sql))
	}
	assert.Equal(t, "ok", q("PRAGMA integrity_check"))
	assert.Equal(t, "11", q("SELECT ver FROM col"), "Anki's schema 11")
	assert.Equal(t, "3|3", q("SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM cards)"), "one note and one card per flashcard")
	rows := strings.Split(q(`SELECT replace(flds, char(31), '|FIELD|') || '|TAGS|' || tags FROM notes ORDER BY id`), "\n")
	require.Len(t, rows, 3)
	assert.Equal(t, "Spring tide|FIELD|The largest range, at new and full moon.|TAGS| difficulty::easy content-factory ", rows[0])
	assert.Equal(t, "Neap tide?|FIELD|The smallest range,<br>at the quarters; a, &#34;quoted&#34; &lt;b&gt;word&lt;/b&gt;|TAGS| difficulty::medium content-factory ", rows[1])
	assert.Equal(t, "潮汐|FIELD|المد والجزر|TAGS| difficulty::hard content-factory", rows[2], "(the last space is trimmed with the output)")
	assert.Equal(t, "3", q(`SELECT count(*) FROM cards WHERE did = `+strconv.FormatInt(anki.DeckID("job-1"), 10)), "every card in the job's deck")
	assert.Contains(t, q("SELECT decks FROM col"), `"name":"Tides, \"moons\" \u0026 \u003cseas\u003e"`)
	models := q("SELECT models FROM col")
	assert.Contains(t, models, `"name":"Content Factory Basic"`)
	assert.Contains(t, models, `"qfmt":"{{Front}}"`)
	assert.Equal(t, "3", q("SELECT count(DISTINCT guid) FROM notes"))

	again, err := anki.Flashcards(t.Context(), fc, nil, "job-1", created)
	require.NoError(t, err)
	assert.Equal(t, data, again, "the same deck, the same bytes")
}

func TestNotesMustFitTheirType(t *testing.T) {
	_, err := anki.Package(t.Context(), anki.Deck{ID: 1, Name: "x", Notes: []anki.Note{{Type: anki.Basic, Fields: []string{"only front"}}}}, created)
	require.ErrorContains(t, err, "has 1 fields")
}

func TestTheCSVReadsBack(t *testing.T) {
	fc := cards()
	data, err := anki.CSV(fc)
	require.NoError(t, err)
	exporttest.Keep(t, "flashcards.csv", data)
	require.True(t, bytes.HasPrefix(data, []byte("\uFEFF")))
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, len(fc.Cards)+1)
	assert.Equal(t, []string{"front", "back", "difficulty"}, recs[0])
	for i, c := range fc.Cards {
		assert.Equal(t, []string{c.Front, c.Back, c.Difficulty}, recs[i+1])
	}
}

func quiz() *content.Quiz {
	return &content.Quiz{Title: "Tides quiz", Questions: []content.QuizQuestion{
		{Question: "What causes a spring tide?", Answer: "B", Difficulty: "medium", Objective: "Explain the tides",
			Explanation: "The Sun and the Moon pull in line at new and full moon.",
			Options:     []content.QuizOption{{Text: "Wind"}, {Text: "The Sun and Moon in line"}, {Text: "Rivers in flood"}, {Text: "The <b>seasons</b>, \"mostly\""}}},
		{Question: "How many high tides a day?", Answer: "D", Difficulty: "easy", Objective: "Describe the tides",
			Explanation: "Two bulges of water pass each coast a day.",
			Options:     []content.QuizOption{{Text: "One"}, {Text: "Three"}, {Text: "None"}, {Text: "Two"}}},
	}}
}

// TestTheQuizIsANoteTypeOfItsOwn: a deck of flashcards and a quiz holds
// a Basic note per card and a Quiz note per question, every field intact.
func TestTheQuizIsANoteTypeOfItsOwn(t *testing.T) {
	fc, qz := cards(), quiz()
	data, err := anki.Flashcards(t.Context(), fc, qz, "job-2", created)
	require.NoError(t, err)
	exporttest.Keep(t, "flashcards-and-quiz.apkg", data)
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	col := filepath.Join(t.TempDir(), "collection.anki2")
	require.NoError(t, os.WriteFile(col, read(t, z, "collection.anki2"), 0o600))
	q := func(sql string) string {
		return strings.TrimSpace(exporttest.Run(t, "sqlite3", "-batch", "-noheader", col, sql))
	}
	assert.Equal(t, "ok", q("PRAGMA integrity_check"))
	n := len(fc.Cards) + len(qz.Questions)
	assert.Equal(t, strconv.Itoa(n)+"|"+strconv.Itoa(n), q("SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM cards)"))
	assert.Equal(t, strconv.Itoa(len(qz.Questions)), q("SELECT count(*) FROM notes WHERE mid = "+strconv.FormatInt(anki.Quiz.ID, 10)))
	rows := strings.Split(q(`SELECT replace(flds, char(31), '|FIELD|') || '|TAGS|' || tags FROM notes WHERE mid = `+strconv.FormatInt(anki.Quiz.ID, 10)+` ORDER BY id`), "\n")
	require.Len(t, rows, 2)
	assert.Equal(t, "What causes a spring tide?|FIELD|Wind|FIELD|The Sun and Moon in line|FIELD|Rivers in flood|FIELD|The &lt;b&gt;seasons&lt;/b&gt;, &#34;mostly&#34;"+
		"|FIELD|B. The Sun and Moon in line|FIELD|The Sun and the Moon pull in line at new and full moon.|FIELD|Explain the tides|TAGS| difficulty::medium content-factory quiz ", rows[0])
	assert.Contains(t, rows[1], "|FIELD|D. Two|FIELD|")
	models := q("SELECT models FROM col")
	assert.Contains(t, models, `"name":"Content Factory Basic"`)
	assert.Contains(t, models, `"name":"Content Factory Quiz"`)
	assert.Equal(t, strconv.Itoa(n), q("SELECT count(DISTINCT guid) FROM notes"))

	only, err := anki.Flashcards(t.Context(), nil, qz, "job-3", created)
	require.NoError(t, err)
	z, err = zip.NewReader(bytes.NewReader(only), int64(len(only)))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(col, read(t, z, "collection.anki2"), 0o600))
	assert.Equal(t, "2", q("SELECT count(*) FROM notes"), "a quiz alone makes a deck")
	assert.Contains(t, q("SELECT decks FROM col"), `"name":"Tides quiz"`)
}

func TestTheQuizCSVReadsBack(t *testing.T) {
	qz := quiz()
	data, err := anki.QuizCSV(qz)
	require.NoError(t, err)
	exporttest.Keep(t, "quiz.csv", data)
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, len(qz.Questions)+1)
	assert.Equal(t, []string{"question", "a", "b", "c", "d", "answer", "explanation", "difficulty", "objective"}, recs[0])
	for i, x := range qz.Questions {
		want := []string{x.Question}
		for _, o := range x.Options {
			want = append(want, o.Text)
		}
		assert.Equal(t, append(want, x.Answer, x.Explanation, x.Difficulty, x.Objective), recs[i+1])
	}
}

func read(t *testing.T, z *zip.Reader, name string) []byte { return exporttest.ZipFile(t, z, name) }
