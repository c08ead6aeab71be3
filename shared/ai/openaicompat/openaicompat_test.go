package openaicompat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/openaicompat"
	"contentfactory.dev/factory/shared/content"
)

const model = "meta/llama-4-maverick-17b-128e-instruct-maas"

func newClient(t *testing.T, opts gardentest.Options) (*openaicompat.Client, *gardentest.Server) {
	t.Helper()
	srv := gardentest.NewOpenAI(opts)
	t.Cleanup(srv.Close)
	c, err := openaicompat.New(t.Context(), gardentest.Config(t, srv, models.TextOpenAI, model), openaicompat.Options{Retry: &gardentest.FastRetry})
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

func TestBaseURL(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi/", openaicompat.BaseURL("", "p", "global"))
	assert.Equal(t, "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi/",
		openaicompat.BaseURL("", "p", "us-central1"))
	assert.Equal(t, "http://127.0.0.1:1/v1/projects/p/locations/global/endpoints/openapi/", openaicompat.BaseURL("http://127.0.0.1:1/", "p", "global"))
}

func TestRequestIsTheChatCompletionsShapeWithTheSharedPrompt(t *testing.T) {
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
	assert.Equal(t, "/v1/projects/test-project/locations/global/endpoints/openapi/chat/completions", rs[0].Path)
	body, err := rs[0].Chat()
	require.NoError(t, err)
	assert.Equal(t, model, body.Model)
	assert.Contains(t, body.Text("system"), canary, "the canary is planted in the system message")
	assert.Contains(t, body.Text("user"), req.Topic)
	require.NotNil(t, body.ResponseFormat)
	assert.Equal(t, "json_schema", body.ResponseFormat.Type)
	assert.NotContains(t, string(body.ResponseFormat.JSONSchema.Schema), "propertyOrdering")
	assert.Equal(t, 16384, body.MaxTokens)

	require.Len(t, res.Calls, 1)
	call := res.Calls[0]
	assert.Equal(t, openaicompat.Backend, call.Backend)
	assert.Equal(t, model, call.Model)
	assert.Positive(t, call.PromptTokens)
	assert.Positive(t, call.OutputTokens)
	want := float64(call.PromptTokens)*0.35/1e6 + float64(call.OutputTokens)*1.15/1e6
	assert.InDelta(t, want, call.CostUSD, 1e-12, "priced from the price table")
}

func TestFailures(t *testing.T) {
	t.Parallel()
	gardentest.FailureSuite(t, 16384, func(t *testing.T, opts gardentest.Options) (ai.TextGenerator, *gardentest.Server) {
		return newClient(t, opts)
	})
}
