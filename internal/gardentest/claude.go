package gardentest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ClaudeRequest is the part of a Messages request body the fake reads.
type ClaudeRequest struct {
	AnthropicVersion string          `json:"anthropic_version"`
	Model            string          `json:"model,omitempty"`
	MaxTokens        int             `json:"max_tokens"`
	System           json.RawMessage `json:"system,omitempty"`
	Messages         []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools,omitempty"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name,omitempty"`
	} `json:"tool_choice,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Stream      bool     `json:"stream,omitempty"`
}

// Claude decodes the body of a recorded Claude request.
func (r Request) Claude() (*ClaudeRequest, error) {
	var c ClaudeRequest
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return nil, fmt.Errorf("decode a Messages request: %w", err)
	}
	return &c, nil
}

// SystemText returns the text of the system prompt (a string or blocks).
func (c *ClaudeRequest) SystemText() string { return blocksText(c.System) }

// UserText returns the text of every message, joined.
func (c *ClaudeRequest) UserText() string {
	var parts []string
	for _, m := range c.Messages {
		parts = append(parts, blocksText(m.Content))
	}
	return strings.Join(parts, "\n")
}

// blocksText reads a content field: a string or a list of text blocks.
func blocksText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &blocks)
	var parts []string
	for _, b := range blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func claudeError(w http.ResponseWriter, code int, kind, msg string) {
	writeJSON(w, code, map[string]any{"type": "error", "error": map[string]any{"type": kind, "message": msg}})
}

type claudeMessage struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []map[string]any `json:"content"`
	StopReason   string           `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        claudeUsage      `json:"usage"`
}

type claudeUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

func (s *Server) claude(w http.ResponseWriter, r *http.Request, req *Request) {
	m := claudePath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodPost {
		claudeError(w, http.StatusNotFound, "not_found_error", "the fake does not serve "+r.Method+" "+r.URL.Path)
		return
	}
	req.Model = m[3]
	stream := m[4] == "streamRawPredict"
	var body ClaudeRequest
	if err := json.Unmarshal(req.Body, &body); err != nil {
		claudeError(w, http.StatusBadRequest, "invalid_request_error", "Invalid JSON payload received. "+err.Error())
		return
	}
	switch {
	case body.AnthropicVersion != ClaudeVersion:
		claudeError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("anthropic_version must be %q, not %q", ClaudeVersion, body.AnthropicVersion))
		return
	case body.Model != "":
		claudeError(w, http.StatusBadRequest, "invalid_request_error", "model: Extra inputs are not permitted (the model is in the path)")
		return
	case body.MaxTokens <= 0:
		claudeError(w, http.StatusBadRequest, "invalid_request_error", "max_tokens: Field required")
		return
	case len(body.Messages) == 0:
		claudeError(w, http.StatusBadRequest, "invalid_request_error", "messages: at least one message is required")
		return
	case body.Stream != stream:
		claudeError(w, http.StatusBadRequest, "invalid_request_error", "stream must be true on streamRawPredict only")
		return
	}
	fault, faulty := s.pick(req)
	if faulty && answerFault(w, r, fault, req.Model, claudeError) {
		return
	}
	prompt := joinPrompt(body.SystemText(), body.UserText())
	msg := claudeMessage{ID: fmt.Sprintf("msg_fake_%d", len(req.Body)), Type: "message", Role: "assistant", Model: req.Model,
		Usage: claudeUsage{InputTokens: tokens(prompt)}}
	var tool string
	var schema json.RawMessage
	if tc := body.ToolChoice; tc != nil && tc.Type == "tool" {
		for _, t := range body.Tools {
			if t.Name == tc.Name {
				tool, schema = t.Name, t.InputSchema
			}
		}
		if tool == "" {
			claudeError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("tool_choice names %q, which is not a tool of the request", tc.Name))
			return
		}
	}
	switch {
	case blocked(fault, faulty):
		msg.StopReason = "refusal"
		msg.Content = []map[string]any{}
	case tool != "":
		doc, err := s.document(schema, prompt, req.Body, req.Model)
		if err != nil {
			claudeError(w, http.StatusBadRequest, "invalid_request_error", "tools.0.input_schema: "+err.Error())
			return
		}
		text, cut := shape(string(doc), fault, faulty, body.MaxTokens)
		msg.Usage.OutputTokens = tokens(text)
		switch {
		case cut:
			// Cut off inside the tool call: what was written is text.
			msg.StopReason = "max_tokens"
			msg.Content = []map[string]any{{"type": "text", "text": text}}
		case !json.Valid([]byte(text)):
			msg.StopReason = "end_turn"
			msg.Content = []map[string]any{{"type": "text", "text": text}}
		default:
			msg.StopReason = "tool_use"
			msg.Content = []map[string]any{{"type": "tool_use", "id": "toolu_fake", "name": tool, "input": json.RawMessage(text)}}
		}
	default:
		text, cut := shape("OK", fault, faulty, body.MaxTokens)
		msg.StopReason = "end_turn"
		if cut {
			msg.StopReason = "max_tokens"
		}
		msg.Usage.OutputTokens = tokens(text)
		msg.Content = []map[string]any{{"type": "text", "text": text}}
	}
	if stream {
		claudeStream(w, msg)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

// claudeStream answers a message as the Messages API's server-sent
// events: the message, each block in two deltas, the stop reason.
func claudeStream(w http.ResponseWriter, msg claudeMessage) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	event := func(name string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	}
	start := msg
	start.Content, start.StopReason = []map[string]any{}, ""
	start.Usage.OutputTokens = 0
	event("message_start", map[string]any{"type": "message_start", "message": start})
	for i, b := range msg.Content {
		var whole, key, delta string
		opened := map[string]any{"type": b["type"]}
		switch b["type"] {
		case "tool_use":
			raw, _ := b["input"].(json.RawMessage)
			whole, key, delta = string(raw), "partial_json", "input_json_delta"
			opened["id"], opened["name"], opened["input"] = b["id"], b["name"], map[string]any{}
		default:
			whole, key, delta = fmt.Sprint(b["text"]), "text", "text_delta"
			opened["text"] = ""
		}
		event("content_block_start", map[string]any{"type": "content_block_start", "index": i, "content_block": opened})
		half := len(whole) / 2
		for half > 0 && (whole[half]&0xC0) == 0x80 {
			half--
		}
		for _, part := range []string{whole[:half], whole[half:]} {
			event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": delta, key: part}})
		}
		event("content_block_stop", map[string]any{"type": "content_block_stop", "index": i})
	}
	event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": msg.StopReason, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": msg.Usage.OutputTokens}})
	event("message_stop", map[string]any{"type": "message_stop"})
}
