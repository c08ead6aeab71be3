package store_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/store"
)

// instant is an executor that makes a small document at once: what is
// measured is the pipeline's own work around a step.
type instant struct{}

func (instant) Execute(_ context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	return &pipeline.Output{Files: []pipeline.File{{Name: pipeline.DocName(t.Step.Name), ContentType: "application/json", Data: []byte(`{}`)}}}, nil
}

// derived are the seven formats made from the outline.
var derived = []content.Format{content.FormatPodcastScript, content.FormatStudyGuide, content.FormatOnePager,
	content.FormatDetailedReading, content.FormatFAQs, content.FormatFlashcards, content.FormatReadingGuide}

// BenchmarkSiblingsEnding measures the seven steps made from the outline
// ending at once, on the Firestore emulator: from the seven messages
// delivered together to every one of them ended (each run claims its step,
// stores its document and ends it in a transaction; the last one's end
// queues the package). One op is one job's fan-out. It reports the
// transactions that were retried after contention per op.
func BenchmarkSiblingsEnding(b *testing.B) {
	st := store.New(testenv.Firestore(b, testenv.Project(b)))
	pub := &pipelinetest.Publisher{}
	ports := pipeline.Ports{Store: st, Blobs: pipelinetest.NewBlobs(), Publisher: pub}
	jobs := pipeline.NewJobs(ports, pipeline.JobsConfig{Region: "local", Retention: time.Hour})
	runner := pipeline.NewRunner(ports, instant{}, pipeline.RunnerConfig{Region: "local"})
	ctx := context.Background()
	req := content.Request{Topic: "Tides and the Moon", Formats: derived}
	req.ApplyDefaults()
	var walls []time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		job, err := jobs.Submit(ctx, "bench", req, "api")
		if err != nil {
			b.Fatal(err)
		}
		if err := runner.Run(ctx, pipeline.StepMessage{JobID: job.ID, Step: content.FormatOutline, Version: 1, Region: "local"}); err != nil {
			b.Fatal(err)
		}
		pub.Take()
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, len(derived))
		for _, f := range derived {
			wg.Go(func() {
				errs <- runner.Run(ctx, pipeline.StepMessage{JobID: job.ID, Step: f, Version: 1, Region: "local"})
			})
		}
		wg.Wait()
		walls = append(walls, time.Since(start))
		b.StopTimer()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		queued := pub.Take()
		if len(queued) != 1 || queued[0].Step != content.FormatPackage {
			b.Fatalf("the fan-out's end queued %v, want the package once", queued)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportMedian(b, walls)
}

// BenchmarkSubmit measures POST /v1/jobs's work below HTTP: admitting a
// job against its owner's limits and creating it in one transaction, then
// publishing its first step to the Pub/Sub emulator, from 8 goroutines of
// one owner at once; "submit without limits" is the same without owner
// limits (as make perf runs: the job created in a transaction that reads
// nothing); "raw" is one Firestore create and one publish, the floor of
// any submission.
func BenchmarkSubmit(b *testing.B) {
	project := testenv.Project(b)
	fs := testenv.Firestore(b, project)
	ps := testenv.PubSub(b, project)
	ctx := context.Background()
	testenv.StepTopics(b, ps, project)
	pub := queue.NewPublisher(ps, nil, nil)
	b.Cleanup(pub.Stop)
	req := content.Request{Topic: "Tides and the Moon", Formats: []content.Format{content.FormatFAQs}}
	req.ApplyDefaults()

	b.Run("submit", func(b *testing.B) {
		jobs := pipeline.NewJobs(pipeline.Ports{Store: store.New(fs), Blobs: pipelinetest.NewBlobs(), Publisher: pub}, pipeline.JobsConfig{
			Region: "local", Retention: time.Hour,
			Limits:   ratelimit.Policy{Rate: 1e6, Burst: 1e6, MaxRunning: 0, DailyBudgetUSD: 1e6},
			Estimate: func(*content.Request) float64 { return 0.01 },
		})
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := jobs.Submit(ctx, "bench-owner", req, "api"); err != nil {
					b.Error(err)
				}
			}
		})
	})
	b.Run("submit without limits", func(b *testing.B) {
		jobs := pipeline.NewJobs(pipeline.Ports{Store: store.New(fs), Blobs: pipelinetest.NewBlobs(), Publisher: pub}, pipeline.JobsConfig{
			Region: "local", Retention: time.Hour,
		})
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := jobs.Submit(ctx, "bench-owner", req, "api"); err != nil {
					b.Error(err)
				}
			}
		})
	})
	b.Run("raw", func(b *testing.B) {
		topic := ps.Publisher(queue.TopicFor(content.KindText))
		b.Cleanup(topic.Stop)
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := pipeline.NewID()
				if _, err := fs.Collection("bench").Doc(id).Create(ctx, map[string]any{"topic": req.Topic, "at": time.Now()}); err != nil {
					b.Error(err)
					continue
				}
				if _, err := topic.Publish(ctx, &pubsub.Message{Data: []byte(id)}).Get(ctx); err != nil {
					b.Error(err)
				}
			}
		})
	})
}

// reportMedian reports the median of the measured walls (ns/op is their
// mean).
func reportMedian(b *testing.B, walls []time.Duration) {
	if len(walls) == 0 {
		return
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	b.ReportMetric(float64(walls[len(walls)/2].Milliseconds()), "median-ms")
	b.ReportMetric(float64(walls[len(walls)-1].Milliseconds()), "max-ms")
}
