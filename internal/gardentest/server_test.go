package gardentest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/vertex"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/vertextest"
)

const claudeModel = "claude-sonnet-4-5@20250929"

// schema is a small document schema: a title and three to five points.
var schema = anthropic.ToolInputSchemaParam{
	Properties: map[string]any{
		"title":  map[string]any{"type": "string", "minLength": 3},
		"points": map[string]any{"type": "array", "minItems": 3, "maxItems": 5, "items": map[string]any{"type": "string"}},
	},
	Required: []string{"title", "points"},
}

func sdk(t *testing.T, srv *gardentest.Server) anthropic.Client {
	t.Helper()
	creds := &google.Credentials{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})}
	return anthropic.NewClient(vertex.WithCredentials(context.Background(), "us-east5", "p", creds),
		option.WithHeader("anthropic-version", gardentest.ClaudeVersion), option.WithBaseURL(srv.URL), option.WithMaxRetries(0))
}

func params() anthropic.MessageNewParams {
	tool := anthropic.ToolUnionParamOfTool(schema, "write")
	return anthropic.MessageNewParams{
		Model: claudeModel, MaxTokens: 1000,
		Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Write it."))},
		Tools:      []anthropic.ToolUnionParam{tool},
		ToolChoice: anthropic.ToolChoiceParamOfTool("write"),
	}
}

// document checks a generated document against the schema.
func document(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var doc struct {
		Title  string   `json:"title"`
		Points []string `json:"points"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc), "%s", raw)
	assert.GreaterOrEqual(t, len(doc.Title), 3)
	assert.GreaterOrEqual(t, len(doc.Points), 3)
	assert.LessOrEqual(t, len(doc.Points), 5)
}

func TestClaudeAnswersAForcedToolWithADocumentOfItsSchema(t *testing.T) {
	t.Parallel()
	srv := gardentest.NewClaude(gardentest.Options{Seed: 1})
	defer srv.Close()
	c := sdk(t, srv)
	msg, err := c.Messages.New(t.Context(), params())
	require.NoError(t, err)
	assert.Equal(t, anthropic.StopReasonToolUse, msg.StopReason)
	require.Len(t, msg.Content, 1)
	assert.Equal(t, "tool_use", msg.Content[0].Type)
	document(t, msg.Content[0].Input)
	assert.Positive(t, msg.Usage.InputTokens)
	assert.Positive(t, msg.Usage.OutputTokens)
	rs := srv.Requests()
	require.Len(t, rs, 1)
	assert.Equal(t, "/v1/projects/p/locations/us-east5/publishers/anthropic/models/"+claudeModel+":rawPredict", rs[0].Path)
	assert.Equal(t, claudeModel, rs[0].Model)
}

func TestClaudeStreamsTheSameMessage(t *testing.T) {
	t.Parallel()
	srv := gardentest.NewClaude(gardentest.Options{Seed: 1})
	defer srv.Close()
	c := sdk(t, srv)
	stream := c.Messages.NewStreaming(t.Context(), params())
	var msg anthropic.Message
	for stream.Next() {
		require.NoError(t, msg.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, anthropic.StopReasonToolUse, msg.StopReason)
	require.Len(t, msg.Content, 1)
	document(t, msg.Content[0].Input)
	assert.Positive(t, msg.Usage.OutputTokens)
	assert.Contains(t, srv.Requests()[0].Path, ":streamRawPredict")
}

func TestClaudeRefusesWhatVertexRefuses(t *testing.T) {
	t.Parallel()
	srv := gardentest.NewClaude(gardentest.Options{})
	defer srv.Close()
	url := srv.URL + "/v1/projects/p/locations/global/publishers/anthropic/models/" + claudeModel + ":rawPredict"
	for name, body := range map[string]string{
		"no version":        `{"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}`,
		"model in the body": `{"anthropic_version": "vertex-2023-10-16", "model": "x", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}`,
		"no max_tokens":     `{"anthropic_version": "vertex-2023-10-16", "messages": [{"role": "user", "content": "hi"}]}`,
		"unknown tool":      `{"anthropic_version": "vertex-2023-10-16", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], "tool_choice": {"type": "tool", "name": "nope"}}`,
	} {
		resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
		require.NoError(t, err, name)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
	}
}

func TestOpenAIAnswersTheJSONSchemaAndFaults(t *testing.T) {
	t.Parallel()
	srv := gardentest.NewOpenAI(gardentest.Options{Seed: 1, Faults: []vertextest.Fault{{Kind: vertextest.RateLimit, Times: 1, RetryAfter: -1}}})
	defer srv.Close()
	url := srv.URL + "/v1/projects/p/locations/global/endpoints/openapi/chat/completions"
	body := `{"model": "meta/llama", "max_tokens": 1000, "messages": [{"role": "user", "content": "Write it."}],
		"response_format": {"type": "json_schema", "json_schema": {"name": "doc", "schema": ` + mustJSON(t, map[string]any{
		"type": "object", "properties": schema.Properties, "required": schema.Required}) + `}}}`
	post := func(body string) (*http.Response, map[string]any) {
		resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp, out
	}
	resp, _ := post(body)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the fault fires once")
	resp, out := post(body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", out)
	choice := out["choices"].([]any)[0].(map[string]any)
	assert.Equal(t, "stop", choice["finish_reason"])
	document(t, json.RawMessage(choice["message"].(map[string]any)["content"].(string)))

	resp, _ = post(`{"model": "llama", "messages": [{"role": "user", "content": "hi"}]}`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a model is publisher/model")
	assert.Len(t, srv.Requests(), 3)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
