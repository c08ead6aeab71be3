package tts_test

import (
	"testing"
	"time"

	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/shared/ai"
)

// BenchmarkThirtyMinuteScript narrates a 30-minute, three-speaker script
// against the fake at a fixed latency per request and reports the wall
// time as a multiple of one request's latency (x-latency): 1 would be
// every request in parallel, the number of requests would be one at a
// time. The aim is at most 2.
func BenchmarkThirtyMinuteScript(b *testing.B) {
	const latency = 100 * time.Millisecond
	srv := newFake(b, ttstest.Options{Latency: latency})
	s := newSynth(b, srv, nil, nil)
	script := thirtyMinuteScript()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := s.Synthesize(b.Context(), ai.SpeechRequest{Script: script, Language: "en-US"}); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(latency), "x-latency")
	b.ReportMetric(float64(len(srv.Requests()))/float64(b.N), "requests/op")
}
