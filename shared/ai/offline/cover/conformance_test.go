package cover_test

import (
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/cover"
)

func TestImageConformance(t *testing.T) {
	t.Parallel()
	aitest.ImageConformance(t, func(*testing.T) ai.ImageGenerator { return cover.Image{} })
}
