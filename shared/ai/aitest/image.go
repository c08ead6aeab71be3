package aitest

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg" // decode JPEG covers
	_ "image/png"  // decode PNG covers
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// Bounds of a sane cover, in pixels along its longer side.
const (
	minCoverSide = 64
	maxCoverSide = 4096
)

// ImageConformance checks an image backend against the cover contract.
// For every aspect ratio a request may ask for, the cover must decode as
// the PNG or JPEG its MIME type says, with the width and height reported,
// the requested proportions (within 2%) and a longer side of 64 to 4,096
// pixels; its alt text must be one non-empty line that never contains the
// canary planted in the request; and its usage must be reported, one
// image in all. Without a request it must fail with a permanent
// "invalid_request" error. newGen is called once per subtest.
func ImageConformance(t *testing.T, newGen func(t *testing.T) ai.ImageGenerator) {
	fx := FixtureNamed(t, "photosynthesis")
	outline := &content.Outline{Title: fx.Request.Topic, Audience: fx.Request.Audience, Level: fx.Request.Level}
	for _, ratio := range content.AspectRatios {
		t.Run(strings.ReplaceAll(ratio, ":", "x"), func(t *testing.T) {
			req := fx.Request
			req.Image = &content.ImageOptions{Style: content.DefaultStyle, AspectRatio: ratio}
			res := generateImage(t, newGen(t), ai.ImageRequest{JobID: "conformance", Request: &req, Outline: outline})
			checkCover(t, res, ratio)
		})
	}
	t.Run("canary", func(t *testing.T) {
		gen := newGen(t)
		for _, fx := range Fixtures(t) {
			const canary = "canary-5f1e0c9a7b3d4e2f8a6c1b0d9e7f3a2c"
			res := generateImage(t, gen, ai.ImageRequest{JobID: "conformance", Request: &fx.Request, Canary: canary})
			assert.NotContains(t, res.AltText, canary, "%s: the alt text repeats the canary planted in the prompt", fx.Name)
			checkCover(t, res, aspectOf(&fx.Request))
		}
	})
	t.Run("no_request", func(t *testing.T) {
		_, err := newGen(t).GenerateImage(context.Background(), ai.ImageRequest{JobID: "conformance"})
		requirePermanent(t, err, "invalid_request")
	})
}

func generateImage(t *testing.T, gen ai.ImageGenerator, req ai.ImageRequest) ai.ImageResult {
	t.Helper()
	res, err := gen.GenerateImage(context.Background(), req)
	require.NoError(t, err, "generate the cover")
	return res
}

func aspectOf(r *content.Request) string {
	if r.Image != nil && r.Image.AspectRatio != "" {
		return r.Image.AspectRatio
	}
	return content.DefaultAspect
}

// checkCover checks one cover against the contract.
func checkCover(t *testing.T, res ai.ImageResult, ratio string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(res.Data))
	require.NoError(t, err, "the cover (%s, %d bytes) does not decode", res.MIMEType, len(res.Data))
	assert.Contains(t, []string{"image/png", "image/jpeg"}, res.MIMEType)
	assert.Equal(t, "image/"+format, res.MIMEType, "the MIME type names the encoding")
	assert.Equal(t, img.Bounds().Dx(), res.Width, "the reported width")
	assert.Equal(t, img.Bounds().Dy(), res.Height, "the reported height")
	w, h, _ := strings.Cut(ratio, ":")
	rw, err1 := strconv.ParseFloat(w, 64)
	rh, err2 := strconv.ParseFloat(h, 64)
	require.NoError(t, err1)
	require.NoError(t, err2)
	got := float64(res.Width) / math.Max(1, float64(res.Height))
	assert.InEpsilon(t, rw/rh, got, 0.02, "a %s cover is %d×%d", ratio, res.Width, res.Height)
	long := max(res.Width, res.Height)
	assert.GreaterOrEqual(t, long, minCoverSide, "a cover too small to show")
	assert.LessOrEqual(t, long, maxCoverSide, "a cover too large to serve")

	assert.NotEmpty(t, strings.TrimSpace(res.AltText), "the cover has no alt text")
	assert.NotContains(t, res.AltText, "\n", "the alt text is one line")

	assert.Equal(t, int64(1), checkCalls(t, res.Calls).Images, "one image drawn in all")
}

// checkCalls requires usage to be reported, every call naming its
// backend and model, and returns the sum of the calls.
func checkCalls(t *testing.T, calls []ai.Call) ai.Usage {
	t.Helper()
	require.NotEmpty(t, calls, "no usage reported")
	var u ai.Usage
	for _, c := range calls {
		assert.NotEmpty(t, c.Backend, "a call without backend")
		assert.NotEmpty(t, c.Model, "a call without model")
		u.Add(c)
	}
	return u
}

// requirePermanent requires err to be a permanent *ai.Error with the code.
func requirePermanent(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	e, ok := ai.AsError(err)
	require.True(t, ok, "the error must be an *ai.Error, is %T: %v", err, err)
	assert.Equal(t, code, e.Code)
	assert.False(t, e.Retryable, "a %s error is permanent", code)
}
