package vertex_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genai"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/ai/vertex/cachetest"
)

// TestCacheIndexConformance runs the index suite against every
// CacheIndex: the one in memory and the one that finds caches by display
// name in the cache list (against the fake).
func TestCacheIndexConformance(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		cachetest.IndexConformance(t, func(*testing.T) cachetest.Harness {
			return &memoryHarness{index: &vertex.MemoryIndex{}}
		})
	})
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		cachetest.IndexConformance(t, newListHarness)
	})
}

// memoryHarness records made-up caches in a MemoryIndex.
type memoryHarness struct {
	index *vertex.MemoryIndex
	made  atomic.Int64
}

func (h *memoryHarness) Index() vertex.CacheIndex { return h.index }

func (h *memoryHarness) Make(_ context.Context, _ string, ttl time.Duration) (vertex.CacheEntry, error) {
	n := h.made.Add(1)
	return vertex.CacheEntry{Name: fmt.Sprintf("projects/p/locations/global/cachedContents/%d", n),
		Model: "gemini-3.8-flash", ExpireTime: time.Now().Add(ttl)}, nil
}

func (*memoryHarness) Drop(context.Context, vertex.CacheEntry) error { return nil }

// listHarness makes real caches in the fake, found by a ListIndex.
type listHarness struct {
	caches *genai.Caches
}

func newListHarness(t *testing.T) cachetest.Harness {
	srv := newServer(t, vertextest.Options{CacheMinTokens: 1})
	g, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		Backend: genai.BackendVertexAI, Project: "test-project", Location: "global",
		HTTPClient: srv.Client(), HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL},
	})
	require.NoError(t, err)
	return listHarness{caches: g.Caches}
}

func (h listHarness) Index() vertex.CacheIndex { return vertex.ListIndex{Caches: h.caches} }

func (h listHarness) Make(ctx context.Context, jobID string, ttl time.Duration) (vertex.CacheEntry, error) {
	cc, err := h.caches.Create(ctx, "gemini-3.8-flash", &genai.CreateCachedContentConfig{
		TTL: ttl, DisplayName: vertex.DisplayName(jobID), Contents: genai.Text("The source text of " + jobID + "."),
	})
	if err != nil {
		return vertex.CacheEntry{}, fmt.Errorf("create a cache for %s: %w", jobID, err)
	}
	return vertex.CacheEntry{Name: cc.Name, Model: cc.Model[strings.LastIndex(cc.Model, "/")+1:], ExpireTime: cc.ExpireTime}, nil
}

func (h listHarness) Drop(ctx context.Context, e vertex.CacheEntry) error {
	if _, err := h.caches.Delete(ctx, e.Name, nil); err != nil {
		return fmt.Errorf("delete cache %s: %w", e.Name, err)
	}
	return nil
}
