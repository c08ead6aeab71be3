// Package openaicompat is the text backend of the models Vertex AI serves
// through its OpenAI-compatible chat completions endpoint (open models
// such as Llama, as model-as-a-service), through the OpenAI Go SDK,
// selected for a text step with backend "openai" in the models
// configuration. Requests go to
// /v1/projects/P/locations/L/endpoints/openapi/chat/completions with
// Google credentials.
//
// A document is asked for with response_format json_schema: the format's
// JSON Schema (without Gemini's propertyOrdering), not strict, since
// strict mode accepts only a subset of the keywords the content contract
// uses. The prompt is the shared one (package prompts through package
// llm) as a system and a user message; the output limit is the step's
// (doubled for the repair of a cut-off answer) and its temperature is
// sent; thinking settings are not. Usage reports reasoning tokens as
// thinking and cached prompt tokens as cached, priced from the price
// table under the model's ID.
//
// Finish reasons map like Gemini's: length is a cut-off answer left to
// the repair loop, content_filter (or a refusal) is content_filtered.
// HTTP failures map to the same codes as Gemini's (package llm); the
// SDK's own retries are off, so the configured retry policy applies.
package openaicompat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
	"contentfactory.dev/factory/shared/ai/models"
)

// Backend is the name recorded in ai.Call.Backend.
const Backend = models.TextOpenAI

// Client is the OpenAI-compatible backend; safe for concurrent use.
type Client struct {
	llm.Generator
}

var _ ai.TextGenerator = (*Client)(nil)

// Options are the seams of a Client.
type Options = llm.Options

// BaseURL is the OpenAI-compatible endpoint of a project and location:
// on host (a base URL such as a local fake's) when given, else on the
// location's Vertex AI host.
func BaseURL(host, project, location string) string {
	if host == "" {
		switch location {
		case "global":
			host = "https://aiplatform.googleapis.com"
		case "us", "eu":
			host = "https://aiplatform." + location + ".rep.googleapis.com"
		default:
			host = "https://" + location + "-aiplatform.googleapis.com"
		}
	}
	return strings.TrimSuffix(host, "/") + "/v1/projects/" + project + "/locations/" + location + "/endpoints/openapi/"
}

// New builds a Client from the models configuration: the Vertex project,
// openai.location (or vertex.location) and openai.base_url.
func New(ctx context.Context, cfg *models.Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("openai-compatible: %w", err)
	}
	hc := opts.HTTPClient
	if hc == nil {
		if cfg.OpenAI.Plaintext() {
			hc = &http.Client{}
		} else {
			creds, err := credentials.DetectDefault(&credentials.DetectOptions{
				Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"},
			})
			if err != nil {
				return nil, fmt.Errorf("openai-compatible: find Google credentials: %w", err)
			}
			if hc, err = httptransport.NewClient(&httptransport.Options{Credentials: creds}); err != nil {
				return nil, fmt.Errorf("openai-compatible: authenticated HTTP client: %w", err)
			}
		}
	}
	location := cfg.OpenAI.LocationOr(cfg.Vertex.Location)
	api := openai.NewClient(
		option.WithHTTPClient(hc),
		option.WithBaseURL(BaseURL(cfg.OpenAI.BaseURL, cfg.Vertex.Project, location)),
		// The Google credentials authorize the call; the SDK wants a key.
		option.WithAPIKey("google-credentials"),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(cfg.Vertex.Timeout.D()))
	return &Client{Generator: llm.NewGenerator(cfg, wire{api: &api}, opts)}, nil
}

// wire sends calls through the OpenAI SDK.
type wire struct {
	api *openai.Client
}

func (w wire) Send(ctx context.Context, c llm.Call) (llm.Answer, error) {
	params := openai.ChatCompletionNewParams{
		Model:     shared.ChatModel(c.Step.Model),
		MaxTokens: openai.Int(int64(c.MaxTokens)),
		N:         openai.Int(1),
	}
	if c.Prompt.System != "" {
		params.Messages = append(params.Messages, openai.SystemMessage(c.Prompt.System))
	}
	params.Messages = append(params.Messages, openai.UserMessage(c.Prompt.User))
	if t := c.Step.Temperature; t != nil {
		params.Temperature = openai.Float(float64(*t))
	}
	if c.Schema != nil {
		schema, err := llm.JSONSchema(c.Schema)
		if err != nil {
			return llm.Answer{}, ai.Permanent(llm.CodeInvalidRequest, err)
		}
		params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "document", Schema: schema, Strict: openai.Bool(false)},
		}}
	}
	resp, err := w.api.Chat.Completions.New(ctx, params)
	if err != nil {
		return llm.Answer{}, err
	}
	u := resp.Usage
	reasoning := u.CompletionTokensDetails.ReasoningTokens
	ans := llm.Answer{Call: ai.Call{
		Backend:        Backend,
		PromptTokens:   u.PromptTokens,
		CachedTokens:   u.PromptTokensDetails.CachedTokens,
		OutputTokens:   max(0, u.CompletionTokens-reasoning),
		ThinkingTokens: reasoning,
	}}
	if len(resp.Choices) == 0 {
		return ans, ai.Transient(llm.CodeUnavailable, errors.New("the model answered no choice"))
	}
	choice := resp.Choices[0]
	ans.Text = choice.Message.Content
	switch {
	case choice.FinishReason == "content_filter":
		ans.Filtered, ans.Text = "content_filter", ""
	case choice.Message.Refusal != "":
		ans.Filtered, ans.Text = "refusal: "+choice.Message.Refusal, ""
	case choice.FinishReason == "length":
		ans.CutOff = true
	}
	return ans, nil
}

func (wire) Classify(err error, model, setting string) error {
	return llm.Classify(err, model, setting, func(err error) (int, *http.Response, bool) {
		var api *openai.Error
		if errors.As(err, &api) {
			return api.StatusCode, api.Response, true
		}
		return 0, nil, false
	})
}
