package pipelinetest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	pipelinetest.StoreConformance(t, func(*testing.T) pipeline.Store { return pipelinetest.NewStore() })
}

func TestMemoryBlobsConformance(t *testing.T) {
	pipelinetest.BlobsConformance(t, func(*testing.T) pipeline.Blobs { return pipelinetest.NewBlobs() })
}

func TestMemoryPublisherConformance(t *testing.T) {
	pipelinetest.PublisherConformance(t, func(*testing.T) (pipeline.Publisher, pipelinetest.Inbox) {
		p := &pipelinetest.Publisher{}
		return p, func(t *testing.T, kind content.Kind, n int) []pipeline.StepMessage {
			got := p.TakeKind(kind)
			require.Len(t, got, n, "published for %s", kind)
			return got
		}
	})
}
