// Package httpx holds the HTTP plumbing every HTTP function shares:
// problem+json errors with stable codes, JSON responses, security headers,
// request ids with a logger per request, trace extraction, panic recovery
// and body limits.
package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/cors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/telemetry"
)

// ProblemType is the type URI of a problem code.
func ProblemType(code string) string { return "urn:contentfactory:problem:" + code }

// WriteProblem answers with a problem document (client.Problem, the one
// definition of its shape), filling in its type, title, instance and
// request id.
func WriteProblem(w http.ResponseWriter, r *http.Request, p client.Problem) {
	if p.Type == "" {
		p.Type = ProblemType(p.Code)
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	p.RequestID = w.Header().Get(RequestIDHeader)
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// Error answers with a problem of that status, code and detail.
func Error(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	WriteProblem(w, r, client.Problem{Status: status, Code: code, Detail: detail})
}

// Internal answers 500 without revealing the cause, and logs it.
//
// A failure that passes (the store contended beyond its retries, or
// unavailable: failure.KindConflict or KindTransient) is a 503
// unavailable with Retry-After instead, which clients retry.
func Internal(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	switch failure.KindOf(err) {
	case failure.KindConflict, failure.KindTransient:
		logging.From(ctx).WarnContext(ctx, "request failed for now", "error", err.Error())
		w.Header().Set("Retry-After", "1")
		Error(w, r, http.StatusServiceUnavailable, "unavailable", "The service is busy; retry after Retry-After.")
		return
	}
	logging.From(ctx).ErrorContext(ctx, "request failed", "error", err.Error())
	Error(w, r, http.StatusInternalServerError, "internal", "Something went wrong on our side. Retry later; if it persists, report the request_id.")
}

// JSON answers with a JSON document.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// RequestIDHeader carries the id of a request in both directions.
const RequestIDHeader = "X-Request-Id"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// Secure sets the headers every response carries, errors included.
func Secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Deadlines bounds how long a request may take to send its body and to
// receive its answer, on the connection itself. (The header timeout and
// idle connections are the front end's: Cloud Run's in production; the
// local functions listen on loopback only.)
func Deadlines(read, write time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			now := time.Now()
			_ = rc.SetReadDeadline(now.Add(read)) // unsupported writers (tests) keep no deadline
			_ = rc.SetWriteDeadline(now.Add(write))
			next.ServeHTTP(w, r)
		})
	}
}

// CORS answers browsers from the allowed origins only (none: no CORS
// headers at all, so no other site's scripts may call the API).
func CORS(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", RequestIDHeader},
		ExposedHeaders: []string{"Location", "Retry-After", "RateLimit-Policy", "RateLimit",
			RequestIDHeader, "Idempotent-Replayed"},
		MaxAge: 600,
	})
	return c.Handler
}

// Observe gives every request an id (kept from the caller when sane), a
// logger carrying it and the caller's trace, a server span named by the
// route that served it (the http.ServeMux pattern, such as "GET
// /v1/jobs/{id}": never the raw path, whose ids would make every span name
// unique), and logs one line per request.
func Observe(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(RequestIDHeader)
			if !requestIDPattern.MatchString(id) {
				id = newID()
			}
			w.Header().Set(RequestIDHeader, id)
			ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := telemetry.Tracer().Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			if !trace.SpanContextFromContext(ctx).IsValid() {
				// No tracer is installed (tests): still start a trace here,
				// so a job's log lines correlate across the API, Pub/Sub and
				// every worker.
				ctx = trace.ContextWithSpanContext(ctx, newSpanContext())
			}
			ctx = logging.Into(ctx, log.With(slog.String("request_id", id)))
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			req := r.WithContext(ctx)
			next.ServeHTTP(sw, req)
			// The mux records the pattern it matched on the request it was
			// given (the middleware between here and it pass it on).
			name := r.Method
			if route := req.Pattern; route != "" {
				method, path, ok := strings.Cut(route, " ")
				if !ok {
					method, path = r.Method, route
				}
				name = method + " " + path
				span.SetAttributes(attribute.String("http.route", path))
			}
			span.SetName(name)
			span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.Int("http.response.status_code", sw.status))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
			logging.From(ctx).InfoContext(ctx, "request",
				slog.Group("httpRequest",
					slog.String("requestMethod", r.Method),
					slog.String("requestUrl", r.URL.Path),
					slog.Int("status", sw.status),
				))
		})
	}
}

// Recover turns a panic into a 500 problem and reports it to Error
// Reporting (logging.Panic) with the request it happened in.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logging.Panic(r.Context(), p, debug.Stack(),
					slog.Group("context", slog.Group("httpRequest", slog.String("method", r.Method), slog.String("url", r.URL.Path))))
				Error(w, r, http.StatusInternalServerError, "internal", "Something went wrong on our side.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// RequireJSON answers 415 to a request with a body that is not JSON.
func RequireJSON(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		Error(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as application/json.")
		return false
	}
	return true
}

// ReadBody reads a body of at most limit bytes, answering 413 beyond it.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		Error(w, r, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("The body may be at most %d bytes.", limit))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		Error(w, r, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("The body may be at most %d bytes.", limit))
		return nil, false
	case err != nil:
		Error(w, r, http.StatusBadRequest, "unreadable_body", "The body could not be read.")
		return nil, false
	}
	return body, true
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func newSpanContext() trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	_, _ = rand.Read(tid[:])
	_, _ = rand.Read(sid[:])
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
