// Package otlp installs the OpenTelemetry SDK of a function: spans are
// always made (their ids correlate the log lines); they are exported only
// when FACTORY_TRACES=otlp, to Google's OTLP endpoint
// (telemetry.googleapis.com) with application default credentials,
// described by the GCP resource detector (service, region, revision,
// instance).
package otlp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/detectors/gcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/oauth"
)

// Endpoint is Google's OTLP endpoint.
const Endpoint = "telemetry.googleapis.com:443"

var (
	once     sync.Once
	provider *sdktrace.TracerProvider
	setupErr error
)

// Setup installs the process's tracer provider and the W3C propagator,
// once. FACTORY_TRACES=otlp exports spans to Google; anything else keeps
// them in process only.
func Setup(ctx context.Context, service, project string) error {
	once.Do(func() {
		opts := []sdktrace.TracerProviderOption{}
		if os.Getenv("FACTORY_TRACES") == "otlp" {
			exp, err := exporter(ctx)
			if err != nil {
				setupErr = err
				return
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
		res, err := resource.New(ctx,
			resource.WithDetectors(gcp.NewDetector()),
			resource.WithTelemetrySDK(),
			resource.WithAttributes(attribute.String("service.name", service), attribute.String("gcp.project_id", project)),
		)
		if err != nil && !errors.Is(err, resource.ErrPartialResource) {
			res = resource.Default()
		}
		opts = append(opts, sdktrace.WithResource(res))
		provider = sdktrace.NewTracerProvider(opts...)
		otel.SetTracerProvider(provider)
		otel.SetTextMapPropagator(propagation.TraceContext{})
	})
	return setupErr
}

func exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	creds, err := oauth.NewApplicationDefault(ctx, "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		return nil, fmt.Errorf("trace export credentials: %w", err)
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(Endpoint), otlptracegrpc.WithDialOption(grpc.WithPerRPCCredentials(creds)))
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	return exp, nil
}

// Flush exports what the process has buffered: called at the end of each
// invocation, since a function's CPU may be throttled between requests.
func Flush(ctx context.Context) {
	if provider == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = provider.ForceFlush(ctx)
}
