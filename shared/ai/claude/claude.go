// Package claude is the text backend of Claude models on Vertex AI,
// through the Anthropic Go SDK and its vertex option (the Messages API
// served at publishers/anthropic/models/MODEL:rawPredict), selected for a
// text step with backend "claude" in the models configuration.
//
// A document is written as the input of one tool, write_document, whose
// input schema is the format's JSON Schema and which the model is made to
// call (tool_choice), so the answer is structured output. The prompt is
// the shared one (package prompts through package llm: system
// instruction with the canary, fenced data, repair), sent as the system
// blocks and the user turn. The output limit is the step's (doubled for
// the repair of a cut-off answer); temperature is sent when the step sets
// one; thinking settings are not sent, since extended thinking cannot be
// combined with a forced tool. Usage counts cache reads as cached prompt
// tokens and is priced from the price table under the model's ID.
//
// Stop reasons map like Gemini's finish reasons: max_tokens is a cut-off
// answer left to the repair loop, refusal is content_filtered. HTTP
// failures map to the same codes as Gemini's (package llm): 429
// rate_limited, 5xx and 529 (overloaded) unavailable, 404 model_retired,
// and so on; the SDK's own retries are off, so the configured retry
// policy applies.
package claude

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/vertex"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
)

// Backend is the name recorded in ai.Call.Backend.
const Backend = models.TextClaude

// APIVersion is the Messages API version Vertex AI serves Claude with.
const APIVersion = "vertex-2023-10-16"

// ToolName is the tool whose input is the document.
const ToolName = "write_document"

// Client is the Claude backend; safe for concurrent use.
type Client struct {
	llm.Generator
}

var _ ai.TextGenerator = (*Client)(nil)

// Options are the seams of a Client.
type Options = llm.Options

// New builds a Client from the models configuration: the Vertex project,
// claude.location (or vertex.location) and claude.base_url. Google
// credentials are found unless the base URL is plain HTTP (a local fake).
func New(ctx context.Context, cfg *models.Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("claude: %w", err)
	}
	var creds *google.Credentials
	if cfg.Claude.Plaintext() {
		creds = &google.Credentials{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "none"})}
	} else {
		var err error
		if creds, err = google.FindDefaultCredentials(ctx, "https://www.googleapis.com/auth/cloud-platform"); err != nil {
			return nil, fmt.Errorf("claude: find Google credentials: %w", err)
		}
	}
	var reqOpts []option.RequestOption
	if opts.HTTPClient != nil {
		reqOpts = append(reqOpts, option.WithHTTPClient(opts.HTTPClient))
	}
	reqOpts = append(reqOpts,
		vertex.WithCredentials(ctx, cfg.Claude.LocationOr(cfg.Vertex.Location), cfg.Vertex.Project, creds),
		option.WithHeader("anthropic-version", APIVersion),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(cfg.Vertex.Timeout.D()))
	if cfg.Claude.BaseURL != "" {
		reqOpts = append(reqOpts, option.WithBaseURL(cfg.Claude.BaseURL))
	}
	api := anthropic.NewClient(reqOpts...)
	return &Client{Generator: llm.NewGenerator(cfg, wire{api: &api}, opts)}, nil
}

// wire sends calls through the Anthropic SDK.
type wire struct {
	api *anthropic.Client
}

func (w wire) Send(ctx context.Context, c llm.Call) (llm.Answer, error) {
	params := anthropic.MessageNewParams{
		Model:     anthropic.Model(c.Step.Model),
		MaxTokens: int64(c.MaxTokens),
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(c.Prompt.User))},
	}
	if c.Prompt.System != "" {
		params.System = []anthropic.TextBlockParam{{Text: c.Prompt.System}}
	}
	if c.Schema != nil {
		schema, err := inputSchema(c.Schema)
		if err != nil {
			return llm.Answer{}, ai.Permanent(llm.CodeInvalidRequest, err)
		}
		tool := anthropic.ToolUnionParamOfTool(schema, ToolName)
		tool.OfTool.Description = anthropic.String("Write the document: its input is the whole document, following the schema.")
		params.Tools = []anthropic.ToolUnionParam{tool}
		params.ToolChoice = anthropic.ToolChoiceParamOfTool(ToolName)
	}
	var reqOpts []option.RequestOption
	if t := c.Step.Temperature; t != nil {
		reqOpts = append(reqOpts, option.WithJSONSet("temperature", float64(*t)))
	}
	msg, err := w.api.Messages.New(ctx, params, reqOpts...)
	if err != nil {
		return llm.Answer{}, err
	}
	ans := llm.Answer{Call: ai.Call{
		Backend:      Backend,
		PromptTokens: msg.Usage.InputTokens + msg.Usage.CacheReadInputTokens + msg.Usage.CacheCreationInputTokens,
		CachedTokens: msg.Usage.CacheReadInputTokens,
		OutputTokens: msg.Usage.OutputTokens,
	}}
	var text strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "tool_use":
			if b.Name == ToolName && ans.Text == "" {
				ans.Text = string(b.Input)
			}
		case "text":
			text.WriteString(b.Text)
		}
	}
	if ans.Text == "" {
		ans.Text = text.String()
	}
	switch msg.StopReason {
	case anthropic.StopReasonMaxTokens, anthropic.StopReasonModelContextWindowExceeded:
		ans.CutOff = true
	case anthropic.StopReasonRefusal:
		ans.Filtered = "refusal"
		ans.Text = ""
	}
	return ans, nil
}

func (wire) Classify(err error, model, setting string) error {
	return llm.Classify(err, model, setting, func(err error) (int, *http.Response, bool) {
		var api *anthropic.Error
		if errors.As(err, &api) {
			return api.StatusCode, api.Response, true
		}
		return 0, nil, false
	})
}

// inputSchema turns the document's schema into a tool's input schema.
func inputSchema(s *content.Schema) (anthropic.ToolInputSchemaParam, error) {
	m, err := llm.JSONSchema(s)
	if err != nil {
		return anthropic.ToolInputSchemaParam{}, err
	}
	out := anthropic.ToolInputSchemaParam{Properties: m["properties"], ExtraFields: map[string]any{}}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				out.Required = append(out.Required, s)
			}
		}
	}
	for k, v := range m {
		if k != "properties" && k != "required" && k != "type" {
			out.ExtraFields[k] = v
		}
	}
	return out, nil
}
