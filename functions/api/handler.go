package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/keylock"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/telemetry"
)

// Jobs creates, cancels and erases jobs.
type Jobs interface {
	Submit(ctx context.Context, owner string, req content.Request, origin string) (*pipeline.Job, error)
	SubmitOnce(ctx context.Context, id, owner string, req content.Request, origin string) (*pipeline.Job, bool, error)
	Cancel(ctx context.Context, id string) (*pipeline.Job, error)
	Erase(ctx context.Context, id string) error
}

// Reader reads jobs.
type Reader interface {
	Job(ctx context.Context, id string) (*pipeline.Job, error)
	Steps(ctx context.Context, jobID string) ([]*pipeline.Step, error)
	Request(ctx context.Context, jobID string) (*content.Request, error)
	ListJobs(ctx context.Context, owner, pageToken string, limit int) ([]*pipeline.Job, string, error)
}

// Usage reads an owner's standing against the limits.
type Usage interface {
	Usage(ctx context.Context, owner string) (ratelimit.State, error)
}

// Signer makes download links.
type Signer interface {
	SignedURL(path, filename string, ttl time.Duration) (string, error)
}

// Authenticator identifies callers.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (auth.Principal, error)
}

// Options configure the handler.
type Options struct {
	MaxBodyBytes int64
	// PublicURL is the base of links; empty: the request's own host.
	PublicURL string
	URLTTL    time.Duration
	Log       *slog.Logger
	// Limiter is the per-instance first wall of the owners' limits (nil:
	// none); the shared limits are applied by the store.
	Limiter *ratelimit.Limiter
	// Usage reads owners' standing for GET /v1/usage (nil: not served).
	Usage Usage
	// Callbacks checks where a request's callback URL leads (nil: no check).
	Callbacks CallbackChecker
	// Voices refuses a request for podcast audio in a language no voice
	// speaks (nil: every language is taken, as espeak-ng offline speaks a
	// language it has no voice for in American English).
	Voices content.Voices
	// Steer regenerates and edits steps and approves reviews, and
	// Documents reads and stores job documents (nil: not served).
	Steer     Steerer
	Documents Documents
	// Sources checks a request's sources: limits, uploads, links (nil:
	// none is checked).
	Sources SourceChecker
	// Uploads and UploadFiles serve /v1/uploads (nil: not served);
	// MaxSourceBytes bounds an upload, UploadTTL is how long one lives.
	Uploads        Uploads
	UploadFiles    UploadFiles
	MaxSourceBytes int64
	UploadTTL      time.Duration
	// CORSOrigins may call the API from browsers (none: no CORS).
	CORSOrigins []string
	// ReadTimeout and WriteTimeout bound receiving a request and sending
	// its answer (defaults 30s and 60s); an event stream has its own.
	ReadTimeout, WriteTimeout time.Duration
	// StreamPoll is how often an event stream reads its job (default 1s);
	// StreamHeartbeat how often an idle stream sends a comment (15s);
	// StreamFor how long a stream lasts before it ends for the client to
	// reconnect (50s: before the function's 60s timeout); MaxStreams caps
	// the streams open in one instance (50), beyond which a stream is
	// refused with 503 too_many_streams.
	StreamPoll, StreamHeartbeat, StreamFor time.Duration
	MaxStreams                             int
	// IDTokenAudience, when set, makes the web app offer signing in with
	// a Google ID token.
	IDTokenAudience string
	// StorageOrigin is where signed download URLs lead (such as
	// https://storage.googleapis.com): the web app's pages may fetch,
	// show and play from it.
	StorageOrigin string
}

// CallbackChecker refuses callback URLs that lead into private networks.
type CallbackChecker interface {
	CheckRequest(ctx context.Context, req *content.Request) error
}

// Handler serves the REST API.
type Handler struct {
	// steering serializes the changes of a job within an instance:
	// concurrent duplicates replay instead of contending.
	steering keylock.Locks
	jobs     Jobs
	reader   Reader
	signer   Signer
	authn    Authenticator
	opts     Options
	mux      *http.ServeMux
	streams  streams
}

