package anki

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"contentfactory.dev/factory/shared/content"
)

// DifficultyTag is the tag of a card's difficulty: difficulty::easy,
// ::medium or ::hard (Anki shows "::" as a tag hierarchy).
func DifficultyTag(d string) string { return "difficulty::" + d }

// Flashcards makes the deck of a job's flashcards and quiz, either of
// which may be nil: one Basic note per card and one Quiz note per
// question, each tagged with its difficulty. key (the job ID) keeps the
// deck's and the notes' identities stable, so importing a newer version
// of the same job's deck updates its notes.
func Flashcards(ctx context.Context, fc *content.Flashcards, quiz *content.Quiz, key string, created time.Time) ([]byte, error) {
	d := Deck{ID: DeckID(key)}
	if fc != nil {
		d.Name = fc.Title
		for i, c := range fc.Cards {
			d.Notes = append(d.Notes, Note{Type: Basic, Fields: []string{c.Front, c.Back},
				Tags: []string{DifficultyTag(c.Difficulty), "content-factory"}, GUID: key + "/flashcards/" + strconv.Itoa(i+1)})
		}
	}
	if quiz != nil {
		if d.Name == "" {
			d.Name = quiz.Title
		}
		for i, q := range quiz.Questions {
			d.Notes = append(d.Notes, Note{Type: Quiz, Fields: quizFields(q),
				Tags: []string{DifficultyTag(q.Difficulty), "content-factory", "quiz"}, GUID: key + "/quiz/" + strconv.Itoa(i+1)})
		}
	}
	return Package(ctx, d, created)
}

// Quiz is the quiz's note type: a question, its four options, the
// answer (its letter and text), the explanation and the learning
// objective it checks; one card shows the question and the options, and
// turned over, the answer and why.
var Quiz = &NoteType{
	ID:     1730419200002,
	Name:   "Content Factory Quiz",
	Fields: []string{"Question", "A", "B", "C", "D", "Answer", "Explanation", "Objective"},
	Templates: []Template{{Name: "Question",
		Question: "{{Question}}\n<ol type=\"A\" class=options><li>{{A}}</li><li>{{B}}</li><li>{{C}}</li><li>{{D}}</li></ol>",
		Answer:   "{{FrontSide}}\n\n<hr id=answer>\n\n<p><b>{{Answer}}</b></p>\n<p>{{Explanation}}</p>\n<p class=objective>{{Objective}}</p>"}},
	CSS: ".card { font-family: sans-serif; font-size: 20px; color: black; background-color: white; } .options { text-align: left; } .objective { font-size: 16px; color: #555; }",
}

// quizFields are a question's fields in the order of Quiz's.
func quizFields(q content.QuizQuestion) []string {
	f := []string{q.Question, "", "", "", "", answerText(q), q.Explanation, q.Objective}
	for i, o := range q.Options {
		if i < 4 {
			f[1+i] = o.Text
		}
	}
	return f
}

// answerText is the letter of the correct option and its text: "B. The
// clepsydra".
func answerText(q content.QuizQuestion) string {
	if o, k := q.Correct(); k >= 0 {
		return q.Answer + ". " + o.Text
	}
	return q.Answer
}

// CSVContentType is the media type of the flashcards' CSV.
const CSVContentType = "text/csv; charset=utf-8"

// CSV writes the flashcards as CSV (RFC 4180) with a header row: front,
// back, difficulty. It starts with a byte-order mark, so spreadsheet
// programs read it as UTF-8; Anki's importer takes it as it is.
func CSV(fc *content.Flashcards) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write([]string{"front", "back", "difficulty"}); err != nil {
		return nil, fmt.Errorf("flashcards csv: %w", err)
	}
	for _, c := range fc.Cards {
		if err := w.Write([]string{c.Front, c.Back, c.Difficulty}); err != nil {
			return nil, fmt.Errorf("flashcards csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("flashcards csv: %w", err)
	}
	return b.Bytes(), nil
}

// QuizCSV writes the quiz as CSV, as CSV writes the flashcards: a header
// row (question, a, b, c, d, answer, explanation, difficulty, objective)
// and one row per question, its answer the letter of the correct option.
func QuizCSV(q *content.Quiz) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write([]string{"question", "a", "b", "c", "d", "answer", "explanation", "difficulty", "objective"}); err != nil {
		return nil, fmt.Errorf("quiz csv: %w", err)
	}
	for _, x := range q.Questions {
		f := quizFields(x)
		if err := w.Write([]string{x.Question, f[1], f[2], f[3], f[4], x.Answer, x.Explanation, x.Difficulty, x.Objective}); err != nil {
			return nil, fmt.Errorf("quiz csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("quiz csv: %w", err)
	}
	return b.Bytes(), nil
}
