// Package logging writes structured logs in the JSON shape Cloud Logging
// reads (severity, message, time, trace fields) and carries a logger with
// its attributes (job_id, step, …) in the context.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Cloud Logging's special keys.
const (
	keyTrace   = "logging.googleapis.com/trace"
	keySpan    = "logging.googleapis.com/spanId"
	keySampled = "logging.googleapis.com/trace_sampled"
)

// New returns a logger that writes one JSON object per line to w. project
// turns trace ids into Cloud Logging's projects/P/traces/T form.
func New(w io.Writer, level slog.Leveler, project string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: replace,
	})
	return slog.New(traceHandler{Handler: h, project: project})
}

// Default returns the process logger configured from LOG_LEVEL (debug,
// info, warn, error) and GOOGLE_CLOUD_PROJECT, writing to stdout.
func Default() *slog.Logger {
	return New(os.Stdout, ParseLevel(os.Getenv("LOG_LEVEL")), os.Getenv("GOOGLE_CLOUD_PROJECT"))
}

// ParseLevel reads a level name, defaulting to info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

func replace(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.MessageKey:
		a.Key = "message"
	case slog.LevelKey:
		a.Key = "severity"
		l, _ := a.Value.Any().(slog.Level)
		switch {
		case l >= slog.LevelError:
			a.Value = slog.StringValue("ERROR")
		case l >= slog.LevelWarn:
			a.Value = slog.StringValue("WARNING")
		case l >= slog.LevelInfo:
			a.Value = slog.StringValue("INFO")
		default:
			a.Value = slog.StringValue("DEBUG")
		}
	}
	return a
}

// traceHandler adds the trace of the record's context.
type traceHandler struct {
	slog.Handler
	project string
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		tr := sc.TraceID().String()
		if h.project != "" {
			tr = "projects/" + h.project + "/traces/" + tr
		}
		r.AddAttrs(slog.String(keyTrace, tr), slog.String(keySpan, sc.SpanID().String()), slog.Bool(keySampled, sc.IsSampled()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return traceHandler{Handler: h.Handler.WithAttrs(as), project: h.project}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{Handler: h.Handler.WithGroup(name), project: h.project}
}

// ErrorEventType is the @type that makes Error Reporting read a log entry
// as an error event, whatever its severity and message.
const ErrorEventType = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"

// Panic logs a recovered panic as Error Reporting reads one: an ERROR
// entry typed as an error event, whose message is the panic value and the
// goroutine's stack as Go prints them ("panic: …" then "goroutine N
// [running]:" and its frames), with the service and revision it happened
// in (Cloud Run's K_SERVICE and K_REVISION). attrs add context, such as the
// request.
func Panic(ctx context.Context, p any, stack []byte, attrs ...any) {
	service := os.Getenv("K_SERVICE")
	if service == "" {
		service = os.Getenv("FUNCTION_TARGET")
	}
	if service == "" {
		service = "content-factory"
	}
	sc := []any{slog.String("service", service)}
	if v := os.Getenv("K_REVISION"); v != "" {
		sc = append(sc, slog.String("version", v))
	}
	args := append([]any{slog.String("@type", ErrorEventType), slog.Group("serviceContext", sc...)}, attrs...)
	From(ctx).ErrorContext(ctx, fmt.Sprintf("panic: %v\n\n%s", p, stack), args...)
}

type ctxKey struct{}

// Into returns a context that carries the logger.
func Into(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the context's logger, or the default one.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// With returns a context whose logger adds the attributes to every line.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return Into(ctx, From(ctx).With(args...))
}