// New returns the API's handler, with every route, and the middleware
// every response goes through.
func New(jobs Jobs, reader Reader, signer Signer, authn Authenticator, opts Options) http.Handler {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 60 * time.Second
	}
	opts.streamDefaults()
	h := &Handler{jobs: jobs, reader: reader, signer: signer, authn: authn, opts: opts, mux: http.NewServeMux()}
	h.streams.max = int64(opts.MaxStreams)
	h.route(h.operations())
	h.serveWeb()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, http.StatusNotFound, "not_found", "There is nothing at this path.")
	})
	chain := httpx.Recover(h.mux)
	chain = httpx.CORS(opts.CORSOrigins)(chain)
	chain = httpx.Observe(opts.Log)(chain)
	chain = httpx.Deadlines(opts.ReadTimeout, opts.WriteTimeout)(chain)
	return httpx.Secure(chain)
}

func (o *Options) streamDefaults() {
	if o.StreamPoll <= 0 {
		o.StreamPoll = defaultStreamPoll
	}
	if o.StreamHeartbeat <= 0 {
		o.StreamHeartbeat = defaultStreamHeartbeat
	}
	if o.StreamFor <= 0 {
		o.StreamFor = defaultStreamFor
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = defaultMaxStreams
	}
}

func notAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		httpx.Error(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "Use "+allow+" on this path.")
	}
}

