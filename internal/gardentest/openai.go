package gardentest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ChatRequest is the part of a chat completions body the fake reads.
type ChatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	MaxTokens           int      `json:"max_tokens,omitempty"`
	MaxCompletionTokens int      `json:"max_completion_tokens,omitempty"`
	N                   int      `json:"n,omitempty"`
	Temperature         *float64 `json:"temperature,omitempty"`
	ResponseFormat      *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict *bool           `json:"strict,omitempty"`
		} `json:"json_schema,omitempty"`
	} `json:"response_format,omitempty"`
	Stream bool `json:"stream,omitempty"`
}

// Chat decodes the body of a recorded chat completions request.
func (r Request) Chat() (*ChatRequest, error) {
	var c ChatRequest
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return nil, fmt.Errorf("decode a chat completions request: %w", err)
	}
	return &c, nil
}

// Text returns the text of the messages of a role ("" for every role).
func (c *ChatRequest) Text(role string) string {
	var parts []string
	for _, m := range c.Messages {
		if role == "" || m.Role == role {
			parts = append(parts, blocksText(m.Content))
		}
	}
	return strings.Join(parts, "\n")
}

func openaiError(w http.ResponseWriter, code int, kind, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"message": msg, "type": kind, "code": fmt.Sprint(code)}})
}

func (s *Server) openai(w http.ResponseWriter, r *http.Request, req *Request) {
	if !openaiPath.MatchString(r.URL.Path) || r.Method != http.MethodPost {
		openaiError(w, http.StatusNotFound, "not_found_error", "the fake does not serve "+r.Method+" "+r.URL.Path)
		return
	}
	var body ChatRequest
	if err := json.Unmarshal(req.Body, &body); err != nil {
		openaiError(w, http.StatusBadRequest, "invalid_request_error", "Invalid JSON payload received. "+err.Error())
		return
	}
	req.Model = body.Model
	switch {
	case !strings.Contains(body.Model, "/"):
		openaiError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("model %q must be publisher/model", body.Model))
		return
	case len(body.Messages) == 0:
		openaiError(w, http.StatusBadRequest, "invalid_request_error", "messages must not be empty")
		return
	case body.N > 1:
		openaiError(w, http.StatusBadRequest, "invalid_request_error", "n must be 1")
		return
	case body.Stream:
		openaiError(w, http.StatusBadRequest, "invalid_request_error", "the fake does not stream")
		return
	}
	var schema json.RawMessage
	if rf := body.ResponseFormat; rf != nil && rf.Type == "json_schema" {
		if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 || rf.JSONSchema.Name == "" {
			openaiError(w, http.StatusBadRequest, "invalid_request_error", "response_format.json_schema needs a name and a schema")
			return
		}
		schema = rf.JSONSchema.Schema
	}
	fault, faulty := s.pick(req)
	if faulty && answerFault(w, r, fault, req.Model, openaiError) {
		return
	}
	prompt := body.Text("")
	limit := body.MaxTokens
	if body.MaxCompletionTokens > 0 {
		limit = body.MaxCompletionTokens
	}
	text, finish := "OK", "stop"
	if schema != nil {
		doc, err := s.document(schema, prompt, req.Body, req.Model)
		if err != nil {
			openaiError(w, http.StatusBadRequest, "invalid_request_error", "response_format.json_schema.schema: "+err.Error())
			return
		}
		text = string(doc)
	}
	text, cut := shape(text, fault, faulty, limit)
	if cut {
		finish = "length"
	}
	if blocked(fault, faulty) {
		text, finish = "", "content_filter"
	}
	in, out := tokens(prompt), tokens(text)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": fmt.Sprintf("chatcmpl-fake-%d", len(req.Body)), "object": "chat.completion", "created": 1767225600, "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": finish,
			"message": map[string]any{"role": "assistant", "content": text}}},
		"usage": map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
}
