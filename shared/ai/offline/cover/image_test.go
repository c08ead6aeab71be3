package cover_test

import (
	"bytes"
	"context"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/cover"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

func draw(t *testing.T, req content.Request, outline *content.Outline) ai.ImageResult {
	t.Helper()
	res, err := cover.Image{}.GenerateImage(context.Background(), ai.ImageRequest{JobID: "job", Request: &req, Outline: outline})
	require.NoError(t, err)
	return res
}

func outlineOf(t *testing.T, req content.Request) *content.Outline {
	t.Helper()
	return aitest.Outline(t, extract.Text{}, req)
}

func TestImageSizes(t *testing.T) {
	t.Parallel()
	fx := aitest.FixtureNamed(t, "photosynthesis")
	outline := outlineOf(t, fx.Request)
	for _, ar := range content.AspectRatios {
		t.Run(ar, func(t *testing.T) {
			t.Parallel()
			req := fx.Request
			req.Image = &content.ImageOptions{Style: content.DefaultStyle, AspectRatio: ar}
			res := draw(t, req, outline)
			img, err := png.Decode(bytes.NewReader(res.Data))
			require.NoError(t, err)
			assert.Equal(t, "image/png", res.MIMEType)
			assert.Equal(t, res.Width, img.Bounds().Dx())
			assert.Equal(t, res.Height, img.Bounds().Dy())
			assert.Equal(t, 1280, max(res.Width, res.Height), "the long side is 1280 px")
			w, h, _ := strings.Cut(ar, ":")
			rw, _ := strconv.ParseFloat(w, 64)
			rh, _ := strconv.ParseFloat(h, 64)
			assert.InDelta(t, rw/rh, float64(res.Width)/float64(res.Height), 0.005)
			require.Len(t, res.Calls, 1)
			assert.Equal(t, ai.Call{Backend: "offline", Model: "procedural-cover-v1", Images: 1, Duration: res.Calls[0].Duration}, res.Calls[0])
			assert.Contains(t, res.AltText, "“Photosynthesis”")
		})
	}
}

func TestImageDeterministic(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "unicode").Request
	outline := outlineOf(t, req)
	a, b := draw(t, req, outline), draw(t, req, outline)
	require.True(t, bytes.Equal(a.Data, b.Data), "the same request must give the same bytes")
	assert.Equal(t, a.AltText, b.AltText)
}

func TestImageDependsOnTitle(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "no-source").Request
	outline := outlineOf(t, req)
	other := *outline
	other.Title = "The history of the steam engine"
	a, b := draw(t, req, outline), draw(t, req, &other)
	assert.False(t, bytes.Equal(a.Data, b.Data))
	ia, err := png.Decode(bytes.NewReader(a.Data))
	require.NoError(t, err)
	ib, err := png.Decode(bytes.NewReader(b.Data))
	require.NoError(t, err)
	// Compare a corner, away from the text: the backgrounds differ too.
	ra, ga, ba, _ := ia.At(5, 5).RGBA()
	rb, gb, bb, _ := ib.At(5, 5).RGBA()
	assert.NotEqual(t, [3]uint32{ra, ga, ba}, [3]uint32{rb, gb, bb}, "the palette comes from the title")
	assert.Contains(t, b.AltText, "steam engine")
}

func TestImageLongTitle(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "no-source").Request
	req.Topic = strings.TrimSpace(strings.Repeat("Extraordinarily long title words ", 7))[:content.MaxTopicLen]
	req.Image = &content.ImageOptions{AspectRatio: "21:9"}
	res := draw(t, req, nil)
	_, err := png.Decode(bytes.NewReader(res.Data))
	require.NoError(t, err)
	assert.Equal(t, 549, res.Height, "1280 × 9/21, rounded")
}

func TestImageRejectsUnknownAspect(t *testing.T) {
	t.Parallel()
	req := aitest.FixtureNamed(t, "no-source").Request
	req.Image = &content.ImageOptions{AspectRatio: "5:4"}
	_, err := cover.Image{}.GenerateImage(context.Background(), ai.ImageRequest{Request: &req})
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "invalid_request", e.Code)
}
