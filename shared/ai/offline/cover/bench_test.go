package cover

import (
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// BenchmarkGenerateImage draws one 16:9 cover, what the image step does
// offline for every job.
func BenchmarkGenerateImage(b *testing.B) {
	req := ai.ImageRequest{Request: &content.Request{Topic: "Tides and the Moon", Image: &content.ImageOptions{AspectRatio: "16:9"}}}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		res, err := (Image{}).GenerateImage(b.Context(), req)
		if err != nil {
			b.Fatal(err)
		}
		size = len(res.Data)
	}
	b.ReportMetric(float64(size), "png-bytes")
}
