// Package gardentest holds wire-level fakes of the Model Garden models
// Vertex AI serves through REST shapes other than Gemini's, for tests and
// for the local stack:
//
// NewClaude speaks the Anthropic Messages API as Vertex AI serves Claude:
//
//	POST /v1/projects/P/locations/L/publishers/anthropic/models/M:rawPredict
//	POST /v1/projects/P/locations/L/publishers/anthropic/models/M:streamRawPredict
//
// with anthropic_version "vertex-2023-10-16" in the body and the model in
// the path, never in the body. A request that forces a tool (tool_choice
// of type tool) is answered with a tool_use block whose input is a
// document generated from the tool's input_schema; any other request with
// a short text. streamRawPredict answers the same message as server-sent
// events.
//
// NewOpenAI speaks Vertex AI's OpenAI-compatible chat completions:
//
//	POST /v1/projects/P/locations/L/endpoints/openapi/chat/completions
//
// with the model ("publisher/model") in the body. A request with
// response_format json_schema is answered with a document generated from
// that schema; any other with a short text.
//
// Documents come from vertextest.Answer (the Gemini fake's generator:
// the schema, then what the prompt asks where a schema cannot say it), so
// all three fakes write alike. Answers carry realistic usage; an answer
// longer than max_tokens is cut off (stop reason max_tokens, finish
// reason length). Faults are the Gemini fake's vertextest.Fault rules:
// rate_limit (429 with Retry-After), server_error, unavailable,
// not_found (as for a retired model), bad_request, permission_denied,
// slow, safety and prompt_blocked (a refusal, or finish reason
// content_filter), malformed and truncated. Every request is recorded.
package gardentest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"contentfactory.dev/factory/internal/faultinject"
	"contentfactory.dev/factory/internal/vertextest"
)

// ClaudeVersion is the anthropic_version Vertex AI requires.
const ClaudeVersion = "vertex-2023-10-16"

// Options configure a fake.
type Options struct {
	// Seed varies every generated answer; the same seed and request give
	// the same answer.
	Seed int64
	// Faults are injected into answers, first match wins.
	Faults []vertextest.Fault
	// Retired model IDs are answered 404, like a retired model.
	Retired []string
}

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Model is the model of the request (from the path or the body).
	Model string
	// Status is the HTTP status the fake answered.
	Status int
	// Fault is the fault injected into the answer, if any.
	Fault vertextest.FaultKind
}

// Server is a running fake.
type Server struct {
	// URL is the base URL to configure (claude.base_url or
	// openai.base_url).
	URL string

	srv    *httptest.Server
	faults *faultinject.Picker[vertextest.Fault]
	answer func(s *Server, w http.ResponseWriter, r *http.Request, rec *Request)

	mu       sync.Mutex
	retired  []string
	seed     int64
	requests []Request
}

// NewClaude starts a fake of Claude on Vertex AI.
func NewClaude(opts Options) *Server { return start(opts, 0xc1a0de, (*Server).claude) }

// NewOpenAI starts a fake of Vertex AI's OpenAI-compatible endpoint.
func NewOpenAI(opts Options) *Server { return start(opts, 0x09e4a1, (*Server).openai) }

func start(opts Options, stream uint64, answer func(*Server, http.ResponseWriter, *http.Request, *Request)) *Server {
	s := &Server{
		faults:  faultinject.NewPicker(opts.Seed, stream, vertextest.Fault.Odds, opts.Faults),
		answer:  answer,
		retired: slices.Clone(opts.Retired),
		seed:    opts.Seed,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddFault adds a fault rule at run time.
func (s *Server) AddFault(f vertextest.Fault) { s.faults.Add(f) }

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() { s.faults.Clear() }

// Retire makes the fake answer 404 for a model from now on.
func (s *Server) Retire(model string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retired = append(s.retired, model)
}

// Requests returns a copy of every request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	s.answer(s, rec, r, &req)
	req.Status = rec.status
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
}

// pick decides the fault of a request of the model.
func (s *Server) pick(req *Request) (vertextest.Fault, bool) {
	s.mu.Lock()
	retired := slices.Contains(s.retired, req.Model)
	s.mu.Unlock()
	if retired {
		req.Fault = vertextest.NotFound
		return vertextest.Fault{Kind: vertextest.NotFound, Model: req.Model}, true
	}
	f, ok := s.faults.Pick(func(f vertextest.Fault) bool { return f.Model == "" || f.Model == req.Model })
	if ok {
		req.Fault = f.Kind
	}
	return f, ok
}

// answerFault answers the HTTP faults; it reports whether it answered.
func answerFault(w http.ResponseWriter, r *http.Request, f vertextest.Fault, model string, write func(w http.ResponseWriter, code int, kind, msg string)) bool {
	switch f.Kind {
	case vertextest.RateLimit:
		after := f.RetryAfter
		if after == 0 {
			after = time.Second
		}
		if after > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
		}
		write(w, http.StatusTooManyRequests, "rate_limit_error", "Quota exceeded; please try again later.")
	case vertextest.ServerError:
		write(w, http.StatusInternalServerError, "api_error", "Internal server error.")
	case vertextest.Unavailable:
		write(w, http.StatusServiceUnavailable, "overloaded_error", "The service is temporarily overloaded.")
	case vertextest.NotFound:
		write(w, http.StatusNotFound, "not_found_error", fmt.Sprintf("Publisher model %s was not found or your project does not have access to it.", model))
	case vertextest.BadRequest:
		write(w, http.StatusBadRequest, "invalid_request_error", "Request contains an invalid argument.")
	case vertextest.PermissionDenied:
		write(w, http.StatusForbidden, "permission_error", "Permission 'aiplatform.endpoints.predict' denied on resource.")
	case vertextest.Slow:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
		return false
	default:
		return false
	}
	return true
}

// document answers a schema with a generated document, varied by the seed
// and the request.
func (s *Server) document(schema json.RawMessage, prompt string, body []byte, model string) ([]byte, error) {
	var sch vertextest.Schema
	if err := json.Unmarshal(schema, &sch); err != nil {
		return nil, fmt.Errorf("invalid schema: %w", err)
	}
	h := fnv.New64a()
	h.Write(body)
	h.Write([]byte(model))
	rng := rand.New(rand.NewPCG(uint64(s.seed), h.Sum64()))
	return vertextest.Answer(&sch, prompt, rng)
}

// shape applies the answer faults and the output limit to a text: it
// returns the text and whether it was cut off.
func shape(text string, f vertextest.Fault, faulty bool, maxTokens int) (string, bool) {
	if faulty && f.Kind == vertextest.Malformed {
		text = "Sure! Here is the document you asked for:\n{title: 'Untitled', \"overview\": [1, 2,}\n"
	}
	if faulty && f.Kind == vertextest.Truncated {
		return text[:len(text)/2], true
	}
	if maxTokens > 0 && tokens(text) > maxTokens {
		return text[:min(len(text), maxTokens*4)], true
	}
	return text, false
}

func tokens(s string) int { return (len(s) + 3) / 4 }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

var (
	claudePath = regexp.MustCompile(`^/v1/projects/([^/]+)/locations/([^/]+)/publishers/anthropic/models/([^/:]+):(rawPredict|streamRawPredict)$`)
	openaiPath = regexp.MustCompile(`^/v1/projects/([^/]+)/locations/([^/]+)/endpoints/openapi/chat/completions$`)
)

func blocked(f vertextest.Fault, faulty bool) bool {
	return faulty && (f.Kind == vertextest.SafetyFinish || f.Kind == vertextest.PromptBlocked)
}

func joinPrompt(parts ...string) string { return strings.Join(parts, "\n") }
