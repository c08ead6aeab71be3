// Package vertextest is a wire-level fake of the Vertex AI (Gemini
// Enterprise Agent Platform) REST API, for tests and for the local stack.
//
// NewServer starts an httptest server that speaks the paths the genai
// client uses with the Vertex backend:
//
//	POST   /v1beta1/projects/P/locations/L/publishers/google/models/M:generateContent
//	POST   /v1beta1/projects/P/locations/L/publishers/google/models/M:streamGenerateContent?alt=sse
//	POST   /v1beta1/projects/P/locations/L/cachedContents         (create)
//	GET    /v1beta1/projects/P/locations/L/cachedContents         (list)
//	GET    /v1beta1/projects/P/locations/L/cachedContents/ID      (get)
//	PATCH  /v1beta1/projects/P/locations/L/cachedContents/ID      (update TTL)
//	DELETE /v1beta1/projects/P/locations/L/cachedContents/ID      (delete)
//
// A text answer is a JSON document generated from the request's
// generationConfig.responseJsonSchema (see Generate), varied by the seed
// and the request, and following what the prompt asks where a schema
// cannot say it (a podcast script's length, a timeline's order: see
// Answer); an image model (an ID containing "image") answers a
// real PNG and a sentence of alt text. Answers carry realistic
// usageMetadata. The fake enforces what Vertex enforces and the backends
// could get wrong: a JSON schema needs responseMimeType application/json,
// a request with cachedContent may not carry a system instruction or use
// another model, caches expire.
//
// Faults (429 with Retry-After, 5xx, slow answers, safety blocks,
// malformed or truncated JSON, 404 for a model) and a "compromised model"
// that answers a fixed text are set with Options, at run time with
// AddFault and SetCompromised, or from the environment (OptionsFromEnv).
// Every request is recorded (Requests).
package vertextest

import (
	"encoding/base64"
	"encoding/binary"
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
)

// Options configure the fake.
type Options struct {
	// Keep bounds the requests kept for Requests to the latest Keep
	// (0: every one, as tests want; the long-running local stack bounds
	// it so that its memory stays flat).
	Keep int
	// Seed varies every generated answer; the same seed and request give
	// the same answer.
	Seed int64
	// Faults are injected into generate requests, first match wins.
	Faults []Fault
	// Retired model IDs are answered 404 NOT_FOUND, like a retired model.
	Retired []string
	// Compromised, when set, replaces the text of every answer: a model
	// that follows injected instructions, for security tests.
	Compromised string
	// Latency delays every generate answer.
	Latency time.Duration
	// CacheMinTokens is the smallest cache the fake accepts (Vertex has a
	// model-dependent minimum); default 1024.
	CacheMinTokens int
}

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	// Kind is "generate", "stream", "cache.create", "cache.list",
	// "cache.get", "cache.update", "cache.delete" or "unknown".
	Kind string
	// Model is the model ID of a generate request or cache creation.
	Model string
	// Status is the HTTP status the fake answered.
	Status int
	// Fault is the fault injected into the answer, if any.
	Fault FaultKind
}

// Generate decodes the body of a generate request.
func (r Request) Generate() (*GenerateRequest, error) {
	var g GenerateRequest
	if err := json.Unmarshal(r.Body, &g); err != nil {
		return nil, fmt.Errorf("decode generate request: %w", err)
	}
	return &g, nil
}

// GenerateRequest is the part of a generateContent body the fake reads.
type GenerateRequest struct {
	Contents          []Content        `json:"contents"`
	SystemInstruction *Content         `json:"systemInstruction,omitempty"`
	GenerationConfig  GenerationConfig `json:"generationConfig"`
	CachedContent     string           `json:"cachedContent,omitempty"`
	Tools             []any            `json:"tools,omitempty"`
	ToolConfig        any              `json:"toolConfig,omitempty"`
}

// Text returns every text part of the contents, joined.
func (g *GenerateRequest) Text() string {
	var b strings.Builder
	for _, c := range g.Contents {
		b.WriteString(c.Text())
	}
	return b.String()
}

// Content is a turn.
type Content struct {
	Role  string `json:"role,omitempty"`
	Parts []Part `json:"parts"`
}

