// Package eval measures a text backend over a corpus of requests: every
// request's documents are written as the text steps write them (the
// outline first, then every derived format, through text.Writer with its
// grounding check and repairs), each scored by shared/quality with the
// case's other documents as the ones repetition across documents is
// measured against, and the scores summed up per format (mean and
// spread). Two reports compare format by format: the mean difference of
// the cases both scored, with its spread. `factory eval` prints the table
// and writes the report; `make test` runs the corpus on the offline
// backend.
package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/quality"
)

// DefaultCorpus is the corpus shipped with the repository, relative to
// its root.
const DefaultCorpus = "test/eval/corpus"

// Case is one request of a corpus.
type Case struct {
	// Name is its file name without ".json".
	Name    string
	Request content.Request
}

// LoadCorpus reads every *.json request of a folder, in name order; each
// must be a valid request.
func LoadCorpus(dir string) ([]Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list the corpus: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no requests (*.json) in %s", dir)
	}
	slices.Sort(paths)
	out := make([]Case, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		req, err := content.ParseRequest(raw)
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid request: %w", filepath.Base(p), err)
		}
		out = append(out, Case{Name: strings.TrimSuffix(filepath.Base(p), ".json"), Request: req})
	}
	return out, nil
}

// Config is how a corpus is run.
type Config struct {
	// Backend names the text backend in the report.
	Backend string
	Gen     ai.TextGenerator
	// Checker judges cited claims; nil: the backend's (text.CheckerFor).
	Checker    ai.ClaimChecker
	MaxRepairs int
	Thresholds quality.Thresholds
	// Formats are the text formats to write; empty: every one.
	Formats []content.Format
	// Prompts names the prompt templates the backend renders, for the
	// report ("current", or a list such as "faqs.v1,quiz.v1").
	Prompts string
}

// Doc is one document's result.
type Doc struct {
	Case   string         `json:"case"`
	Format content.Format `json:"format"`
	// Quality is its score with the case's other documents as the others.
	Quality  *content.Quality `json:"quality,omitempty"`
	Rounds   int              `json:"rounds,omitempty"`
	Warnings []string         `json:"warnings,omitempty"`
	// Error is why it could not be written.
	Error string `json:"error,omitempty"`
	// NotApplicable is why the format does not apply to the case (a
	// timeline of sources without enough dates): not made, and not a
	// failure.
	NotApplicable string `json:"not_applicable,omitempty"`
	// PromptVersion is what wrote it.
	PromptVersion string `json:"prompt_version,omitempty"`
}

// Summary is one format's scores over the corpus.
type Summary struct {
	Format content.Format `json:"format"`
	Docs   int            `json:"docs"`
	Failed int            `json:"failed"`
	// NotApplicable counts the cases the format does not apply to.
	NotApplicable int `json:"not_applicable,omitempty"`
	// Score is the mean score and ScoreSD its standard deviation.
	Score   float64 `json:"score"`
	ScoreSD float64 `json:"score_sd"`
	// The means of the parts.
	Readability float64 `json:"readability"`
	Coverage    float64 `json:"coverage"`
	Repetition  float64 `json:"repetition"`
	// Across is the mean share of sentences repeating another document.
	Across    float64 `json:"across"`
	Structure float64 `json:"structure"`
	// Cited is the mean citation coverage and Support the mean support
	// rate, over the documents with sources.
	Cited   float64 `json:"cited"`
	Support float64 `json:"support"`
	// Judged counts the documents with a support rate (some of their
	// claims were checked): Support is their mean.
	Judged int `json:"judged"`
	// Below counts the documents under their threshold.
	Below int `json:"below"`
	// Findings counts the findings by code.
	Findings map[string]int `json:"findings"`
}

// Report is a corpus run.
type Report struct {
	Backend string `json:"backend"`
	// Prompts names the prompt templates of the run (see Config).
	Prompts string    `json:"prompts,omitempty"`
	Cases   int       `json:"cases"`
	Formats []Summary `json:"formats"`
	Docs    []Doc     `json:"documents"`
}

// Run writes and scores every case's documents.
func Run(ctx context.Context, cfg Config, cases []Case) (Report, error) {
	formats := cfg.Formats
	if len(formats) == 0 {
		formats = content.TextFormats()
	}
	checker := cfg.Checker
	if checker == nil {
		checker = text.CheckerFor(cfg.Gen)
	}
	w := text.Writer{Gen: cfg.Gen, Checker: checker, MaxRepairs: cfg.MaxRepairs, Thresholds: cfg.Thresholds}
	rep := Report{Backend: cfg.Backend, Prompts: cfg.Prompts, Cases: len(cases)}
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("eval: %w", err)
		}
		rep.Docs = append(rep.Docs, runCase(ctx, w, c, formats)...)
	}
	rep.Formats = summarize(formats, rep.Docs)
	return rep, nil
}

