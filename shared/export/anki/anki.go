// Package anki writes Anki decks (.apkg): a zip holding the collection,
// an SQLite database in Anki's schema 11 (which every Anki since 2.1 and
// AnkiDroid import), and an empty media map. The database is written
// with modernc.org/sqlite, a pure-Go SQLite, so the function builds
// without cgo.
//
// A deck holds notes of one or more note types: Basic is the flashcards'
// (Front, Back, one card each), Quiz the quiz's (a question, its four
// options, the answer and why, one card each).
package anki

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// ContentType is the media type of an Anki package.
const ContentType = "application/vnd.anki"

// NoteType is an Anki note type ("model"): named fields and the card
// templates made from them.
type NoteType struct {
	// ID is stable across decks, so importing a second deck reuses the
	// note type instead of adding a copy.
	ID        int64
	Name      string
	Fields    []string
	Templates []Template
	CSS       string
}

// Template is one card of a note: its question and answer HTML.
type Template struct {
	Name, Question, Answer string
}

// Basic is the flashcards' note type: Front and Back, one card.
var Basic = &NoteType{
	ID:     1730419200001,
	Name:   "Content Factory Basic",
	Fields: []string{"Front", "Back"},
	Templates: []Template{{Name: "Card 1", Question: "{{Front}}",
		Answer: "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}"}},
	CSS: ".card { font-family: sans-serif; font-size: 22px; text-align: center; color: black; background-color: white; }",
}

// Note is one note: its fields as plain text, in the order of its type's
// fields, and its tags (no spaces inside a tag).
type Note struct {
	Type   *NoteType
	Fields []string
	Tags   []string
	// GUID identifies the note across imports: importing the same deck
	// again updates it instead of adding a copy.
	GUID string
}

// Deck is what a package holds.
type Deck struct {
	// ID is the deck's, stable for the same deck; Name is shown in Anki.
	ID    int64
	Name  string
	Notes []Note
}

// DeckID makes a deck ID from a stable key (a job ID).
func DeckID(key string) int64 {
	sum := sha1.Sum([]byte(key))
	return int64(binary.BigEndian.Uint64(sum[:8])>>12) + 1 // positive, within 2^52 as Anki's IDs are
}

// Package writes the deck as an .apkg. created is the time the
// collection and its notes carry (note and card IDs count up from it).
func Package(ctx context.Context, d Deck, created time.Time) ([]byte, error) {
	dir, err := os.MkdirTemp("", "anki-")
	if err != nil {
		return nil, fmt.Errorf("anki: temporary folder: %w", err)
	}
	defer os.RemoveAll(dir)
	path := dir + "/collection.anki2"
	if err := writeCollection(ctx, path, d, created); err != nil {
		return nil, err
	}
	col, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("anki: read the collection: %w", err)
	}
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{{"collection.anki2", col}, {"media", []byte("{}")}} {
		w, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: created})
		if err != nil {
			return nil, fmt.Errorf("anki: add %s: %w", f.name, err)
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, fmt.Errorf("anki: write %s: %w", f.name, err)
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("anki: close: %w", err)
	}
	return out.Bytes(), nil
}

const schema = `
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null, scm integer not null, ver integer not null,
  dty integer not null, usn integer not null, ls integer not null, conf text not null, models text not null, decks text not null,
  dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null, mod integer not null, usn integer not null,
  tags text not null, flds text not null, sfld integer not null, csum integer not null, flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null, ord integer not null, mod integer not null,
  usn integer not null, type integer not null, queue integer not null, due integer not null, ivl integer not null,
  factor integer not null, reps integer not null, lapses integer not null, left integer not null, odue integer not null,
  odid integer not null, flags integer not null, data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null, ivl integer not null,
  lastIvl integer not null, factor integer not null, time integer not null, type integer not null);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_revlog_usn on revlog (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_revlog_cid on revlog (cid);
CREATE INDEX ix_notes_csum on notes (csum);
`

