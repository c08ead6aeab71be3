package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheTerminalGetsOneLinePerRequestAndOutcome(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.Local).UTC().Format(time.RFC3339Nano)
	for _, c := range []struct {
		process, line, want string
	}{
		{"API", `{"time":"` + at + `","severity":"INFO","message":"request","httpRequest":{"requestMethod":"POST","requestUrl":"/v1/jobs","status":202}}`,
			"09:30:00 API             POST /v1/jobs → 202"},
		{"API", `{"time":"` + at + `","severity":"INFO","message":"request","httpRequest":{"requestMethod":"GET","requestUrl":"/app/js/main.js","status":200}}`, ""},
		{"API", `{"time":"` + at + `","severity":"INFO","message":"request","httpRequest":{"requestMethod":"GET","requestUrl":"/app/nope.js","status":404}}`,
			"09:30:00 API             GET /app/nope.js → 404"},
		{"Sweep", `{"time":"` + at + `","severity":"INFO","message":"request","httpRequest":{"requestMethod":"POST","requestUrl":"/","status":200}}`, ""},
		{"API", `{"time":"` + at + `","severity":"INFO","message":"job created","job_id":"abcdefghijklmnop","steps":11}`,
			"09:30:00 API             job abcdefgh created"},
		{"GenerateText", `{"time":"` + at + `","severity":"INFO","message":"step succeeded","job_id":"abcdefghijklmnop","step":"outline","attempt":1,"duration_ms":1250}`,
			"09:30:00 GenerateText    job abcdefgh outline succeeded (1.25s)"},
		{"GenerateText", `{"time":"` + at + `","severity":"WARNING","message":"step failed transiently: will retry","job_id":"abcdefghijklmnop","step":"faqs","attempt":2,"code":"unavailable","error":"busy"}`,
			"09:30:00 GenerateText    job abcdefgh faqs will retry (attempt 2, unavailable, busy)"},
		{"AssembleJob", `{"time":"` + at + `","severity":"INFO","message":"job ended","job_id":"abcdefghijklmnop","step":"package","status":"succeeded","cost_usd":0.0123}`,
			"09:30:00 AssembleJob     job abcdefgh ended succeeded ($0.0123)"},
		{"GenerateText", `{"time":"` + at + `","severity":"INFO","message":"step started","job_id":"abcdefghijklmnop","step":"outline"}`, ""},
		{"SynthesizeAudio", `{"time":"` + at + `","severity":"ERROR","message":"publish a ready step failed; the sweep will publish it","job_id":"abcdefghijklmnop","error":"down"}`,
			"09:30:00 SynthesizeAudio job abcdefgh ERROR: publish a ready step failed; the sweep will publish it (down)"},
		{"API", "Serving function: API", ""},
	} {
		assert.Equal(t, c.want, summarize(c.process, c.line), c.line)
	}
	assert.Contains(t, summarize("API", "panic: boom"), "API             panic: boom")
}

func TestEmulatorChatterStaysInItsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "logs"), 0o755))
	var term syncBuffer
	logs := console(dir, &term)
	emu := logs("pubsub-emulator")
	for i := range 3 {
		fmt.Fprintf(emu, "[pubsub] INFO: Detected HTTP/2 connection. %d\n[pubsub] INFO: Connection closed\n", i)
	}
	api := logs("API")
	fmt.Fprintln(api, `{"severity":"INFO","message":"request","httpRequest":{"requestMethod":"GET","requestUrl":"/v1/jobs","status":200}}`)
	assert.Same(t, api, logs("API"), "one writer per process, kept across restarts")
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "logs", "pubsub-emulator.log"))
		a, _ := os.ReadFile(filepath.Join(dir, "logs", "API.log"))
		return strings.Count(string(b), "\n") == 6 && strings.Count(string(a), "\n") == 1
	}, 10*time.Second, 10*time.Millisecond, "every line is in its file")
	require.Eventually(t, func() bool { return strings.Contains(term.String(), "GET /v1/jobs → 200") }, 10*time.Second, 10*time.Millisecond)
	assert.NotContains(t, term.String(), "HTTP/2", "the emulator's lines stay in its file")
}

// syncBuffer is a buffer the console writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
