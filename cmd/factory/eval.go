package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"contentfactory.dev/factory/internal/eval"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/quality"
)

// runEval is `factory eval`: a corpus of requests through a text backend
// as the text steps write them, a table of quality scores per format,
// the report written as JSON, with --baseline the difference from an
// earlier report, and with --compare an A/B of two prompt selections: the
// corpus run again with the --compare templates, and the difference of
// the --prompts run from it, case by case, with its spread.
func runEval(ctx context.Context, args []string) error {
	return evalCommand(ctx, os.Stdout, os.Getenv, args)
}

func evalCommand(ctx context.Context, w io.Writer, getenv func(string) string, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	corpus := fs.String("corpus", eval.DefaultCorpus, "folder of request documents (*.json)")
	backend := fs.String("backend", "offline", "text backend: offline, or vertex (Vertex AI with credentials, or its fake at FACTORY_VERTEX_BASE_URL)")
	out := fs.String("out", ".build/eval/latest.json", "where to write the report (empty: nowhere)")
	baseline := fs.String("baseline", "", "an earlier report to compare with: the difference per format, with its spread")
	formats := fs.String("formats", "", "comma-separated text formats (default: every one)")
	repairs := fs.Int("max-repairs", 2, "repairs per document, as FACTORY_MAX_REPAIRS")
	thresholds := fs.String("thresholds", "", `quality thresholds: "0.6" or "default=0.6,flashcards=0.7"`)
	asJSON := fs.Bool("json", false, "print the report as JSON instead of the table")
	promptSpec := fs.String("prompts", "current", `prompt templates of the run (vertex backend): "current", "previous" or names such as "faqs.v1,quiz.v1"`)
	compareSpec := fs.String("compare", "", `A/B: run the corpus again with these prompt templates (as --prompts) and report the difference of the --prompts run from it`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cases, err := eval.LoadCorpus(*corpus)
	if err != nil {
		return err
	}
	th, err := quality.ParseThresholds(*thresholds)
	if err != nil {
		return err
	}
	cfg := eval.Config{Backend: *backend, MaxRepairs: *repairs, Thresholds: th}
	for _, f := range strings.Split(*formats, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if spec, ok := content.Lookup(content.Format(f)); !ok || spec.Kind != content.KindText {
			return fmt.Errorf("--formats: %q is not a text format", f)
		}
		cfg.Formats = append(cfg.Formats, content.Format(f))
	}
	sel, err := prompts.ParseSelection(*promptSpec)
	if err != nil {
		return fmt.Errorf("--prompts: %w", err)
	}
	var against prompts.Selection
	if *compareSpec != "" {
		if against, err = prompts.ParseSelection(*compareSpec); err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
	}
	if *backend == "offline" && (len(sel) > 0 || against != nil) {
		return errors.New("--prompts and --compare choose prompt templates, which only the vertex backend renders: the offline backend writes without prompts")
	}
	rep, err := evalRun(ctx, cfg, cases, sel, getenv, *out)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	} else if err := rep.WriteTable(w); err != nil {
		return err
	}
	if *baseline != "" {
		before, err := eval.Read(*baseline)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\ncompared with %s (%s backend):\n", *baseline, before.Backend)
		if err := eval.WriteDiffs(w, eval.Compare(before, rep)); err != nil {
			return err
		}
	}
	if against != nil {
		aOut := ""
		if *out != "" {
			aOut = strings.TrimSuffix(*out, ".json") + "-compare.json"
		}
		a, err := evalRun(ctx, cfg, cases, against, getenv, aOut)
		if err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
		fmt.Fprintf(w, "\nwith prompts %s:\n", a.Prompts)
		if err := a.WriteTable(w); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nA/B: prompts %s (before) against %s (after), case by case:\n", a.Prompts, rep.Prompts)
		if err := eval.WriteDiffs(w, eval.Compare(a, rep)); err != nil {
			return err
		}
	}
	return nil
}

// evalRun runs the corpus on the backend with a prompt selection and
// writes its report to out (empty: nowhere).
func evalRun(ctx context.Context, cfg eval.Config, cases []eval.Case, sel prompts.Selection, getenv func(string) string, out string) (eval.Report, error) {
	var err error
	if cfg.Gen, err = evalBackend(ctx, cfg.Backend, getenv, sel); err != nil {
		return eval.Report{}, err
	}
	if cfg.Backend != "offline" {
		cfg.Prompts = sel.String()
	}
	rep, err := eval.Run(ctx, cfg, cases)
	if err != nil {
		return rep, err
	}
	if out != "" {
		if err := rep.WriteJSON(out); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// evalBackend builds the text backend an evaluation runs on.
func evalBackend(ctx context.Context, name string, getenv func(string) string, sel prompts.Selection) (ai.TextGenerator, error) {
	switch name {
	case "offline":
		return extract.Text{}, nil
	case "vertex":
		cfg, err := loadModels(getenv)
		if err != nil {
			return nil, err
		}
		c, err := vertex.New(ctx, cfg, vertex.Options{Index: &vertex.MemoryIndex{}, Prompts: sel})
		if err != nil {
			return nil, fmt.Errorf("vertex backend: %w", err)
		}
		return c, nil
	}
	return nil, errors.New(`--backend must be "offline" or "vertex"`)
}
