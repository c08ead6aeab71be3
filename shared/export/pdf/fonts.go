package pdf

import (
	_ "embed"
	"fmt"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// The fonts a PDF embeds (subset to the glyphs it uses): DejaVu Sans for
// Latin, Greek, Cyrillic, Hebrew and Arabic (with the Arabic presentation
// forms the shaper maps to), and Droid Sans Fallback for Chinese,
// Japanese and Korean. Their licences are beside them in fonts/.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
	//go:embed fonts/DroidSansFallback.ttf
	droidSansFallback []byte
)

// face is one embedded font: its family and style in the PDF, and its
// character map to tell which runes it draws.
type face struct {
	family, style string
	data          []byte
	font          *sfnt.Font
}

// has reports whether the face has a glyph for r.
func (f *face) has(r rune) bool {
	var buf sfnt.Buffer
	g, err := f.font.GlyphIndex(&buf, r)
	return err == nil && g != 0
}

// faces are parsed once per instance: the character maps only, the PDF
// library parses the files for each document.
var faces = sync.OnceValues(func() (map[string]*face, error) {
	out := map[string]*face{}
	for key, f := range map[string]*face{
		"sans":  {family: "DejaVuSans", style: "", data: dejaVuSans},
		"sansB": {family: "DejaVuSans", style: "B", data: dejaVuSansBold},
		"cjk":   {family: "DroidSansFallback", style: "", data: droidSansFallback},
	} {
		ft, err := sfnt.Parse(f.data)
		if err != nil {
			return nil, fmt.Errorf("parse the embedded font %s%s: %w", f.family, f.style, err)
		}
		f.font = ft
		out[key] = f
	}
	return out, nil
})

// fallback lists the faces that may draw a run, best first: the bold or
// regular sans, then the regular sans, then the CJK face.
func fallback(fs map[string]*face, bold bool) []*face {
	if bold {
		return []*face{fs["sansB"], fs["sans"], fs["cjk"]}
	}
	return []*face{fs["sans"], fs["cjk"]}
}