// Text joins the text parts of a turn.
func (c *Content) Text() string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Part is a piece of a turn.
type Part struct {
	Text       string `json:"text,omitempty"`
	Thought    bool   `json:"thought,omitempty"`
	InlineData *Blob  `json:"inlineData,omitempty"`
}

// Blob is inline data.
type Blob struct {
	MIMEType string `json:"mimeType"`
	Data     []byte `json:"data"`
}

// GenerationConfig is the part of generationConfig the fake reads.
type GenerationConfig struct {
	ResponseMIMEType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ResponseSchema     json.RawMessage `json:"responseSchema,omitempty"`
	ResponseModalities []string        `json:"responseModalities,omitempty"`
	MaxOutputTokens    int             `json:"maxOutputTokens,omitempty"`
	Temperature        *float64        `json:"temperature,omitempty"`
	ThinkingConfig     *struct {
		ThinkingLevel  string `json:"thinkingLevel,omitempty"`
		ThinkingBudget *int   `json:"thinkingBudget,omitempty"`
	} `json:"thinkingConfig,omitempty"`
	ImageConfig *struct {
		AspectRatio string `json:"aspectRatio,omitempty"`
		ImageSize   string `json:"imageSize,omitempty"`
	} `json:"imageConfig,omitempty"`
}

// Server is a running fake.
type Server struct {
	// URL is the base URL to give the genai client (HTTPOptions.BaseURL).
	URL string

	srv *httptest.Server

	faults *faultinject.Picker[Fault]

	mu          sync.Mutex
	opts        Options
	requests    []Request
	caches      map[string]*cache
	nextCacheID int
	now         func() time.Time
}

