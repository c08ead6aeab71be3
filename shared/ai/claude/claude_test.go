package claude_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/claude"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

const model = "claude-sonnet-4-5@20250929"

func newClient(t *testing.T, opts gardentest.Options) (*claude.Client, *gardentest.Server) {
	t.Helper()
	srv := gardentest.NewClaude(opts)
	t.Cleanup(srv.Close)
	c, err := claude.New(t.Context(), gardentest.Config(t, srv, models.TextClaude, model), claude.Options{Retry: &gardentest.FastRetry})
	require.NoError(t, err)
	return c, srv
}

func TestTextConformance(t *testing.T) {
	t.Parallel()
	aitest.TextConformance(t, func(t *testing.T) ai.TextGenerator {
		c, _ := newClient(t, gardentest.Options{Seed: 7})
		return c
	})
}

func TestRequestIsTheVertexMessagesShapeWithTheSharedPrompt(t *testing.T) {
	t.Parallel()
	c, srv := newClient(t, gardentest.Options{Seed: 3})
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	const canary = "canary-00112233445566778899aabbccddeeff"
	res, err := c.GenerateText(t.Context(), ai.TextRequest{JobID: "job-1", Format: content.FormatOutline, Request: &req, Canary: canary})
	require.NoError(t, err)
	_, err = content.ValidateText(content.FormatOutline, res.JSON, content.Expect{Request: &req, Passages: content.PassagesOf(content.TextSources(&req))})
	require.NoError(t, err, "%s", res.JSON)

	rs := srv.Requests()
	require.Len(t, rs, 1)
	assert.Equal(t, "/v1/projects/test-project/locations/global/publishers/anthropic/models/"+model+":rawPredict", rs[0].Path)
	body, err := rs[0].Claude()
	require.NoError(t, err)
	assert.Contains(t, body.SystemText(), canary, "the canary is planted in the system prompt")
	assert.Contains(t, body.UserText(), req.Topic)
	require.NotNil(t, body.ToolChoice)
	assert.Equal(t, claude.ToolName, body.ToolChoice.Name, "the document tool is forced")
	assert.NotContains(t, string(body.Tools[0].InputSchema), "propertyOrdering")
	assert.EqualValues(t, 16384, body.MaxTokens)
	require.NotNil(t, body.Temperature)

	require.Len(t, res.Calls, 1)
	call := res.Calls[0]
	assert.Equal(t, claude.Backend, call.Backend)
	assert.Equal(t, model, call.Model)
	assert.Positive(t, call.PromptTokens)
	assert.Positive(t, call.OutputTokens)
	want := float64(call.PromptTokens)*3/1e6 + float64(call.OutputTokens)*15/1e6
	assert.InDelta(t, want, call.CostUSD, 1e-12, "priced from the price table")
	assert.NotEmpty(t, res.PromptVersion)
}

func TestFailures(t *testing.T) {
	t.Parallel()
	gardentest.FailureSuite(t, 16384, func(t *testing.T, opts gardentest.Options) (ai.TextGenerator, *gardentest.Server) {
		return newClient(t, opts)
	})
}

func TestProbe(t *testing.T) {
	t.Parallel()
	c, srv := newClient(t, gardentest.Options{Retired: []string{"claude-old"}})
	require.NoError(t, c.Probe(t.Context(), model, "text.default"))
	err := c.Probe(t.Context(), "claude-old", "text.default")
	e, ok := failure.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "model_retired", e.Code)
	assert.Len(t, srv.Requests(), 2)
}
