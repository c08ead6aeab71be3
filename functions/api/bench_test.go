package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"contentfactory.dev/factory/functions/api"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/shared/webhook"
)

// loadClients is how many clients submit at once, as make perf's submit
// load does.
const loadClients = 50

// BenchmarkSubmitLoad measures POST /v1/jobs in process, wired as the API
// function wires it (API keys in the store, the injection screen, the
// source and callback checks, the Pub/Sub publisher), against the
// Firestore and Pub/Sub emulators, with 50 clients submitting at once
// (make perf's body: one format, no cache). One op is one submission; it
// reports the p50 and p99 latency. "raw" is one Firestore create and one
// publish under the same load: the floor of any submission. "limits" adds
// the owners' limits (each client its own owner; "one owner" all clients
// one owner, whose limits never refuse).
func BenchmarkSubmitLoad(b *testing.B) {
	project := testenv.Project(b)
	fs := testenv.Firestore(b, project)
	ps := testenv.PubSub(b, project)
	_, gcs := testenv.Storage(b, "artifacts")
	ctx := context.Background()
	testenv.StepTopics(b, ps, project)
	pub := queue.NewPublisher(ps, nil, nil)
	b.Cleanup(pub.Stop)
	guard.Warm() // as the API function's start does
	st := store.New(fs)
	bucket := blob.New(gcs, "artifacts", blob.Signer{})
	keys := make([]string, loadClients)
	for i := range keys {
		plain, k, err := auth.NewKey(fmt.Sprintf("owner-%d", i), "bench", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := st.CreateKey(ctx, k); err != nil {
			b.Fatal(err)
		}
		keys[i] = plain
	}
	serve := func(b *testing.B, policy ratelimit.Policy) *httptest.Server {
		links := webhook.NewGuard(nil)
		jobs := pipeline.NewJobs(pipeline.Ports{Store: st, Blobs: bucket, Publisher: pub, Results: st}, pipeline.JobsConfig{
			Region: "local", Retention: time.Hour, Limits: policy, Screen: guard.Screen,
			Estimate: func(*content.Request) float64 { return 0.01 },
			CacheKey: func(*content.Request) string { return "bench" }, CacheTTL: time.Hour,
		})
		// The function's own log lines, written where nobody waits on them.
		opts := api.Options{Log: logging.New(io.Discard, slog.LevelInfo, project), MaxBodyBytes: 1 << 20, Callbacks: links, Steer: jobs, Documents: bucket,
			Sources: &sources.Checker{Uploads: st, Objects: bucket, Links: links, Limits: content.SourceLimits{MaxSources: 4, MaxBytes: 1 << 20, MaxChars: 100_000}},
		}
		if policy.Enabled() {
			opts.Limiter, opts.Usage = ratelimit.NewLimiter(policy), st
		}
		srv := httptest.NewServer(api.New(jobs, st, bucket, auth.NewAuthenticator(st, auth.IDTokens{}), opts))
		b.Cleanup(srv.Close)
		return srv
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}}
	submit := func(srv *httptest.Server, key string, i int64) error {
		body := fmt.Sprintf(`{"topic":"Submit load %d","formats":["faqs"],"cache":false}`, i)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/jobs", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST /v1/jobs: %d %s", resp.StatusCode, out)
		}
		return nil
	}
	lots := ratelimit.Policy{Rate: 1e6, Burst: 1e6, DailyBudgetUSD: 1e6}
	for _, c := range []struct {
		name     string
		policy   ratelimit.Policy
		oneOwner bool
	}{
		{name: "no limits"},
		{name: "limits", policy: lots},
		{name: "limits one owner", policy: lots, oneOwner: true},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := serve(b, c.policy)
			// One submission per client first: connections, key cache.
			if err := load(loadClients, loadClients, func(client int, i int64) error { return submit(srv, keys[client], i) }); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			lat := measure(b, func(client int, i int64) error {
				if c.oneOwner {
					client = 0
				}
				return submit(srv, keys[client], i)
			})
			report(b, lat)
		})
	}
	b.Run("raw", func(b *testing.B) {
		topic := ps.Publisher(queue.TopicFor(content.KindText))
		b.Cleanup(topic.Stop)
		lat := measure(b, func(_ int, i int64) error {
			doc := map[string]any{"owner": "perf", "topic": fmt.Sprintf("Raw %d", i), "status": "queued", "created_at": time.Now(),
				"formats": []string{"outline", "faqs", "package"}, "fingerprint": strings.Repeat("f", 64)}
			if _, err := fs.Collection("raw_baseline").NewDoc().Create(ctx, doc); err != nil {
				return err
			}
			_, err := topic.Publish(ctx, &pubsub.Message{Data: []byte(`{"v":1,"job_id":"rawbaseline","step":"outline"}`)}).Get(ctx)
			return err
		})
		report(b, lat)
	})
}

// measure runs b.N calls of do from loadClients clients at once and
// returns each call's latency.
func measure(b *testing.B, do func(client int, i int64) error) []time.Duration {
	lat := make([]time.Duration, b.N)
	if err := load(loadClients, b.N, func(client int, i int64) error {
		start := time.Now()
		err := do(client, i)
		lat[i] = time.Since(start)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return lat
}

// load makes n calls of do from clients goroutines, each call numbered.
func load(clients, n int, do func(client int, i int64) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := do(c, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// report reports the p50 and p99 of the latencies.
func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p int) float64 { return float64(lat[(len(lat)-1)*p/100].Microseconds()) / 1000 }
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(99), "p99-ms")
}
