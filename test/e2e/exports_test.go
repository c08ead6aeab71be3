package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/assemble"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export/exporttest"
)

// made is what a job's text steps made, which its exports must hold.
type made struct {
	outline *content.Outline
	cards   *content.Flashcards
	quiz    *content.Quiz
	// epubcheck: check the EPUB with epubcheck (a few seconds of Java
	// each, so for one job of a run).
	epubcheck bool
}

// checkExport opens an export the package step made with the program a
// reader would (pdftotext, pandoc, epubcheck, sqlite3) and checks it holds
// the job's documents. It reports false for a name that is no export.
func checkExport(t *testing.T, name string, data []byte, m made) bool {
	t.Helper()
	switch name {
	case assemble.BundlePDF:
		require.True(t, bytes.HasPrefix(data, []byte("%PDF-")), "a PDF")
		text := exporttest.Run(t, "pdftotext", "-enc", "UTF-8", keep(t, name, data), "-")
		assert.Contains(t, squash(text), squash(m.outline.Title), "the PDF's text holds the outline's title")
	case assemble.BundleDOCX:
		text := exporttest.Run(t, "pandoc", "--standalone", "--from", "docx", "--to", "plain", "--wrap", "none", keep(t, name, data))
		assert.Contains(t, text, m.outline.Title, "pandoc reads the outline's title")
		for _, s := range m.outline.Sections {
			assert.Contains(t, text, s.Title, "pandoc reads the section %q", s.Title)
		}
	case assemble.BundleEPUB:
		z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err, "an EPUB is a zip")
		assert.Equal(t, "application/epub+zip", string(exporttest.ZipFile(t, z, "mimetype")))
		if m.epubcheck {
			out := exporttest.Run(t, "epubcheck", keep(t, name, data))
			assert.Regexp(t, `(?m)^Messages: 0 fatals / 0 errors`, out)
		}
	case assemble.FlashcardsAnki:
		z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err, "an Anki package is a zip")
		db := keep(t, "collection.anki2", exporttest.ZipFile(t, z, "collection.anki2"))
		notes := strings.TrimSpace(exporttest.Run(t, "sqlite3", db, "SELECT count(*) FROM notes"))
		require.True(t, m.cards != nil || m.quiz != nil, "a deck only when flashcards or a quiz are made")
		want := 0
		if m.cards != nil {
			want += len(m.cards.Cards)
		}
		if m.quiz != nil {
			want += len(m.quiz.Questions)
		}
		assert.Equal(t, strconv.Itoa(want), notes, "one note per card and per quiz question")
	case assemble.FlashcardsCSV:
		require.NotNil(t, m.cards, "a CSV only when flashcards are made")
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, len(m.cards.Cards)+1, "a header, then one row per card")
		assert.Equal(t, m.cards.Cards[0].Front, recs[1][0])
	case assemble.QuizCSV:
		require.NotNil(t, m.quiz, "a quiz CSV only when a quiz is made")
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, len(m.quiz.Questions)+1, "a header, then one row per question")
		assert.Equal(t, m.quiz.Questions[0].Question, recs[1][0])
		assert.Equal(t, m.quiz.Questions[0].Answer, recs[1][5])
	default:
		return false
	}
	return true
}

// keep writes an export to the test's temporary folder for a reader.
func keep(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// squash joins a text's words with single spaces (pdftotext breaks lines
// where the page does).
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
