package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/models/liveness"
)

// runModels is `factory models check`: one tiny call per configured text
// model (every step's and fallback's, through its backend: Gemini, Claude
// on Vertex AI or the OpenAI-compatible endpoint), the image model and
// every voice of the voices table, a table of
// the results, and a non-zero exit when any is retired or unreachable.
// The configuration is read as the functions read it (the models file in
// FACTORY_MODELS, FACTORY_TEXT_MODEL, FACTORY_VERTEX_BASE_URL,
// FACTORY_CLAUDE_BASE_URL, FACTORY_OPENAI_BASE_URL, …), with
// Google credentials unless the endpoints are local fakes.
func runModels(ctx context.Context, args []string) error {
	return modelsCommand(ctx, os.Stdout, os.Getenv, args)
}

// loadModels reads the AI configuration as the functions read it, with
// the project of the environment (GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT)
// as the Vertex project unless the configuration names another.
func loadModels(getenv func(string) string) (*models.Config, error) {
	project := getenv("GOOGLE_CLOUD_PROJECT")
	if project == "" {
		project = getenv("GCLOUD_PROJECT")
	}
	return models.Load(getenv, project)
}

func modelsCommand(ctx context.Context, w io.Writer, getenv func(string) string, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: factory models check [--json] [--timeout 2m]")
	}
	fs := flag.NewFlagSet("models check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the results as JSON")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up on the whole check after this long")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadModels(getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	results := liveness.Check(ctx, cfg)
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tNAME\tBACKEND\tUSED BY\tSTATUS\tLATENCY\tDETAIL")
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Name, r.Backend, r.Used, r.Status, r.Latency.Round(time.Millisecond), r.Detail)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
	if !liveness.AllOK(results) {
		return exitCode(1)
	}
	return nil
}
