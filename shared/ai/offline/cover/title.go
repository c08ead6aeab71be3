package cover

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// ellipsis marks a title cut to fit the cover.
const ellipsis = "…"

// coverFonts are the embedded Go fonts, parsed once.
var coverFonts = sync.OnceValues(func() (fonts [2]*opentype.Font, err error) {
	for i, ttf := range [][]byte{gobold.TTF, goregular.TTF} {
		if fonts[i], err = opentype.Parse(ttf); err != nil {
			return fonts, fmt.Errorf("parse embedded font: %w", err)
		}
	}
	return fonts, nil
})

// Title layout limits, as fractions of the image.
const (
	titleWidth   = 0.84 // of the width
	titleHeight  = 0.5  // of the height
	titleMinSize = 18.0 // pixels
	subMinSize   = 13.0 // pixels
	lineSpacing  = 1.18
)

// paintText sets the title, word-wrapped and shrunk until it fits, with
// the subtitle below it, on a darkened panel for contrast.
func (c *cover) paintText(img *image.RGBA) error {
	fonts, err := coverFonts()
	if err != nil {
		return err
	}
	b := img.Bounds()
	maxW, maxH := int(float64(b.Dx())*titleWidth), int(float64(b.Dy())*titleHeight)
	title, err := fitText(fonts[0], c.title, float64(min(b.Dx(), b.Dy()))*0.16, titleMinSize, maxW, maxH)
	if err != nil {
		return err
	}
	subSize := max(subMinSize, min(title.size*0.42, float64(b.Dy())*0.045))
	sub, err := fitText(fonts[1], c.subtitle, subSize, subMinSize, maxW, int(subSize*lineSpacing)+1)
	if err != nil {
		return err
	}
	gap := int(subSize * 0.9)
	blockH := title.height() + gap + sub.height()
	top := (b.Dy()-blockH)/2 - b.Dy()/20
	pad := int(subSize)
	panel := image.Rect(b.Dx()/2-maxW/2-pad, top-pad, b.Dx()/2+maxW/2+pad, top+blockH+pad).Intersect(b)
	draw.Draw(img, panel, image.NewUniform(color.RGBA{0, 0, 0, 96}), image.Point{}, draw.Over)
	c.drawLines(img, title, top, maxW, color.RGBA{255, 255, 255, 255})
	c.drawLines(img, sub, top+title.height()+gap, maxW, color.RGBA{235, 235, 240, 255})
	return nil
}

// textBlock is text laid out in one face.
type textBlock struct {
	face  font.Face
	size  float64
	lines []string
}

func (t textBlock) lineHeight() int { return int(t.size * lineSpacing) }

func (t textBlock) height() int { return len(t.lines) * t.lineHeight() }

// fitText wraps text at start size and shrinks it by a tenth at a time
// until it fits maxW × maxH; at the smallest size, lines that do not fit
// are dropped and the last one ends with an ellipsis.
func fitText(f *opentype.Font, text string, start, smallest float64, maxW, maxH int) (textBlock, error) {
	size := max(start, smallest)
	for {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return textBlock{}, fmt.Errorf("font face at %.0f px: %w", size, err)
		}
		t := textBlock{face: face, size: size, lines: wrapText(face, text, maxW)}
		if t.height() <= maxH || size <= smallest {
			return t.clip(maxW, maxH), nil
		}
		if err := face.Close(); err != nil {
			return textBlock{}, fmt.Errorf("close font face: %w", err)
		}
		size = max(smallest, size*0.9)
	}
}

// clip keeps the lines that fit maxH, marking a cut with an ellipsis.
func (t textBlock) clip(maxW, maxH int) textBlock {
	keep := max(1, maxH/max(1, t.lineHeight()))
	if len(t.lines) <= keep {
		return t
	}
	t.lines = t.lines[:keep]
	last := strings.TrimSpace(t.lines[keep-1]) + ellipsis
	for font.MeasureString(t.face, last).Ceil() > maxW && strings.Contains(last, " ") {
		last = last[:strings.LastIndex(strings.TrimSuffix(last, ellipsis), " ")] + ellipsis
	}
	t.lines[keep-1] = last
	return t
}

// wrapText breaks text into lines no wider than maxW, between words; a
// word wider than a line is broken between letters.
func wrapText(face font.Face, text string, maxW int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		cand := strings.TrimSpace(line + " " + word)
		if font.MeasureString(face, cand).Ceil() <= maxW {
			line = cand
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = word
		for font.MeasureString(face, line).Ceil() > maxW {
			head, tail := splitToWidth(face, line, maxW)
			lines = append(lines, head)
			line = tail
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// splitToWidth cuts a word at the last letter that fits maxW (at least
// one letter).
func splitToWidth(face font.Face, word string, maxW int) (head, tail string) {
	runes := []rune(word)
	n := 1
	for n < len(runes) && font.MeasureString(face, string(runes[:n+1])).Ceil() <= maxW {
		n++
	}
	return string(runes[:n]), string(runes[n:])
}

// drawLines draws a block's lines from top, centred or left-aligned, with a
// soft shadow.
func (c *cover) drawLines(img *image.RGBA, t textBlock, top, maxW int, col color.RGBA) {
	b := img.Bounds()
	ascent := t.face.Metrics().Ascent.Ceil()
	shadow := max(1, int(t.size/28))
	for i, line := range t.lines {
		width := font.MeasureString(t.face, line).Ceil()
		x := b.Dx()/2 - maxW/2
		if c.centered {
			x = (b.Dx() - width) / 2
		}
		y := top + i*t.lineHeight() + ascent
		for _, pass := range []struct {
			off int
			col color.Color
		}{{shadow, color.RGBA{0, 0, 0, 140}}, {0, col}} {
			d := font.Drawer{Dst: img, Src: image.NewUniform(pass.col), Face: t.face,
				Dot: fixed.P(x+pass.off, y+pass.off)}
			d.DrawString(line)
		}
	}
}
