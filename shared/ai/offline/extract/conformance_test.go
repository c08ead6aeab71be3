package extract_test

import (
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
)

func TestTextConformance(t *testing.T) {
	t.Parallel()
	aitest.TextConformance(t, func(*testing.T) ai.TextGenerator { return extract.Text{} })
}