// authed lets only authenticated callers through.
func (h *Handler) authed(next func(http.ResponseWriter, *http.Request, auth.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authn.Authenticate(r.Context(), r)
		switch {
		case errors.Is(err, auth.ErrNoCredentials):
			w.Header().Set("WWW-Authenticate", `Bearer realm="content-factory"`)
			httpx.Error(w, r, http.StatusUnauthorized, "unauthenticated", "Send an API key as \"Authorization: Bearer <key>\".")
			return
		case errors.Is(err, auth.ErrBadCredentials):
			w.Header().Set("WWW-Authenticate", `Bearer realm="content-factory", error="invalid_token"`)
			httpx.Error(w, r, http.StatusUnauthorized, "invalid_credentials", "The credentials are malformed, unknown or revoked.")
			return
		case err != nil:
			httpx.Internal(w, r, fmt.Errorf("authenticate: %w", err))
			return
		}
		ctx := logging.With(r.Context(), slog.String("owner", p.Owner))
		next(w, r.WithContext(ctx), p)
	}
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !httpx.RequireJSON(w, r) {
		return
	}
	body, ok := httpx.ReadBody(w, r, h.opts.MaxBodyBytes)
	if !ok {
		return
	}
	key := r.Header.Get(client.IdempotencyKeyHeader)
	if key != "" && !validKey(key) {
		httpx.Error(w, r, http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters.")
		return
	}
	req, err := content.ParseRequest(body)
	if err != nil {
		requestProblem(w, r, err)
		return
	}
	if !h.checkRequest(w, r, p, &req) {
		return
	}
	job, created, err := h.create(r.Context(), p, key, req)
	var ex *ratelimit.Exceeded
	switch {
	case errors.As(err, &ex):
		h.tooMany(w, r, ex)
		return
	case errors.Is(err, pipeline.ErrMismatch):
		httpx.Error(w, r, http.StatusConflict, "idempotency_key_reused",
			"This Idempotency-Key was used with a different request; use a new key for a new request.")
		return
	case err != nil:
		httpx.Internal(w, r, err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	h.standing(w, job.Standing)
	base := h.base(r)
	w.Header().Set("Location", base+jobPath(job.ID))
	httpx.JSON(w, http.StatusAccepted, h.accepted(base, job))
}

// checkRequest checks what a request names outside itself, the callback
// URL and the sources, and answers every refused field at once (422), or
// 503 when a check cannot be made now. It reports whether the request
// passed.
func (h *Handler) checkRequest(w http.ResponseWriter, r *http.Request, p auth.Principal, req *content.Request) bool {
	var fields []content.FieldError
	refused := func(err error) bool {
		var ie *content.InvalidError
		if errors.As(err, &ie) {
			fields = append(fields, ie.Errors...)
			return true
		}
		return err == nil
	}
	if h.opts.Callbacks != nil && !refused(h.opts.Callbacks.CheckRequest(r.Context(), req)) {
		w.Header().Set("Retry-After", "30")
		httpx.Error(w, r, http.StatusServiceUnavailable, "callback_unresolvable", "The callback URL's host cannot be resolved right now; retry later.")
		return false
	}
	if h.opts.Sources != nil {
		if err := h.opts.Sources.CheckRequest(r.Context(), p.Owner, req); !refused(err) {
			logging.From(r.Context()).WarnContext(r.Context(), "sources cannot be checked now", "error", err.Error())
			w.Header().Set("Retry-After", "30")
			httpx.Error(w, r, http.StatusServiceUnavailable, "unavailable", "The request's sources cannot be checked right now (an upload or a link's host); retry later.")
			return false
		}
	}
	if h.opts.Voices != nil {
		refused(content.CheckVoices(h.opts.Voices, req))
	}
	if len(fields) > 0 {
		requestProblem(w, r, &content.InvalidError{Errors: fields})
		return false
	}
	return true
}

// create makes the job of a request, or finds the one a retry with the
// same Idempotency-Key made (without counting it against the limits). A
// limit that refuses it is a *ratelimit.Exceeded.
func (h *Handler) create(ctx context.Context, p auth.Principal, key string, req content.Request) (*pipeline.Job, bool, error) {
	var id string
	if key != "" {
		id = pipeline.KeyedID("api", p.Owner, key)
		old, err := h.reader.Job(ctx, id)
		switch {
		case err == nil && !old.Made(p.Owner, &req):
			return old, false, pipeline.ErrMismatch
		case err == nil:
			return old, false, nil
		case !errors.Is(err, pipeline.ErrNotFound):
			return nil, false, err
		}
	}
	if ok, wait := h.opts.Limiter.Allow(p.Owner, time.Now()); !ok {
		return nil, false, &ratelimit.Exceeded{Code: "rate_limited", Detail: "too many jobs at once; slow down", RetryAfter: wait}
	}
	if key == "" {
		job, err := h.jobs.Submit(ctx, p.Owner, req, "api")
		return job, err == nil, err
	}
	return h.jobs.SubmitOnce(ctx, id, p.Owner, req, "api")
}

// tooMany answers 429 for a limit, saying when to try again, and where the
// owner stands as the limiter that refused saw it: the shared ledger, or
// this instance's own bucket (which refuses before the ledger is read).
func (h *Handler) tooMany(w http.ResponseWriter, r *http.Request, ex *ratelimit.Exceeded) {
	limiter := "instance"
	if ex.Ledger {
		limiter = "ledger"
	}
	logging.From(r.Context()).InfoContext(r.Context(), "admission refused", "code", ex.Code, "limiter", limiter)
	telemetry.LimitRefused(r.Context(), ex.Code, limiter)
	if ex.Ledger {
		h.standing(w, &ex.Standing)
	} else if pol := h.opts.Limiter.Policy(); pol.Enabled() {
		policy, _ := pol.Fields(ratelimit.State{}, time.Now())
		w.Header().Set(ratelimit.HeaderPolicy, policy)
		w.Header().Set(ratelimit.HeaderLimit, ratelimit.Exhausted(ex.RetryAfter))
	}
	secs := int(math.Ceil(ex.RetryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	httpx.Error(w, r, http.StatusTooManyRequests, ex.Code, ex.Detail)
}

// standing tells the caller where it stands against its limits
// (RateLimit-Policy and RateLimit), from the shared ledger as a
// transaction that read it left it; nothing when there is none.
func (h *Handler) standing(w http.ResponseWriter, st *ratelimit.State) {
	if st == nil {
		return
	}
	policy, limit := h.opts.Limiter.Policy().Fields(*st, time.Now())
	if policy == "" {
		return
	}
	w.Header().Set(ratelimit.HeaderPolicy, policy)
	w.Header().Set(ratelimit.HeaderLimit, limit)
}

func (h *Handler) usage(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if h.opts.Usage == nil {
		httpx.Error(w, r, http.StatusNotFound, "not_found", "Usage is not tracked here: no limits are configured.")
		return
	}
	st, err := h.opts.Usage.Usage(r.Context(), p.Owner)
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	h.standing(w, &st)
	httpx.JSON(w, http.StatusOK, usageToday(p.Owner, st, h.opts.Limiter.Policy(), time.Now()))
}

func validKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// cancel serves POST /v1/jobs/{id}:cancel.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	if _, ok := h.ownJob(w, r, p); !ok {
		return
	}
	job, err := h.jobs.Cancel(r.Context(), id)
	switch {
	case errors.Is(err, pipeline.ErrEnded):
		httpx.Error(w, r, http.StatusConflict, "job_already_ended", "Job "+id+" has already ended ("+string(job.Status)+").")
		return
	case errors.Is(err, pipeline.ErrNotFound):
		httpx.Error(w, r, http.StatusNotFound, "job_not_found", "There is no job "+strconv.Quote(id)+".")
		return
	case err != nil:
		httpx.Internal(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, h.summary(h.base(r), job))
}

// erase serves DELETE /v1/jobs/{id}: the job, its steps, its request and
// every artifact are deleted.
func (h *Handler) erase(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	job, ok := h.ownJob(w, r, p)
	if !ok {
		return
	}
	err := h.jobs.Erase(r.Context(), job.ID)
	if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
		httpx.Internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// requestProblem answers a request that did not parse or validate.
func requestProblem(w http.ResponseWriter, r *http.Request, err error) {
	var de *content.DecodeError
	var ie *content.InvalidError
	switch {
	case errors.As(err, &de):
		httpx.Error(w, r, http.StatusBadRequest, de.Code, de.Detail)
	case errors.As(err, &ie):
		httpx.WriteProblem(w, r, client.Problem{
			Status: http.StatusUnprocessableEntity, Code: "invalid_request",
			Detail: "The request has invalid fields; see errors.", Errors: ie.Errors,
		})
	default:
		httpx.Error(w, r, http.StatusBadRequest, "invalid_request", err.Error())
	}
}

// ownJob returns the caller's job; another owner's job is not found.
func (h *Handler) ownJob(w http.ResponseWriter, r *http.Request, p auth.Principal) (*pipeline.Job, bool) {
	id := r.PathValue("id")
	job, err := h.reader.Job(r.Context(), id)
	if errors.Is(err, pipeline.ErrNotFound) || (err == nil && job.Owner != p.Owner) {
		httpx.Error(w, r, http.StatusNotFound, "job_not_found", "There is no job "+strconv.Quote(id)+".")
		return nil, false
	}
	if err != nil {
		httpx.Internal(w, r, err)
		return nil, false
	}
	return job, true
}

// ownJobSteps is ownJob with the job's steps.
func (h *Handler) ownJobSteps(w http.ResponseWriter, r *http.Request, p auth.Principal) (*pipeline.Job, []*pipeline.Step, bool) {
	job, ok := h.ownJob(w, r, p)
	if !ok {
		return nil, nil, false
	}
	steps, err := h.reader.Steps(r.Context(), job.ID)
	if err != nil {
		httpx.Internal(w, r, err)
		return nil, nil, false
	}
	return job, steps, true
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	job, steps, ok := h.ownJobSteps(w, r, p)
	if ok {
		httpx.JSON(w, http.StatusOK, h.detail(h.base(r), job, steps))
	}
}

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

func (h *Handler) list(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	size := defaultPageSize
	if s := r.URL.Query().Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			httpx.Error(w, r, http.StatusBadRequest, "invalid_page_size", fmt.Sprintf("page_size must be a number from 1 to %d.", maxPageSize))
			return
		}
		size = n
	}
	jobs, next, err := h.reader.ListJobs(r.Context(), p.Owner, r.URL.Query().Get("page_token"), size)
	if err != nil {
		if errors.Is(err, pipeline.ErrBadPageToken) {
			httpx.Error(w, r, http.StatusBadRequest, "invalid_page_token", "page_token is not one this API gave out.")
			return
		}
		httpx.Internal(w, r, err)
		return
	}
	base := h.base(r)
	out := client.JobList{Jobs: make([]client.JobSummary, 0, len(jobs)), NextPageToken: next}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, h.summary(base, j))
	}
	if next != "" {
		out.Links.Next = base + "/v1/jobs?" + url.Values{"page_token": {next}, "page_size": {strconv.Itoa(size)}}.Encode()
	}
	httpx.JSON(w, http.StatusOK, out)
}

func (h *Handler) artifact(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	job, steps, ok := h.ownJobSteps(w, r, p)
	if !ok {
		return
	}
	name := r.PathValue("name")
	a, ok := pipeline.Find(steps, name)
	if !ok {
		httpx.Error(w, r, http.StatusNotFound, "artifact_not_found", "Job "+job.ID+" has no artifact "+strconv.Quote(name)+" (yet).")
		return
	}
	u, err := h.signer.SignedURL(a.Path, a.Name, h.opts.URLTTL)
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// base is the scheme and host links start with.
func (h *Handler) base(r *http.Request) string {
	if h.opts.PublicURL != "" {
		return strings.TrimSuffix(h.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func jobPath(id string) string { return "/v1/jobs/" + id }
