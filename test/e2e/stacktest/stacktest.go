// Package stacktest starts the local stack for tests and talks to it as a
// client would, through shared/client: submit jobs, wait for them,
// download artifacts; and reads the functions' logs.
package stacktest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/internal/openapitest"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/client"
)

var binary string

// Main builds the factory binary (unless FACTORY_BIN names one), makes
// sure the emulators run, and runs the tests.
func Main(m *testing.M) {
	binary = os.Getenv("FACTORY_BIN")
	if binary == "" {
		dir, err := os.MkdirTemp("", "factory-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binary = filepath.Join(dir, "factory")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/factory")
		cmd.Dir = root()
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build factory:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
	}
	testenv.Main(m)
}

// Binary returns the path of the factory binary under test.
func Binary() string { return binary }

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Stack is a running local stack and a client of its API.
type Stack struct {
	Stack *devstack.Stack
	// API calls the stack's API with the development key; every answer is
	// checked against the API's OpenAPI document.
	API *client.Client
}

// Start starts a stack for the test (reusing the run's emulators, with a
// project of its own) and stops it when the test ends. On failure the
// functions' logs are kept and their folder is logged.
func Start(t *testing.T, opts devstack.Options) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the whole stack; run without -short")
	}
	opts.Binary = binary
	opts.Project = testenv.Project(t)
	opts.FirestoreHost = os.Getenv("FIRESTORE_EMULATOR_HOST")
	opts.PubSubHost = os.Getenv("PUBSUB_EMULATOR_HOST")
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "factory-stack-")
		require.NoError(t, err)
		opts.Dir = dir
	}
	s, err := devstack.Start(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("function logs kept in %s", filepath.Join(opts.Dir, "logs"))
		} else {
			os.RemoveAll(opts.Dir)
		}
	})
	// Every answer of the API is checked against its OpenAPI document.
	api := &http.Client{Timeout: 30 * time.Second, Transport: openapitest.Transport(t, s.APIURL, nil)}
	return &Stack{Stack: s, API: client.New(s.APIURL, s.DevKey, api)}
}

// Fixture reads a request document from test/fixtures.
func Fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "test", "fixtures", name))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// JSON encodes v.
func JSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// Submit posts a request and returns the job id. It submits as an app
// should, with an idempotency key of its own, so that the client sends
// again a submission the API refused for a while (429 with Retry-After:
// an owner's admissions queued too long in a busy instance) or whose
// answer was lost, and one job is made either way.
func (s *Stack) Submit(t *testing.T, req map[string]any) string {
	t.Helper()
	j, err := s.API.Submit(t.Context(), JSON(t, req), uuid.NewString())
	require.NoError(t, err)
	return j.ID
}

// Get reads a job over the API.
func (s *Stack) Get(t *testing.T, id string) *client.Job {
	t.Helper()
	j, err := s.API.Get(t.Context(), id)
	require.NoError(t, err)
	return j
}

// Wait polls a job until it ends and returns it; it fails the test after
// limit.
func (s *Stack) Wait(t *testing.T, id string, limit time.Duration) *client.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	j, err := s.API.Wait(ctx, id, 200*time.Millisecond, nil)
	if err != nil && ctx.Err() != nil && j != nil {
		t.Fatalf("job %s did not end within %s: %s; %s", id, limit, j.Status, Describe(j))
	}
	require.NoError(t, err, "job %s", id)
	return j
}

// Artifact downloads an artifact of a job through its signed URL, as a
// client does.
func (s *Stack) Artifact(t *testing.T, jobID, name string) []byte {
	t.Helper()
	body, err := s.API.Artifact(t.Context(), jobID, name)
	require.NoError(t, err)
	defer body.Close()
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	return b
}

// StepNames lists a job's steps.
func StepNames(j *client.Job) []string {
	var out []string
	for _, s := range j.Steps {
		out = append(out, string(s.Name))
	}
	return out
}

// Describe summarizes a job's steps, for failure messages.
func Describe(j *client.Job) string {
	var parts []string
	for _, s := range j.Steps {
		p := string(s.Name) + "=" + string(s.Status)
		if s.Error != nil {
			p += "(" + s.Error.Code + ": " + s.Error.Message + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// Object reads an artifact straight from the bucket.
func (s *Stack) Object(t *testing.T, jobID, step, name string) []byte {
	t.Helper()
	o, err := s.Stack.Storage.GetObject(s.Stack.Bucket, "jobs/"+jobID+"/"+step+"/"+name)
	require.NoError(t, err)
	return o.Content
}

// Logged returns a function's JSON log lines that match.
func (s *Stack) Logged(t *testing.T, function string, match func(map[string]any) bool) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(s.Stack.Dir, "logs", function+".log"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && match(line) {
			out = append(out, line)
		}
	}
	return out
}

// CountLogged counts the log lines of a function whose message contains
// text.
func (s *Stack) CountLogged(t *testing.T, function, text string) int {
	t.Helper()
	return len(s.Logged(t, function, func(l map[string]any) bool {
		m, _ := l["message"].(string)
		return strings.Contains(m, text)
	}))
}

// WaitLogged waits until a function has logged text at least n times.
func (s *Stack) WaitLogged(t *testing.T, function, text string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for s.CountLogged(t, function, text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s logged %q %d times within %s, want %d", function, text, s.CountLogged(t, function, text), limit, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
