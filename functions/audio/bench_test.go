package audio_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/audio"
	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/tts"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

// BenchmarkLongPodcast runs the audio step of a job with a long podcast
// script (some 28 and 56 minutes) on the production speech backend against the
// Text-to-Speech fake, storing into a bucket that keeps nothing in this
// process (parts go to files, the artifacts are hashed and dropped), and
// reports the peak of the heap's objects while the step runs
// (peak-heap-MiB, sampled every millisecond, with the collector run at
// GOGC=5 so that the heap holds little more than what is live), the bytes it allocated
// (alloc-MiB/op) and the size of the podcast it stored (podcast-MiB).
func BenchmarkLongPodcast(b *testing.B) {
	for _, times := range []int{10, 20} {
		b.Run(fmt.Sprintf("turns_x%d", times), func(b *testing.B) { benchmarkPodcast(b, times) })
	}
}

func benchmarkPodcast(b *testing.B, times int) {
	srv, err := ttstest.Start(ttstest.Options{Keep: 1})
	require.NoError(b, err)
	b.Cleanup(srv.Close)
	env := map[string]string{models.EnvTTSEndpoint: srv.Addr, models.EnvTTSInsecure: "true"}
	cfg, err := models.Load(func(k string) string { return env[k] }, "test-project")
	require.NoError(b, err)
	synth, err := tts.New(b.Context(), cfg, tts.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = synth.Close() })

	var peak, allocs, podcast float64
	for b.Loop() {
		b.StopTimer()
		m, job := longScript(b, times)
		lean := &leanBlobs{Blobs: m.Blobs, dir: b.TempDir(), step: pipeline.ArtifactPath(job.ID, content.FormatAudio, "")}
		m.Ports.Blobs = lean
		old := debug.SetGCPercent(5)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := sampleHeap()
		b.StartTimer()
		s, err := m.Run(b.Context(), job.ID, content.FormatAudio, audio.Executor{Synth: synth})
		b.StopTimer()
		peak = max(peak, stop())
		debug.SetGCPercent(old)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		allocs += float64(after.TotalAlloc - before.TotalAlloc)
		require.NoError(b, err)
		require.Equal(b, pipeline.StepSucceeded, s.Status)
		podcast = float64(lean.size("podcast.mp3"))
		b.StartTimer()
	}
	const mib = 1 << 20
	b.ReportMetric(peak/mib, "peak-heap-MiB")
	b.ReportMetric(allocs/float64(b.N)/mib, "alloc-MiB/op")
	b.ReportMetric(podcast/mib, "podcast-MiB")
}

// longScript is a job asking for audio with chapters whose podcast script
// is made: the offline text backend's, its turns said times over.
func longScript(b *testing.B, times int) (*pipelinetest.Memory, *pipeline.Job) {
	m := pipelinetest.NewMemory()
	var src strings.Builder
	for i := range 400 {
		fmt.Fprintf(&src, "Tide fact %d: the Moon pulls the oceans, and the water rises and falls twice a day on most coasts. ", i)
	}
	job, err := m.Submit(b.Context(), content.Request{Topic: "Tides and the Moon", SourceText: src.String(),
		Formats: []content.Format{content.FormatAudio}, Exports: []content.Export{content.ExportChapters},
		Podcast: &content.PodcastOptions{TargetMinutes: 30}})
	require.NoError(b, err)
	_, err = m.Run(b.Context(), job.ID, content.FormatSources, readSources)
	require.NoError(b, err)
	for _, f := range []content.Format{content.FormatOutline, content.FormatPodcastScript} {
		s, err := m.Run(b.Context(), job.ID, f, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2})
		require.NoError(b, err)
		require.Equal(b, pipeline.StepSucceeded, s.Status)
	}
	steps, err := m.Store.Steps(b.Context(), job.ID)
	require.NoError(b, err)
	a, ok := pipeline.Find(steps, pipeline.DocName(content.FormatPodcastScript))
	require.True(b, ok)
	raw, err := m.Blobs.Read(b.Context(), a.Path)
	require.NoError(b, err)
	var doc map[string]any
	require.NoError(b, json.Unmarshal(raw, &doc))
	turns := doc["turns"].([]any)
	var long []any
	for range times {
		long = append(long, turns...)
	}
	doc["turns"] = long
	raw, err = json.Marshal(doc)
	require.NoError(b, err)
	clear(longer)
	longer[a.Path] = raw
	return m, job
}

// longer holds the long script of the latest job by path.
var longer = map[string][]byte{}

// sampleHeap samples the bytes of live heap objects until the function it
// returns is called, which returns the largest sample.
func sampleHeap() func() float64 {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak float64
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, float64(s[0].Value.Uint64()))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// leanBlobs is a bucket for measuring memory: what the audio step keeps
// as parts goes to files, its artifacts are hashed and dropped, and
// everything else (the job's other documents) is the memory bucket's.
type leanBlobs struct {
	*pipelinetest.Blobs
	dir  string
	step string
}

func (l *leanBlobs) file(path string) string {
	return filepath.Join(l.dir, strings.ReplaceAll(path, "/", "_"))
}

func (l *leanBlobs) Create(ctx context.Context, path string, data []byte, contentType string) (pipeline.Object, error) {
	if !strings.HasPrefix(path, l.step) {
		return l.Blobs.Create(ctx, path, data, contentType)
	}
	return l.write(path, contentType, func(w *os.File) error { _, err := w.Write(data); return err })
}

func (l *leanBlobs) CreateFrom(ctx context.Context, path, contentType string, write func(ctx context.Context, w io.Writer) error) (pipeline.Object, error) {
	if !strings.HasPrefix(path, l.step) {
		return l.Blobs.CreateFrom(ctx, path, contentType, write)
	}
	return l.write(path, contentType, func(w *os.File) error { return write(ctx, w) })
}

func (l *leanBlobs) write(path, contentType string, fill func(*os.File) error) (pipeline.Object, error) {
	f, err := os.OpenFile(l.file(path), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if os.IsExist(err) {
		return l.Stat(context.Background(), path)
	}
	if err != nil {
		return pipeline.Object{}, err
	}
	defer f.Close()
	if err := fill(f); err != nil {
		return pipeline.Object{}, err
	}
	return l.Stat(context.Background(), path)
}

func (l *leanBlobs) Read(ctx context.Context, path string) ([]byte, error) {
	if d, ok := longer[path]; ok {
		return d, nil
	}
	if !strings.HasPrefix(path, l.step) {
		return l.Blobs.Read(ctx, path)
	}
	b, err := os.ReadFile(l.file(path))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s: %w", path, pipeline.ErrNotFound)
	}
	return b, err
}

func (l *leanBlobs) Stat(ctx context.Context, path string) (pipeline.Object, error) {
	if !strings.HasPrefix(path, l.step) {
		return l.Blobs.Stat(ctx, path)
	}
	f, err := os.Open(l.file(path))
	if os.IsNotExist(err) {
		return pipeline.Object{}, fmt.Errorf("%s: %w", path, pipeline.ErrNotFound)
	}
	if err != nil {
		return pipeline.Object{}, err
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	return pipeline.Object{Path: path, Size: n, MD5: base64.StdEncoding.EncodeToString(h.Sum(nil))}, err
}

func (l *leanBlobs) size(name string) int64 {
	fi, err := os.Stat(l.file(l.step + name))
	if err != nil {
		return 0
	}
	return fi.Size()
}
