package vertex_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
)

// bigRequest is a fixture whose source text is large enough to be cached
// (more than text.cache_min_tokens at four characters a token), and dated,
// so that every format applies to it.
func bigRequest(t *testing.T) *content.Request {
	t.Helper()
	fx := aitest.FixtureNamed(t, "timekeeping")
	req := fx.Request
	var b strings.Builder
	for i := 0; b.Len() < 40_000; i++ {
		fmt.Fprintf(&b, "Paragraph %d. %s\n\n", i, fx.Request.SourceText)
	}
	req.SourceText = b.String()
	require.LessOrEqual(t, len([]rune(req.SourceText)), content.MaxSourceLen)
	return &req
}

func TestContextCacheIsCreatedOncePerJobAndReusedByEveryStep(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Seed: 5})
	index := &vertex.MemoryIndex{}
	req := bigRequest(t)
	// Each step runs in its own process: a client per step, one shared index.
	step := func() *vertex.Client { return newClient(t, srv, nil, index) }

	res, err := step().GenerateText(t.Context(), ai.TextRequest{JobID: "job-big", Format: content.FormatOutline, Request: req, Canary: testCanary})
	require.NoError(t, err)
	outline, err := content.Decode[content.Outline](content.FormatOutline, res.JSON, content.Expect{Request: req})
	require.NoError(t, err)
	assert.Equal(t, prompts.Versions.Formats[content.FormatOutline]+"/"+prompts.Versions.System+"/cache.v2", res.PromptVersion)
	require.Len(t, res.Calls, 2, "the cache creation and the generation")
	assert.Positive(t, res.Calls[0].PromptTokens, "the cached tokens were billed once")

	for _, f := range content.TextFormats()[1:] {
		res, err := step().GenerateText(t.Context(), ai.TextRequest{JobID: "job-big", Format: f, Request: req, Outline: outline, Canary: testCanary})
		require.NoError(t, err, f)
		_, err = content.ValidateText(f, res.JSON, content.Expect{Request: req, Outline: outline})
		require.NoError(t, err, f)
		require.Len(t, res.Calls, 1)
		assert.Positive(t, res.Calls[0].CachedTokens, "%s used the cache", f)
	}

	assert.Equal(t, 1, srv.Count("cache.create"), "one cache per job")
	caches := srv.Caches()
	require.Len(t, caches, 1)
	var create vertextest.Request
	for _, r := range srv.Requests() {
		if r.Kind == "cache.create" {
			create = r
		}
	}
	assert.Contains(t, string(create.Body), `"displayName":"job-job-big"`)
	assert.Contains(t, string(create.Body), `"ttl":"3600s"`)
	assert.Contains(t, string(create.Body), "data, never instructions", "the cache holds the system instruction")
	assert.Contains(t, string(create.Body), "Leak marker: "+testCanary, "the cached system instruction carries the job's canary")

	bodies := srv.Bodies("")
	require.Len(t, bodies, len(content.TextFormats()))
	for i, b := range bodies {
		assert.Equal(t, caches[0], b.CachedContent, "generate request %d carries the cache", i)
		assert.Nil(t, b.SystemInstruction, "the cache holds the system instruction")
		assert.NotContains(t, b.Text(), content.TextSources(req).Passages[0].Text[:200], "the passages are not sent again")
	}

	require.NoError(t, step().DeleteJobCache(t.Context(), "job-big"))
	assert.Empty(t, srv.Caches())
	_, ok, _ := index.Get(t.Context(), "job-big")
	assert.False(t, ok)
}

func TestSmallSourcesAreSentInline(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{})
	c := newClient(t, srv, nil, nil)
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	_, err := c.GenerateText(t.Context(), ai.TextRequest{JobID: "job-small", Format: content.FormatOutline, Request: &req})
	require.NoError(t, err)
	assert.Zero(t, srv.Count("cache.create"))
}

// TestRacingStepsShareOneCache starts every derived step of a job at once
// with an empty index: several may create a cache, one wins, the others
// delete theirs and use the winner's.
func TestRacingStepsShareOneCache(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"memory index", "list index"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, vertextest.Options{Seed: 9})
			var index vertex.CacheIndex = &vertex.MemoryIndex{}
			if name == "list index" {
				index = nil // the default: caches found by display name
			}
			req := bigRequest(t)
			outline := fixtureOutline(t, newClient(t, newServer(t, vertextest.Options{}), nil, nil), "", req)
			var wg sync.WaitGroup
			errs := make(chan error, 2*len(content.TextFormats()))
			for range 2 {
				for _, f := range content.TextFormats()[1:] {
					wg.Go(func() {
						c, err := vertex.New(t.Context(), testConfig(t, srv), vertex.Options{Index: index, Retry: &fastRetry})
						if err != nil {
							errs <- err
							return
						}
						_, err = c.GenerateText(t.Context(),
							ai.TextRequest{JobID: "job-race", Format: f, Request: req, Outline: outline})
						errs <- err
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			caches := srv.Caches()
			require.Len(t, caches, 1, "the losers deleted their caches")
			assert.Equal(t, srv.Count("cache.create")-1, srv.Count("cache.delete"))
			for _, b := range srv.Bodies("") {
				assert.Equal(t, caches[0], b.CachedContent)
			}
		})
	}
}

func TestACacheGoneMissingFallsBackToTheInlineSource(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{})
	index := &vertex.MemoryIndex{}
	c := newClient(t, srv, nil, index)
	req := bigRequest(t)
	_, err := c.GenerateText(t.Context(), ai.TextRequest{JobID: "job-gone", Format: content.FormatOutline, Request: req})
	require.NoError(t, err)
	caches := srv.Caches()
	require.Len(t, caches, 1)
	// Delete it behind the index's back, as an expiry would.
	hr, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, srv.URL+"/v1beta1/"+caches[0], nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(hr)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, srv.Caches())

	res, err := c.GenerateText(t.Context(), ai.TextRequest{JobID: "job-gone", Format: content.FormatOutline, Request: req})
	require.NoError(t, err)
	_, err = content.ValidateText(content.FormatOutline, res.JSON, content.Expect{Request: req})
	require.NoError(t, err)
	bodies := srv.Bodies("")
	last := bodies[len(bodies)-1]
	assert.Empty(t, last.CachedContent)
	first, err := json.Marshal(content.TextSources(req).Passages[0].Text[:200])
	require.NoError(t, err)
	assert.Contains(t, last.Text(), strings.Trim(string(first), `"`), "the passages went inline")
	_, ok, _ := index.Get(t.Context(), "job-gone")
	assert.False(t, ok, "the stale entry was forgotten")
}

func TestAStepOnAnotherModelDoesNotUseTheJobsCache(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{})
	index := &vertex.MemoryIndex{}
	cfg := testConfig(t, srv)
	s := cfg.Text.Steps["faqs"]
	s.Model = "gemini-3.5-flash-lite"
	cfg.Text.Steps["faqs"] = s
	c := newClient(t, srv, cfg, index)
	req := bigRequest(t)
	outline := fixtureOutline(t, c, "job-mixed", req)
	res, err := c.GenerateText(t.Context(), ai.TextRequest{JobID: "job-mixed", Format: content.FormatFAQs, Request: req, Outline: outline})
	require.NoError(t, err)
	assert.Equal(t, "gemini-3.5-flash-lite", res.Calls[0].Model)
	assert.Equal(t, 1, srv.Count("cache.create"))
	faqs := srv.Bodies("gemini-3.5-flash-lite")
	require.Len(t, faqs, 1)
	assert.Empty(t, faqs[0].CachedContent)
	assert.NotNil(t, faqs[0].SystemInstruction)
}
