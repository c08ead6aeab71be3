// Package exporttest holds what the tests of the exports share: a whole
// bundle made by the offline backends, a bundle in many scripts, the
// readers (poppler, pandoc, epubcheck, sqlite3) the exports are checked
// with, and a folder under .build/ where the files are kept for people
// to look at.
package exporttest

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/cover"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
)

// Full is every text format of the timekeeping fixture (dated, so that
// its timeline applies), made by the offline backend (its items citing
// the fixture's passages), with its offline cover.
func Full(t testing.TB) (export.Bundle, *export.Image) {
	t.Helper()
	req := aitest.FixtureNamed(t, "timekeeping").Request
	o := aitest.Outline(t, extract.Text{}, req)
	b := export.Bundle{Title: o.Title, Topic: req.Topic, Sources: content.TextSources(&req)}
	for _, f := range content.TextFormats() {
		res := aitest.Document(t, extract.Text{}, req, f)
		doc, err := content.ValidateText(f, res.JSON, content.Expect{})
		require.NoError(t, err, f)
		b.Docs = append(b.Docs, export.Doc{Format: f, Value: doc})
	}
	img, err := cover.Image{}.GenerateImage(t.Context(), ai.ImageRequest{JobID: "exporttest", Request: &req, Outline: o})
	require.NoError(t, err)
	return b, &export.Image{Data: img.Data, MIMEType: img.MIMEType, Alt: img.AltText, Width: img.Width, Height: img.Height}
}

// Scripts are the words the many-scripts bundle is written in, each of
// which an export must show.
var Scripts = map[string]string{
	"Japanese": "光合成は植物が光のエネルギーを使って糖を作る仕組みです。",
	"Arabic":   "البناء الضوئي عملية تصنع بها النباتات غذاءها",
	"Hebrew":   "פוטוסינתזה היא תהליך",
	"Greek":    "Η φωτοσύνθεση είναι βασική διεργασία",
	"Russian":  "Фотосинтез — основа жизни на Земле",
	"Chinese":  "叶绿体是进行光合作用的细胞器",
	"Korean":   "광합성은 식물의 중요한 과정이다",
}

// ManyScripts is a bundle whose title is Japanese and Arabic and whose
// documents hold text in every script of Scripts, with a flashcard deck.
func ManyScripts() export.Bundle {
	title := "光合成の仕組み — البناء الضوئي"
	var cards []content.Flashcard
	for _, name := range []string{"Japanese", "Arabic", "Hebrew", "Greek", "Russian", "Chinese", "Korean"} {
		cards = append(cards, content.Flashcard{Front: name, Back: Scripts[name], Difficulty: "medium"})
	}
	return export.Bundle{Title: title, Topic: "光合成 (photosynthesis)", Docs: []export.Doc{
		{Format: content.FormatOnePager, Value: &content.OnePager{
			Title:            title,
			ExecutiveSummary: Scripts["Japanese"] + " " + Scripts["Chinese"],
			KeyTakeaways:     content.Takeaways(Scripts["Arabic"], Scripts["Hebrew"]+" (1789)", Scripts["Greek"], Scripts["Russian"], Scripts["Korean"]),
			MainContent:      "## 葉緑体\n\n" + Scripts["Japanese"] + "\n\n## " + Scripts["Arabic"] + "\n\n" + Scripts["Arabic"] + "، وهي مهمة جدا للحياة على الأرض.",
		}},
		{Format: content.FormatFlashcards, Value: &content.Flashcards{Title: title, Cards: cards}},
	}}
}

// Reader returns the path of a reader program the exports are checked
// with. Missing, it skips the test under -short and fails it otherwise:
// CI installs every reader (.ci/run).
func Reader(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testing.Short() {
			t.Skipf("%s is not installed (Debian: %s); skipped under -short", name, debianPackage[name])
		}
		require.FailNow(t, "reader missing", "%s is not installed: apt-get install %s (.ci/run installs it)", name, debianPackage[name])
	}
	return p
}

var debianPackage = map[string]string{
	"pdfinfo": "poppler-utils", "pdftotext": "poppler-utils", "pdffonts": "poppler-utils", "pdftoppm": "poppler-utils",
	"pandoc": "pandoc", "epubcheck": "epubcheck", "sqlite3": "sqlite3",
}

// Run runs a reader and returns what it printed; it fails the test when
// the reader fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	path := Reader(t, name)
	// Debian's epubcheck is the jar itself, run through binfmt_misc
	// where that is set up: run it with java everywhere.
	if real, err := filepath.EvalSymlinks(path); err == nil && strings.HasSuffix(real, ".jar") {
		path, args = "java", append([]string{"-jar", real}, args...)
	}
	cmd := exec.CommandContext(t.Context(), path, args...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// Keep writes an export under .build/exports/ at the repository root, for
// people to look at, and returns its path.
func Keep(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir := filepath.Join(aitest.RepoRoot(t), ".build", "exports")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// JSON is a value as indented JSON (for messages).
func JSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// ZipFile reads one file of a zip (the exports that are zips: DOCX, EPUB,
// Anki packages).
func ZipFile(t testing.TB, z *zip.Reader, name string) []byte {
	t.Helper()
	f, err := z.Open(name)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}