type cache struct {
	Name        string    `json:"name"`
	Model       string    `json:"model"`
	DisplayName string    `json:"displayName,omitempty"`
	CreateTime  time.Time `json:"createTime"`
	UpdateTime  time.Time `json:"updateTime"`
	ExpireTime  time.Time `json:"expireTime"`
	Usage       struct {
		TotalTokenCount int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	text string
}

// NewServer starts a fake on a loopback port.
func NewServer(opts Options) *Server {
	if opts.CacheMinTokens == 0 {
		opts.CacheMinTokens = 1024
	}
	s := &Server{
		faults: faultinject.NewPicker(opts.Seed, 0x5eed, Fault.Odds, opts.Faults),
		opts:   opts,
		caches: map[string]*cache{},
		now:    time.Now,
	}
	s.opts.Faults = nil // the picker holds them
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AddFault adds a fault rule at run time.
func (s *Server) AddFault(f Fault) { s.faults.Add(f) }

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() { s.faults.Clear() }

// Retire makes the fake answer 404 for a model from now on.
func (s *Server) Retire(model string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Retired = append(s.opts.Retired, model)
}

// SetCompromised makes every text answer the given text ("" turns it off).
func (s *Server) SetCompromised(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Compromised = text
}

// Requests returns a copy of every request so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests of a kind arrived.
func (s *Server) Count(kind string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// Caches returns the names of the live context caches.
func (s *Server) Caches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	var out []string
	for n := range s.caches {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

var (
	modelPath = regexp.MustCompile(`^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/publishers/([^/]+)/models/([^/:]+):(generateContent|streamGenerateContent)$`)
	cachePath = regexp.MustCompile(`^/(v1|v1beta1)/(projects/([^/]+)/locations/([^/]+))/cachedContents(?:/([^/]+))?$`)
)

// fenceToken is a data block's fence token (prompts.Fence) in a prompt.
var fenceToken = regexp.MustCompile(`\b[0-9a-f]{32}\b`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, Kind: "unknown"}
	switch m := modelPath.FindStringSubmatch(r.URL.Path); {
	case m != nil && r.Method == http.MethodPost:
		req.Model = m[5]
		req.Kind = "generate"
		if m[6] == "streamGenerateContent" {
			req.Kind = "stream"
		}
		s.generate(rec, r, req, m[2], m[3])
	default:
		c := cachePath.FindStringSubmatch(r.URL.Path)
		if c == nil {
			writeError(rec, http.StatusNotFound, "NOT_FOUND", "the fake does not serve "+r.URL.Path, 0)
			break
		}
		s.cacheAPI(rec, r, &req, c[2], c[5])
	}
	req.Status, req.Fault = rec.status, rec.fault
	if !rec.written && r.Context().Err() != nil {
		req.Status = StatusClientClosed
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	if k := s.opts.Keep; k > 0 && len(s.requests) > k {
		s.requests = slices.Clone(s.requests[len(s.requests)-k:])
	}
	s.mu.Unlock()
}

type recorder struct {
	http.ResponseWriter
	status  int
	written bool
	fault   FaultKind
}

func (r *recorder) WriteHeader(code int) {
	r.status, r.written = code, true
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

// StatusClientClosed is the status recorded for a request whose caller
// went away before it was answered (nothing was served, nothing billed).
const StatusClientClosed = 499

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func writeError(w http.ResponseWriter, code int, status, msg string, retryAfter time.Duration) {
	e := map[string]any{"code": code, "message": msg, "status": status}
	if retryAfter > 0 {
		secs := int((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		e["details"] = []map[string]any{{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": fmt.Sprintf("%ds", secs),
		}}
	}
	writeJSON(w, code, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// pickFault returns the fault that applies to a request of the model;
// only, when given, limits the kinds considered. A retired model is
// answered NotFound before any rule is tried.
func (s *Server) pickFault(model string, only ...FaultKind) (Fault, bool) {
	s.mu.Lock()
	retired := slices.Contains(s.opts.Retired, model)
	s.mu.Unlock()
	if retired {
		return Fault{Kind: NotFound, Model: model}, true
	}
	return s.faults.Pick(func(f Fault) bool {
		return (f.Model == "" || f.Model == model) && (len(only) == 0 || slices.Contains(only, f.Kind))
	})
}

func isImageModel(model string, g *GenerateRequest) bool {
	return strings.Contains(model, "image") || slices.Contains(g.GenerationConfig.ResponseModalities, "IMAGE")
}

func (s *Server) generate(w *recorder, r *http.Request, req Request, project, location string) {
	s.mu.Lock()
	latency, compromised := s.opts.Latency, s.opts.Compromised
	s.mu.Unlock()
	if !sleepCtx(r, latency) {
		return
	}
	var g GenerateRequest
	if err := json.Unmarshal(req.Body, &g); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), 0)
		return
	}
	fault, faulty := s.pickFault(req.Model)
	if faulty {
		w.fault = fault.Kind
		switch fault.Kind {
		case RateLimit:
			after := fault.RetryAfter
			if after == 0 {
				after = time.Second
			}
			writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
				"Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.", max(0, after))
			return
		case ServerError:
			writeError(w, http.StatusInternalServerError, "INTERNAL", "Internal error encountered.", 0)
			return
		case Unavailable:
			writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "The service is currently unavailable.", 0)
			return
		case NotFound:
			writeError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf(
				"Publisher Model `projects/%s/locations/%s/publishers/google/models/%s` was not found or your project does not have access to it.",
				project, location, req.Model), 0)
			return
		case BadRequest:
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.", 0)
			return
		case PermissionDenied:
			writeError(w, http.StatusForbidden, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied on resource.", 0)
			return
		case Slow:
			if !sleepCtx(r, fault.Delay) {
				return
			}
			faulty = false
		}
	}
	cfg := g.GenerationConfig
	if len(cfg.ResponseJSONSchema) > 0 && cfg.ResponseMIMEType != "application/json" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "responseJsonSchema requires responseMimeType application/json.", 0)
		return
	}
	if len(cfg.ResponseJSONSchema) > 0 && len(cfg.ResponseSchema) > 0 {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "responseSchema and responseJsonSchema are mutually exclusive.", 0)
		return
	}
	cachedTokens := 0
	if g.CachedContent != "" {
		if g.SystemInstruction != nil || len(g.Tools) > 0 || g.ToolConfig != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
				"Tool config, tools and system instruction should not be set in the request when using cached content.", 0)
			return
		}
		c, ok := s.lookupCache(g.CachedContent)
		if !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "CachedContent not found (or expired): "+g.CachedContent, 0)
			return
		}
		if !strings.HasSuffix(c.Model, "/models/"+req.Model) {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
				fmt.Sprintf("Model used by GenerateContent request (%s) and CachedContent (%s) has to be the same.", req.Model, c.Model), 0)
			return
		}
		cachedTokens = c.Usage.TotalTokenCount
	}

	// The answer is drawn from the seed and the request, without the
	// prompt's fence token, which is random per request: the same prompt
	// gets the same answer in every run.
	h := fnv.New64a()
	h.Write(fenceToken.ReplaceAll(req.Body, []byte("token")))
	h.Write([]byte(req.Model))
	rng := rand.New(rand.NewPCG(uint64(s.opts.Seed), h.Sum64()))

	resp := response{ModelVersion: req.Model, ResponseID: fmt.Sprintf("fake-%x", h.Sum64())}
	cand := candidate{FinishReason: "STOP", Content: Content{Role: "model"}}
	thoughts := thinkingTokens(&cfg)
	image := isImageModel(req.Model, &g)
	var text string
	var imageTokens int
	switch {
	case faulty && fault.Kind == PromptBlocked:
		reason := fault.Reason
		if reason == "" {
			reason = "SAFETY"
		}
		resp.PromptFeedback = &promptFeedback{BlockReason: reason, BlockReasonMessage: "The prompt was blocked by the fake."}
		thoughts = 0
	case faulty && fault.Kind == SafetyFinish:
		cand.FinishReason = or(fault.Reason, "SAFETY")
		cand.SafetyRatings = []map[string]any{{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}}
	case faulty && fault.Kind == NoImage:
		cand.FinishReason = or(fault.Reason, "NO_IMAGE")
	case image:
		text = compromisedOr(compromised, altText(rng))
		ratio := "1:1"
		if cfg.ImageConfig != nil && cfg.ImageConfig.AspectRatio != "" {
			ratio = cfg.ImageConfig.AspectRatio
		}
		png, err := makePNG(ratio, rng)
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), 0)
			return
		}
		cand.Content.Parts = append(cand.Content.Parts, Part{Text: text}, Part{InlineData: &Blob{MIMEType: "image/png", Data: png}})
		imageTokens = 1290
	case compromised != "":
		text = compromised
	case len(cfg.ResponseJSONSchema) > 0:
		var sch Schema
		if err := json.Unmarshal(cfg.ResponseJSONSchema, &sch); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid responseJsonSchema: "+err.Error(), 0)
			return
		}
		doc, err := Answer(&sch, g.Text(), rng)
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Unsupported responseJsonSchema: "+err.Error(), 0)
			return
		}
		text = string(doc)
	default:
		text = "OK"
	}
	if faulty && fault.Kind == Malformed {
		text = "Sure! Here is the document you asked for:\n{title: 'Untitled', \"overview\": [1, 2,}\n"
	}
	if faulty && fault.Kind == Truncated {
		text = text[:len(text)/2]
		cand.FinishReason = "MAX_TOKENS"
	}
	out := tokens(text)
	if limit := cfg.MaxOutputTokens; limit > 0 && !image && out+thoughts > limit {
		keep := max(0, (limit-thoughts)*4)
		text = text[:min(len(text), keep)]
		out = tokens(text)
		cand.FinishReason = "MAX_TOKENS"
	}
	if text != "" && !image {
		cand.Content.Parts = append(cand.Content.Parts, Part{Text: text})
	}
	if resp.PromptFeedback == nil {
		resp.Candidates = []candidate{cand}
	}
	prompt := tokens(g.Text()) + tokens(g.SystemInstruction.Text()) + cachedTokens
	resp.Usage = usage{
		PromptTokenCount:        prompt,
		CandidatesTokenCount:    out + imageTokens,
		ThoughtsTokenCount:      thoughts,
		CachedContentTokenCount: cachedTokens,
		TotalTokenCount:         prompt + out + imageTokens + thoughts,
	}
	if imageTokens > 0 {
		resp.Usage.CandidatesTokensDetails = []map[string]any{{"modality": "IMAGE", "tokenCount": imageTokens}, {"modality": "TEXT", "tokenCount": out}}
	}
	if req.Kind == "stream" {
		s.stream(w, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// stream answers in two server-sent events, splitting the text.
func (s *Server) stream(w *recorder, resp response) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	first := resp
	var rest response
	if len(resp.Candidates) == 1 && len(resp.Candidates[0].Content.Parts) == 1 && resp.Candidates[0].Content.Parts[0].Text != "" {
		c := resp.Candidates[0]
		t := c.Content.Parts[0].Text
		half := len(t) / 2
		for half > 0 && (t[half]&0xC0) == 0x80 {
			half--
		}
		a, b := c, c
		a.Content = Content{Role: "model", Parts: []Part{{Text: t[:half]}}}
		a.FinishReason = ""
		b.Content = Content{Role: "model", Parts: []Part{{Text: t[half:]}}}
		first = response{Candidates: []candidate{a}, ModelVersion: resp.ModelVersion, ResponseID: resp.ResponseID}
		rest = response{Candidates: []candidate{b}, Usage: resp.Usage, ModelVersion: resp.ModelVersion, ResponseID: resp.ResponseID}
	}
	for _, ev := range []response{first, rest} {
		if ev.ResponseID == "" {
			continue
		}
		b, _ := json.Marshal(ev)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.Flush()
	}
}

type response struct {
	Candidates     []candidate     `json:"candidates,omitempty"`
	PromptFeedback *promptFeedback `json:"promptFeedback,omitempty"`
	Usage          usage           `json:"usageMetadata"`
	ModelVersion   string          `json:"modelVersion"`
	ResponseID     string          `json:"responseId"`
}

type candidate struct {
	Content       Content          `json:"content"`
	FinishReason  string           `json:"finishReason,omitempty"`
	SafetyRatings []map[string]any `json:"safetyRatings,omitempty"`
	Index         int              `json:"index"`
}

type promptFeedback struct {
	BlockReason        string `json:"blockReason"`
	BlockReasonMessage string `json:"blockReasonMessage,omitempty"`
}

type usage struct {
	PromptTokenCount        int              `json:"promptTokenCount"`
	CandidatesTokenCount    int              `json:"candidatesTokenCount,omitempty"`
	ThoughtsTokenCount      int              `json:"thoughtsTokenCount,omitempty"`
	CachedContentTokenCount int              `json:"cachedContentTokenCount,omitempty"`
	TotalTokenCount         int              `json:"totalTokenCount"`
	CandidatesTokensDetails []map[string]any `json:"candidatesTokensDetails,omitempty"`
}

func tokens(s string) int { return (len(s) + 3) / 4 }

func thinkingTokens(cfg *GenerationConfig) int {
	tc := cfg.ThinkingConfig
	if tc == nil {
		return 300
	}
	if tc.ThinkingBudget != nil {
		return min(max(0, *tc.ThinkingBudget), 1000)
	}
	switch tc.ThinkingLevel {
	case "MINIMAL":
		return 0
	case "LOW":
		return 200
	case "HIGH":
		return 2000
	}
	return 800
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func compromisedOr(compromised, text string) string { return or(compromised, text) }

func altText(rng *rand.Rand) string {
	subjects := []string{"leaves", "a mountain range", "a city skyline", "an open book", "a laboratory bench", "ocean waves", "a night sky"}
	styles := []string{"soft watercolor", "clean flat shapes", "warm pastel tones", "bold geometric forms"}
	return fmt.Sprintf("An illustration of %s in %s, with a calm, balanced composition.",
		subjects[rng.IntN(len(subjects))], styles[rng.IntN(len(styles))])
}

func sleepCtx(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// ---- context caches ----

func (s *Server) expireLocked() {
	now := s.now()
	for n, c := range s.caches {
		if !c.ExpireTime.After(now) {
			delete(s.caches, n)
		}
	}
}

func (s *Server) lookupCache(name string) (*cache, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	c, ok := s.caches[name]
	return c, ok
}

type createCache struct {
	Model             string    `json:"model"`
	DisplayName       string    `json:"displayName"`
	Contents          []Content `json:"contents"`
	SystemInstruction *Content  `json:"systemInstruction"`
	TTL               string    `json:"ttl"`
	ExpireTime        string    `json:"expireTime"`
}

func (s *Server) cacheAPI(w *recorder, r *http.Request, req *Request, parent, id string) {
	switch {
	case id == "" && r.Method == http.MethodPost:
		req.Kind = "cache.create"
		var c createCache
		if err := json.Unmarshal(req.Body, &c); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), 0)
			return
		}
		req.Model = c.Model[strings.LastIndex(c.Model, "/")+1:]
		s.createCache(w, parent, req.Model, c)
	case id == "" && r.Method == http.MethodGet:
		req.Kind = "cache.list"
		s.listCaches(w, r, parent)
	case id != "":
		name := parent + "/cachedContents/" + id
		switch r.Method {
		case http.MethodGet:
			req.Kind = "cache.get"
		case http.MethodPatch:
			req.Kind = "cache.update"
		case http.MethodDelete:
			req.Kind = "cache.delete"
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.expireLocked()
		c, ok := s.caches[name]
		if !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "CachedContent not found: "+name, 0)
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, c)
		case http.MethodDelete:
			delete(s.caches, name)
			writeJSON(w, http.StatusOK, map[string]any{})
		case http.MethodPatch:
			var u createCache
			if err := json.Unmarshal(req.Body, &u); err != nil {
				writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), 0)
				return
			}
			if exp, err := expiry(u, s.now()); err == nil {
				c.ExpireTime, c.UpdateTime = exp, s.now()
			}
			writeJSON(w, http.StatusOK, c)
		default:
			writeError(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "method not allowed", 0)
		}
	default:
		writeError(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "method not allowed", 0)
	}
}