func writeCollection(ctx context.Context, path string, d Deck, created time.Time) (err error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return fmt.Errorf("anki: open the collection: %w", err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("anki: close the collection: %w", cerr)
		}
	}()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("anki: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("anki: create the schema: %w", err)
	}
	sec, ms := created.Unix(), created.UnixMilli()
	models, decks, err := collectionJSON(d, sec)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO col VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')`,
		sec, ms, ms, collectionConf(d.ID), models, decks, deckConf); err != nil {
		return fmt.Errorf("anki: write the collection: %w", err)
	}
	for i, n := range d.Notes {
		if len(n.Fields) != len(n.Type.Fields) {
			return fmt.Errorf("anki: note %d has %d fields, its type %q has %d", i, len(n.Fields), n.Type.Name, len(n.Type.Fields))
		}
		fields := make([]string, len(n.Fields))
		for k, f := range n.Fields {
			fields[k] = fieldHTML(f)
		}
		sort := stripHTML(fields[0])
		sum := sha1.Sum([]byte(sort))
		csum := int64(binary.BigEndian.Uint32(sum[:4]))
		tags := ""
		if len(n.Tags) > 0 {
			tags = " " + strings.Join(n.Tags, " ") + " "
		}
		nid := ms + int64(i)
		if _, err := tx.ExecContext(ctx, `INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')`,
			nid, n.GUID, n.Type.ID, sec, tags, strings.Join(fields, "\x1f"), sort, csum); err != nil {
			return fmt.Errorf("anki: write note %d: %w", i, err)
		}
		for ord := range n.Type.Templates {
			cid := ms + int64(i*len(n.Type.Templates)+ord)
			// A new card (type and queue 0), due in the order the notes are given.
			if _, err := tx.ExecContext(ctx, `INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')`,
				cid, nid, d.ID, ord, sec, i+1); err != nil {
				return fmt.Errorf("anki: write card %d of note %d: %w", ord, i, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("anki: commit: %w", err)
	}
	return nil
}

// fieldHTML is a plain-text field as Anki's HTML: escaped, lines kept.
func fieldHTML(s string) string {
	return strings.ReplaceAll(html.EscapeString(strings.TrimSpace(s)), "\n", "<br>")
}

var tags = regexp.MustCompile(`<[^>]*>`)

func stripHTML(s string) string { return html.UnescapeString(tags.ReplaceAllString(s, " ")) }

func collectionJSON(d Deck, sec int64) (models, decks string, err error) {
	types := map[string]any{}
	for _, n := range d.Notes {
		t := n.Type
		key := strconv.FormatInt(t.ID, 10)
		if _, ok := types[key]; ok {
			continue
		}
		var flds, tmpls []map[string]any
		for i, f := range t.Fields {
			flds = append(flds, map[string]any{"name": f, "ord": i, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "media": []any{}})
		}
		var req []any
		for i, tp := range t.Templates {
			tmpls = append(tmpls, map[string]any{"name": tp.Name, "ord": i, "qfmt": tp.Question, "afmt": tp.Answer, "did": nil, "bqfmt": "", "bafmt": ""})
			req = append(req, []any{i, "any", []int{0}})
		}
		types[key] = map[string]any{
			"id": t.ID, "name": t.Name, "type": 0, "mod": sec, "usn": -1, "sortf": 0, "did": d.ID, "tmpls": tmpls, "flds": flds,
			"css": t.CSS, "latexPre": latexPre, "latexPost": "\\end{document}", "latexsvg": false, "tags": []any{}, "vers": []any{}, "req": req,
		}
	}
	deck := func(id int64, name string) map[string]any {
		return map[string]any{"id": id, "name": name, "mod": sec, "usn": -1, "lrnToday": []int{0, 0}, "revToday": []int{0, 0},
			"newToday": []int{0, 0}, "timeToday": []int{0, 0}, "collapsed": false, "browserCollapsed": false, "desc": "", "dyn": 0,
			"conf": 1, "extendNew": 0, "extendRev": 0}
	}
	m, err := json.Marshal(types)
	if err != nil {
		return "", "", fmt.Errorf("anki: note types: %w", err)
	}
	ds, err := json.Marshal(map[string]any{"1": deck(1, "Default"), strconv.FormatInt(d.ID, 10): deck(d.ID, d.Name)})
	if err != nil {
		return "", "", fmt.Errorf("anki: decks: %w", err)
	}
	return string(m), string(ds), nil
}

const latexPre = "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n"

func collectionConf(deck int64) string {
	return `{"activeDecks":[` + strconv.FormatInt(deck, 10) + `],"curDeck":` + strconv.FormatInt(deck, 10) +
		`,"newSpread":0,"collapseTime":1200,"timeLim":0,"estTimes":true,"dueCounts":true,"curModel":null,"nextPos":1,"sortType":"noteFld","sortBackwards":false,"addToCur":true}`
}

const deckConf = `{"1":{"id":1,"name":"Default","mod":0,"usn":0,"maxTaken":60,"autoplay":true,"timer":0,"replayq":true,"dyn":false,` +
	`"new":{"bury":true,"delays":[1,10],"initialFactor":2500,"ints":[1,4,7],"order":1,"perDay":20,"separate":true},` +
	`"rev":{"bury":true,"ease4":1.3,"fuzz":0.05,"ivlFct":1,"maxIvl":36500,"minSpace":1,"perDay":200},` +
	`"lapse":{"delays":[10],"leechAction":0,"leechFails":8,"minInt":1,"mult":0}}}`