// runCase writes one case's documents, the outline first, and scores
// each against the others.
func runCase(ctx context.Context, w text.Writer, c Case, formats []content.Format) []Doc {
	req := c.Request
	set := content.TextSources(&req)
	d := text.Draft{JobID: "eval-" + c.Name, Version: 1, Attempt: 1, Request: &req, Sources: set}
	written := map[content.Format]text.Written{}
	var out []Doc
	fail := func(f content.Format, err error) { out = append(out, Doc{Case: c.Name, Format: f, Error: err.Error()}) }
	d.Format = content.FormatOutline
	o, err := w.Write(ctx, d)
	if err != nil {
		for _, f := range formats {
			fail(f, fmt.Errorf("outline: %w", err))
		}
		return out
	}
	written[content.FormatOutline] = o
	d.Outline = o.Doc.(*content.Outline)
	for _, f := range formats {
		if f == content.FormatOutline {
			continue
		}
		d.Format = f
		res, err := w.Write(ctx, d)
		if na, ok := failure.AsNotApplicable(err); ok {
			out = append(out, Doc{Case: c.Name, Format: f, NotApplicable: na.Reason})
			continue
		}
		if err != nil {
			fail(f, err)
			continue
		}
		written[f] = res
	}
	for _, f := range formats {
		res, ok := written[f]
		if !ok {
			continue
		}
		var others []any
		for g, o := range written {
			if g != f {
				others = append(others, o.Doc)
			}
		}
		outline := d.Outline
		if f == content.FormatOutline {
			outline = nil
		}
		q := quality.Score(quality.Input{Format: f, Doc: res.Doc, Request: &req, Outline: outline, Sources: set,
			Claims: res.Claims, Verdicts: res.Verdicts, Checker: res.Checker, Others: others, Threshold: res.Quality.Threshold})
		doc := Doc{Case: c.Name, Format: f, Quality: &q, Rounds: res.Rounds, PromptVersion: res.PromptVersion}
		for _, wn := range res.Warnings {
			doc.Warnings = append(doc.Warnings, wn.Code)
		}
		out = append(out, doc)
	}
	return out
}

func summarize(formats []content.Format, docs []Doc) []Summary {
	var out []Summary
	for _, f := range formats {
		s := Summary{Format: f, Findings: map[string]int{}}
		var scores []float64
		var read, cov, rep, across, form, cited, support []float64
		for _, d := range docs {
			if d.Format != f {
				continue
			}
			if d.NotApplicable != "" {
				s.NotApplicable++
				continue
			}
			if d.Quality == nil {
				s.Failed++
				continue
			}
			q := d.Quality
			s.Docs++
			scores = append(scores, q.Score)
			read, cov, rep = append(read, q.Readability.Score), append(cov, q.Coverage.Score), append(rep, q.Repetition.Score)
			across, form = append(across, q.Repetition.Across), append(form, q.Structure.Score)
			if q.Citations != nil {
				cited = append(cited, q.Citations.Coverage)
			}
			if q.Grounding != nil {
				support = append(support, q.Grounding.SupportRate)
			}
			if quality.Below(*q) {
				s.Below++
			}
			s.Findings = addFindings(s.Findings, q)
		}
		s.Score, s.ScoreSD = meanSD(scores)
		s.Readability, _ = meanSD(read)
		s.Coverage, _ = meanSD(cov)
		s.Repetition, _ = meanSD(rep)
		s.Across, _ = meanSD(across)
		s.Structure, _ = meanSD(form)
		s.Cited, _ = meanSD(cited)
		s.Support, _ = meanSD(support)
		s.Judged = len(support)
		out = append(out, s)
	}
	return out
}

// addFindings counts a document's findings by code: those it kept, and
// those past content.MaxFindings under "more".
func addFindings(m map[string]int, q *content.Quality) map[string]int {
	for _, f := range q.Findings {
		m[f.Code]++
	}
	if extra := q.FindingsTotal - len(q.Findings); extra > 0 {
		m["more"] += extra
	}
	return m
}

// meanSD returns the mean and the sample standard deviation, rounded.
func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if len(xs) < 2 {
		return round(mean), 0
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return round(mean), round(math.Sqrt(ss / float64(len(xs)-1)))
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

// Read reads a report written by WriteJSON.
func Read(path string) (Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Report{}, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return Report{}, fmt.Errorf("read report %s: %w", path, err)
	}
	return r, nil
}

// WriteJSON writes a report to a file, making its folder.
func (r Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
