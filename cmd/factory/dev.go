package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"contentfactory.dev/factory/internal/devstack"

	// Every function registers itself with the functions framework.
	_ "contentfactory.dev/factory/functions/api"
	_ "contentfactory.dev/factory/functions/assemble"
	_ "contentfactory.dev/factory/functions/audio"
	_ "contentfactory.dev/factory/functions/deadletter"
	_ "contentfactory.dev/factory/functions/image"
	_ "contentfactory.dev/factory/functions/intake"
	_ "contentfactory.dev/factory/functions/notify"
	_ "contentfactory.dev/factory/functions/sources"
	_ "contentfactory.dev/factory/functions/sweep"
	_ "contentfactory.dev/factory/functions/text"
)

// stateFile is where `factory dev` says where it runs.
const stateFile = ".factory/stack.json"

func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	port := fs.Int("port", 8080, "port of the API on 127.0.0.1")
	ai := fs.String("ai", envOr("FACTORY_AI", "offline"), "AI backends: offline, vertex (Google, with credentials) or fake (the Vertex and Text-to-Speech backends against local fakes)")
	dir := fs.String("dir", ".factory", "folder for the stack's state, keys and logs")
	quiet := fs.Bool("quiet", false, "keep every log in its file only (DIR/logs); print only the banner")
	regions := fs.String("regions", "", "run these regions as cells, comma-separated (such as west,east): every function in each, each with its own topics and sweep; the first region's API is on --port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	fmt.Println("Starting Content Factory: Firestore and Pub/Sub emulators, fake-gcs-server, functions…")
	started := time.Now()
	opts := devstack.Options{APIPort: *port, AI: *ai, Dir: abs, KeepRequests: 500}
	if *regions != "" {
		opts.Regions = strings.Split(*regions, ",")
	}
	if *ai == "fake" {
		opts.AI, opts.FakeAI = "vertex", true
	}
	if !*quiet {
		opts.Logs = console(abs, os.Stderr)
	}
	stack, err := devstack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("\nStopping…")
		stack.Stop()
		_ = os.Remove(filepath.Join(abs, "stack.json"))
		fmt.Println("Stopped.")
	}()
	if err := stack.WriteState(filepath.Join(abs, "stack.json")); err != nil {
		return err
	}
	fmt.Printf(`
Content Factory is up in %.1fs.

  Web app        %s/   (sign in with the API key below)
  API explorer   %s/docs   (the OpenAPI document: %s/v1/openapi.json)
  API key        %s   (owner %q)
  Firestore      %s   Pub/Sub %s   Storage %s
  Logs           %s
  AI backends    %s

Submit a job from the command line (it finds this stack by itself):

  go run ./cmd/factory submit --topic "Photosynthesis" --source notes.txt --watch

or with curl:

  curl -sS -X POST %s/v1/jobs \
    -H "Authorization: Bearer %s" \
    -H "Content-Type: application/json" \
    -d '{"topic": "Photosynthesis", "source_text": "Photosynthesis is the process by which plants turn light into chemical energy."}'

Below: one line per request and per step or job outcome, warnings and
errors; everything else is in the log files. Press Ctrl-C to stop.

`, time.Since(started).Seconds(), stack.APIURL, stack.APIURL, stack.APIURL, stack.DevKey, devstack.DevOwner,
		stack.FirestoreHost, stack.PubSubHost, stack.StorageHost, filepath.Join(abs, "logs"), *ai,
		stack.APIURL, stack.DevKey)
	if len(stack.Regions) > 1 {
		fmt.Printf("Regions: %s (the API above is %s's)\n", strings.Join(stack.Regions, ", "), stack.Regions[0])
		for _, r := range stack.Regions[1:] {
			fmt.Printf("  API in %s: %s\n", r, stack.APIURLs[r])
		}
	}
	<-ctx.Done()
	return nil
}

// runServe serves one function, as the Cloud Run functions runtime does:
// FUNCTION_TARGET names it, PORT is where it listens.
func runServe(ctx context.Context, args []string) error {
	if os.Getenv("FUNCTION_TARGET") == "" {
		return fmt.Errorf("set FUNCTION_TARGET to the function to serve")
	}
	host := envOr("FACTORY_LISTEN_HOST", "127.0.0.1")
	return funcframework.StartHostPort(host, envOr("PORT", "8080"))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
