// Package otlp installs the OpenTelemetry SDK of a function: spans are
// always made (their ids correlate the log lines); they are exported only
// when FACTORY_TRACES=otlp, and the factory's metrics only when
// FACTORY_METRICS=otlp, to Google's OTLP endpoint
// (telemetry.googleapis.com, which stores metrics in Cloud Monitoring as
// Managed Service for Prometheus metrics) with application default
// credentials, described by the GCP resource detector (service, region,
// revision) and a per-process instance id.
package otlp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/detectors/gcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/oauth"
)

// Endpoint is Google's OTLP endpoint.
const Endpoint = "telemetry.googleapis.com:443"

var (
	once     sync.Once
	provider *sdktrace.TracerProvider
	meters   *sdkmetric.MeterProvider
	setupErr error

	// lastExport is when metrics were last exported by Flush (Unix nanoseconds).
	lastExport atomic.Int64
)

// MetricInterval is how often metrics are exported: the periodic reader's
// interval, and the least time between two exports Flush makes (Cloud
// Monitoring refuses points of one series closer than 5 s apart).
const MetricInterval = 30 * time.Second

// Setup installs the process's tracer and meter providers and the W3C
// propagator, once. FACTORY_TRACES=otlp exports spans and
// FACTORY_METRICS=otlp metrics to Google; otherwise spans stay in process
// and metrics are not recorded.
func Setup(ctx context.Context, service, project string) error {
	once.Do(func() {
		res, err := resource.New(ctx,
			resource.WithDetectors(gcp.NewDetector()),
			resource.WithTelemetrySDK(),
			resource.WithAttributes(
				attribute.String("service.name", service),
				attribute.String("service.namespace", "content-factory"),
				// Managed Service for Prometheus refuses points without an
				// instance: every process is its own.
				attribute.String("service.instance.id", instanceID()),
				attribute.String("gcp.project_id", project)),
		)
		if err != nil && !errors.Is(err, resource.ErrPartialResource) {
			res = resource.Default()
		}
		var creds credentials.PerRPCCredentials
		if os.Getenv("FACTORY_TRACES") == "otlp" || os.Getenv("FACTORY_METRICS") == "otlp" {
			if creds, err = oauth.NewApplicationDefault(ctx, "https://www.googleapis.com/auth/cloud-platform"); err != nil {
				setupErr = fmt.Errorf("telemetry export credentials: %w", err)
				return
			}
		}
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		if os.Getenv("FACTORY_TRACES") == "otlp" {
			exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(Endpoint), otlptracegrpc.WithDialOption(grpc.WithPerRPCCredentials(creds)))
			if err != nil {
				setupErr = fmt.Errorf("trace exporter: %w", err)
				return
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
		if os.Getenv("FACTORY_METRICS") == "otlp" {
			exp, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(Endpoint), otlpmetricgrpc.WithDialOption(grpc.WithPerRPCCredentials(creds)))
			if err != nil {
				setupErr = fmt.Errorf("metric exporter: %w", err)
				return
			}
			meters = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
				sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(MetricInterval))))
			otel.SetMeterProvider(meters)
		}
		provider = sdktrace.NewTracerProvider(opts...)
		otel.SetTracerProvider(provider)
		otel.SetTextMapPropagator(propagation.TraceContext{})
	})
	return setupErr
}

func instanceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Flush exports what the process has buffered: called at the end of each
// invocation, since a function's CPU may be throttled between requests.
// Spans are exported every time; metrics when MetricInterval has passed
// since their last export.
func Flush(ctx context.Context) {
	if provider == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = provider.ForceFlush(ctx)
	if meters == nil {
		return
	}
	now, last := time.Now().UnixNano(), lastExport.Load()
	if now-last >= int64(MetricInterval) && lastExport.CompareAndSwap(last, now) {
		_ = meters.ForceFlush(ctx)
	}
}
