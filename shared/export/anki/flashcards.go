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

// Flashcards makes the deck of a job's flashcards: one Basic note per
// card, tagged with its difficulty. key (the job ID) keeps the deck's and
// the notes' identities stable, so importing a newer version of the same
// job's deck updates its notes.
func Flashcards(ctx context.Context, fc *content.Flashcards, key string, created time.Time) ([]byte, error) {
	d := Deck{ID: DeckID(key), Name: fc.Title}
	for i, c := range fc.Cards {
		d.Notes = append(d.Notes, Note{Type: Basic, Fields: []string{c.Front, c.Back},
			Tags: []string{DifficultyTag(c.Difficulty), "content-factory"}, GUID: key + "/flashcards/" + strconv.Itoa(i+1)})
	}
	return Package(ctx, d, created)
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
