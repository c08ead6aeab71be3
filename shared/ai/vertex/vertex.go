// Package vertex is the production text and image backend: Gemini on
// Vertex AI (the Gemini Enterprise Agent Platform) through
// google.golang.org/genai, selected with FACTORY_AI=vertex.
//
// Text steps get the shared system instruction and their format's
// versioned template (package prompts), with the request, the outline and
// the job's sources (numbered passages) fenced as data; the answer is constrained to the
// format's JSON Schema with what the request and outline decide pinned
// (content.Spec.SchemaFor). The model gets no tools. Thinking level or
// budget, output limit and temperature come per step from the models
// configuration. Automatic continuation is off, so every call is one
// billed call and is recorded as one ai.Call with its tokens and cost.
//
// Passages larger than text.cache_min_tokens together (estimated at four
// characters a token) are put, fenced and with the system instruction,
// into one Vertex context cache per job, which every step of the job
// reuses; the cache is found through a CacheIndex (see cache.go).
//
// Every call is retried in process (package retry) for rate limits,
// server errors and timeouts, honouring Retry-After; when the attempts
// run out the retryable *ai.Error reaches the step runner, which asks
// Pub/Sub to redeliver. Errors map to stable codes: rate_limited,
// unavailable and timeout (retryable); invalid_request,
// permission_denied, model_retired (a 404 for the model, naming the
// setting to change), content_filtered and output_truncated (permanent).
//
// Answers cut off at the output limit (MAX_TOKENS) are returned as they
// are the first time, so validation fails and the repair loop asks again
// for a more concise document with twice the output limit (up to
// text.max_output_tokens_limit); cut off again on that repair, the step
// fails with output_truncated.
//
// Covers are drawn by a Gemini image model through GenerateContent
// (never GenerateImages: Imagen is being shut down); the alt text is the
// text part of the same answer.
package vertex

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/auth/httptransport"
	"google.golang.org/genai"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/retry"
)

// Client is the Vertex backend. It implements ai.TextGenerator and
// ai.ImageGenerator; one Client serves a whole instance and is safe for
// concurrent use.
type Client struct {
	genai *genai.Client
	cfg   *models.Config
	index CacheIndex
	retry retry.Policy
	log   *slog.Logger
	// prompts is Options.Prompts.
	prompts prompts.Selection
}

var (
	_ ai.TextGenerator  = (*Client)(nil)
	_ ai.ImageGenerator = (*Client)(nil)
)

// Options are the seams of a Client.
type Options struct {
	// HTTPClient sends the requests. Nil means Google credentials
	// (application default credentials), except for a plaintext
	// vertex.base_url, which gets none.
	HTTPClient *http.Client
	// Index finds a job's context cache. Nil looks caches up by their
	// display name "job-<id>" through the caches list (ListIndex).
	Index CacheIndex
	// Retry overrides the configured retry policy.
	Retry *retry.Policy
	// Logger receives retries and cache decisions; nil discards them.
	Logger *slog.Logger
	// Prompts selects the template of a format to render instead of the
	// one in use (an evaluation comparing prompt versions); nil: the ones
	// in use.
	Prompts prompts.Selection
}

// New builds a Client from the models configuration.
func New(ctx context.Context, cfg *models.Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("vertex: %w", err)
	}
	hc, err := httpClient(ctx, cfg, opts.HTTPClient)
	if err != nil {
		return nil, err
	}
	cc := &genai.ClientConfig{
		Backend:    genai.BackendVertexAI,
		Project:    cfg.Vertex.Project,
		Location:   cfg.Vertex.Location,
		HTTPClient: hc,
	}
	if cfg.Vertex.BaseURL != "" {
		cc.HTTPOptions.BaseURL = cfg.Vertex.BaseURL
	}
	g, err := genai.NewClient(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("vertex: new genai client: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{genai: g, cfg: cfg, index: opts.Index, log: log, prompts: opts.Prompts}
	if c.index == nil {
		c.index = ListIndex{Caches: g.Caches}
	}
	if opts.Retry != nil {
		c.retry = *opts.Retry
	} else {
		c.retry = cfg.Retry.Policy()
	}
	return c, nil
}

// httpClient returns the client genai sends through, with the transport
// that records Retry-After headers.
func httpClient(ctx context.Context, cfg *models.Config, given *http.Client) (*http.Client, error) {
	var base *http.Client
	switch {
	case given != nil:
		c := *given
		base = &c
	case cfg.Vertex.Plaintext():
		base = &http.Client{}
	default:
		creds, err := credentials.DetectDefault(&credentials.DetectOptions{
			Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"},
		})
		if err != nil {
			return nil, fmt.Errorf("vertex: find Google credentials: %w", err)
		}
		headers := http.Header{}
		if qp, err := creds.QuotaProjectID(ctx); err == nil && qp != "" {
			headers.Set("X-Goog-User-Project", qp)
		}
		if base, err = httptransport.NewClient(&httptransport.Options{Credentials: creds, Headers: headers}); err != nil {
			return nil, fmt.Errorf("vertex: authenticated HTTP client: %w", err)
		}
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	base.Transport = &retryAfterTransport{base: rt}
	return base, nil
}

// retryAfterTransport records the Retry-After header of a failed answer
// in the request's context, since genai.APIError does not carry headers.
type retryAfterTransport struct {
	base http.RoundTripper
}

type retryAfterKey struct{}

// retryAfterBox receives the Retry-After of one call.
type retryAfterBox struct {
	d time.Duration
}

func (t *retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode >= 400 {
		if box, ok := r.Context().Value(retryAfterKey{}).(*retryAfterBox); ok {
			box.d = llm.RetryAfter(resp.Header, time.Now())
		}
	}
	return resp, err
}

// attempt runs one call to the service (a generation or a cache
// creation) with its own deadline and a box for the Retry-After header,
// and maps its error.
func attempt[T any](ctx context.Context, timeout time.Duration, setting string, model string,
	call func(ctx context.Context) (T, error)) (T, error) {
	box := &retryAfterBox{}
	return llm.Attempt(context.WithValue(ctx, retryAfterKey{}, box), timeout, call, func(err error) error {
		return classify(err, box.d, model, setting)
	})
}

// Close releases nothing today; it exists so callers can treat every
// backend alike.
func (c *Client) Close() error { return nil }

// Probe makes one tiny call to a model, without retries, for the model
// check: a one-word answer for a text model, a text-only answer for an
// image model. It returns nil when the model answers; a 404 maps to
// model_retired naming setting.
func (c *Client) Probe(ctx context.Context, model, setting string) error {
	timeout := min(c.cfg.Vertex.Timeout.D(), time.Minute)
	_, err := attempt(ctx, timeout, setting, model, func(ctx context.Context) (*genai.GenerateContentResponse, error) {
		return c.genai.Models.GenerateContent(ctx, model, genai.Text("Reply with the single word OK."), &genai.GenerateContentConfig{
			CandidateCount:        1,
			MaxOutputTokens:       256,
			AutomaticContinuation: genai.Ptr(false),
			Labels:                map[string]string{"app": "content-factory", "step": "models-check"},
		})
	})
	return err
}
