package offline_test

import (
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline"
)

func TestTextConformance(t *testing.T) {
	t.Parallel()
	aitest.TextConformance(t, func(*testing.T) ai.TextGenerator { return offline.Text{} })
}
