package vertextest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strconv"
	"strings"
)

// makePNG draws a small gradient PNG with the requested aspect ratio
// ("16:9"); its longer side is 256 pixels.
func makePNG(ratio string, rng *rand.Rand) ([]byte, error) {
	a, b, ok := strings.Cut(ratio, ":")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("unsupported aspect ratio %q", ratio)
	}
	const side = 256
	if w >= h {
		w, h = side, max(1, side*h/w)
	} else {
		w, h = max(1, side*w/h), side
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c1 := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
	c2 := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
	for y := range h {
		for x := range w {
			t := float64(x+y) / float64(w+h)
			img.Set(x, y, color.RGBA{
				uint8(float64(c1.R)*(1-t) + float64(c2.R)*t),
				uint8(float64(c1.G)*(1-t) + float64(c2.G)*t),
				uint8(float64(c1.B)*(1-t) + float64(c2.B)*t), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}
