// Package testenv gives integration tests the real Firestore and Pub/Sub
// emulators and an in-process fake-gcs-server. `make test` starts the
// emulators once for the whole run (FIRESTORE_EMULATOR_HOST and
// PUBSUB_EMULATOR_HOST); a test binary run on its own starts its own.
// Each test gets its own Firestore project, so tests never see each
// other's documents.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/queue"
)

// Main runs a package's tests with the emulators it needs: those in the
// environment, or ones it starts and stops itself. Use it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run() // tests that need the emulators skip themselves
	}
	ctx := context.Background()
	logs, err := os.CreateTemp("", "testenv-emulators-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer logs.Close()
	var started []*devstack.Process
	defer func() {
		for _, p := range started {
			p.Stop(5 * time.Second)
		}
	}()
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		p, err := devstack.StartFirestore(ctx, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		started = append(started, p)
		os.Setenv("FIRESTORE_EMULATOR_HOST", p.Addr)
	}
	if os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		p, err := devstack.StartPubSub(ctx, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		started = append(started, p)
		os.Setenv("PUBSUB_EMULATOR_HOST", p.Addr)
	}
	return m.Run()
}

var unsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// Project returns a project id of the test's own.
func Project(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := unsafe.ReplaceAllString(strings.ToLower(t.Name()), "-")
	if len(name) > 20 {
		name = name[:20]
	}
	return "t-" + strings.Trim(name, "-") + "-" + hex.EncodeToString(b)
}

func need(t testing.TB, env string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the emulators; run without -short")
	}
	if os.Getenv(env) == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, or call testenv.Main from TestMain", env)
	}
}

// Firestore returns a client of the emulator for a project of the test's
// own, closed when the test ends.
func Firestore(t testing.TB, project string) *firestore.Client {
	t.Helper()
	need(t, "FIRESTORE_EMULATOR_HOST")
	c, err := firestore.NewClient(context.Background(), project)
	if err != nil {
		t.Fatalf("firestore client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// PubSub returns a client of the emulator for a project of the test's
// own, closed when the test ends.
func PubSub(t testing.TB, project string) *pubsub.Client {
	t.Helper()
	need(t, "PUBSUB_EMULATOR_HOST")
	c, err := pubsub.NewClient(context.Background(), project)
	if err != nil {
		t.Fatalf("pubsub client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// StepTopics creates the step topic of every kind (queue.TopicFor) in
// the project of a PubSub client.
func StepTopics(t testing.TB, ps *pubsub.Client, project string) {
	t.Helper()
	for _, kind := range content.Kinds() {
		name := "projects/" + project + "/topics/" + queue.TopicFor(kind)
		if _, err := ps.TopicAdminClient.CreateTopic(context.Background(), &pubsubpb.Topic{Name: name}); err != nil {
			t.Fatalf("create topic %s: %v", name, err)
		}
	}
}

// Storage returns an in-process fake-gcs-server with one bucket and a
// client of it, stopped when the test ends.
func Storage(t testing.TB, bucket string) (*fakestorage.Server, *storage.Client) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true})
	if err != nil {
		t.Fatalf("fake-gcs-server: %v", err)
	}
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	t.Cleanup(srv.Stop)
	return srv, srv.Client()
}