func expiry(c createCache, now time.Time) (time.Time, error) {
	if c.ExpireTime != "" {
		return time.Parse(time.RFC3339Nano, c.ExpireTime)
	}
	if c.TTL == "" {
		return now.Add(time.Hour), nil
	}
	d, err := time.ParseDuration(c.TTL)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid ttl %q", c.TTL)
	}
	return now.Add(d), nil
}

func (s *Server) createCache(w *recorder, parent, model string, c createCache) {
	if _, ok := s.pickFault(model, NotFound); ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Publisher Model `"+c.Model+"` was not found.", 0)
		return
	}
	var b strings.Builder
	for _, ct := range c.Contents {
		b.WriteString(ct.Text())
	}
	b.WriteString(c.SystemInstruction.Text())
	n := tokens(b.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < s.opts.CacheMinTokens {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
			fmt.Sprintf("The minimum token count to start caching is %d; this content has %d.", s.opts.CacheMinTokens, n), 0)
		return
	}
	now := s.now()
	exp, err := expiry(c, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), 0)
		return
	}
	s.nextCacheID++
	cc := &cache{Name: fmt.Sprintf("%s/cachedContents/%d", parent, 1000+s.nextCacheID), Model: c.Model,
		DisplayName: c.DisplayName, CreateTime: now, UpdateTime: now, ExpireTime: exp, text: b.String()}
	cc.Usage.TotalTokenCount = n
	s.caches[cc.Name] = cc
	writeJSON(w, http.StatusOK, cc)
}

func (s *Server) listCaches(w *recorder, r *http.Request, parent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	var all []*cache
	for _, c := range s.caches {
		if strings.HasPrefix(c.Name, parent+"/") {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b *cache) int { return strings.Compare(a.Name, b.Name) })
	size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if size <= 0 {
		size = 2 // small pages, so callers must follow nextPageToken
	}
	start := 0
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 8 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bad page token", 0)
			return
		}
		start = int(binary.BigEndian.Uint64(raw))
	}
	start = min(start, len(all))
	end := min(start+size, len(all))
	out := map[string]any{"cachedContents": all[start:end]}
	if end < len(all) {
		var raw [8]byte
		binary.BigEndian.PutUint64(raw[:], uint64(end))
		out["nextPageToken"] = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	writeJSON(w, http.StatusOK, out)
}

// Bodies returns the decoded bodies of the generate requests for a model
// ("" for every model), in arrival order.
func (s *Server) Bodies(model string) []*GenerateRequest {
	var out []*GenerateRequest
	for _, r := range s.Requests() {
		if (r.Kind == "generate" || r.Kind == "stream") && (model == "" || r.Model == model) {
			if g, err := r.Generate(); err == nil {
				out = append(out, g)
			}
		}
	}
	return out
}
