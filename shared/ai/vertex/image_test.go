package vertex_test

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
)

func imageRequest(t *testing.T) (*content.Request, *content.Outline) {
	t.Helper()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	req.Image = &content.ImageOptions{Style: "watercolor", AspectRatio: "16:9"}
	return &req, &content.Outline{Title: "How Plants Eat Light"}
}

func TestImageConformance(t *testing.T) {
	t.Parallel()
	aitest.ImageConformance(t, func(t *testing.T) ai.ImageGenerator {
		return newClient(t, newServer(t, vertextest.Options{Seed: 4}), nil, nil)
	})
}

func TestCoverImage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Seed: 2})
	c := newClient(t, srv, nil, nil)
	req, outline := imageRequest(t)
	res, err := c.GenerateImage(t.Context(), ai.ImageRequest{JobID: "job-img", Request: req, Outline: outline, Canary: testCanary})
	require.NoError(t, err)
	assert.Equal(t, "image/png", res.MIMEType)
	img, err := png.Decode(bytes.NewReader(res.Data))
	require.NoError(t, err)
	assert.Equal(t, res.Width, img.Bounds().Dx())
	assert.Equal(t, res.Height, img.Bounds().Dy())
	assert.InDelta(t, 16.0/9.0, float64(res.Width)/float64(res.Height), 0.02)
	assert.NotEmpty(t, res.AltText)
	assert.NotContains(t, res.AltText, "\n")
	require.Len(t, res.Calls, 1)
	assert.Equal(t, int64(1), res.Calls[0].Images)
	assert.Equal(t, "gemini-3.1-flash-image", res.Calls[0].Model)
	assert.InDelta(t, 0.039, res.Calls[0].CostUSD, 0.001, "billed per image")

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v1beta1/projects/test-project/locations/global/publishers/google/models/gemini-3.1-flash-image:generateContent", reqs[0].Path)
	body, err := reqs[0].Generate()
	require.NoError(t, err)
	assert.Equal(t, []string{"IMAGE", "TEXT"}, body.GenerationConfig.ResponseModalities)
	require.NotNil(t, body.GenerationConfig.ImageConfig)
	assert.Equal(t, "16:9", body.GenerationConfig.ImageConfig.AspectRatio)
	assert.Contains(t, body.Text(), `"title": "How Plants Eat Light"`)
	assert.Contains(t, body.Text(), "one sentence of alt text")
	assert.Contains(t, body.Text(), "Leak marker: "+testCanary+".", "the canary is planted in the image prompt")
}

func TestCoverImageFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault vertextest.Fault
		code  string
		msg   string
	}{
		{"image safety", vertextest.Fault{Kind: vertextest.NoImage, Reason: "IMAGE_SAFETY"}, "content_filtered", "IMAGE_SAFETY"},
		{"prohibited", vertextest.Fault{Kind: vertextest.NoImage, Reason: "IMAGE_PROHIBITED_CONTENT"}, "content_filtered", "IMAGE_PROHIBITED_CONTENT"},
		{"no image", vertextest.Fault{Kind: vertextest.NoImage}, "content_filtered", "NO_IMAGE"},
		{"retired", vertextest.Fault{Kind: vertextest.NotFound}, "model_retired",
			"model gemini-3.1-flash-image was not found (retired?): set FACTORY_IMAGE_MODEL or the models file entry image.model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, vertextest.Options{Faults: []vertextest.Fault{tc.fault}})
			c, err := vertex.New(t.Context(), testConfig(t, srv), vertex.Options{Retry: &once})
			require.NoError(t, err)
			req, outline := imageRequest(t)
			_, err = c.GenerateImage(t.Context(), ai.ImageRequest{Request: req, Outline: outline})
			e, ok := ai.AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tc.code, e.Code)
			assert.False(t, e.Retryable)
			assert.Contains(t, e.Error(), tc.msg)
		})
	}
}
