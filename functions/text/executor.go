package text

import (
	"context"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/quality"
)

// Executor writes a text format with a generator (see Writer): each
// answer is validated (citations against the job's passages; a podcast
// script's length at the pace of the voices that will speak it), its
// cited claims checked against their passages, its quality scored, and it
// is sent back with what is wrong at most MaxRepairs times. Every answer
// is first checked for the job's canary, planted in the system
// instruction: an answer that contains it fails the step
// "output_rejected" at once, and is neither repaired nor stored. The
// answers and the checks' verdicts are kept as parts of the step as they
// come, so a retried run pays only for what it is missing. A timeline of
// sources that hold too few dates is not asked for: the step ends
// not_applicable, at no cost.
type Executor struct {
	Gen ai.TextGenerator
	// Checker judges the grounding of cited claims; nil: not checked.
	Checker    ai.ClaimChecker
	MaxRepairs int
	Thresholds quality.Thresholds
	// Canary derives each job's canary; the zero value uses the local
	// default secret.
	Canary guard.Canary
	// Pacer says how fast the job's podcast voices speak; nil:
	// content.DefaultPace.
	Pacer ai.Pacer
}

// Execute implements pipeline.Executor.
func (e Executor) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	f := t.Step.Name
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	var outline *content.Outline
	if f != content.FormatOutline {
		if outline, err = t.Outline(ctx); err != nil {
			return nil, err
		}
	}
	set, err := t.Sources(ctx)
	if err != nil {
		return nil, err
	}
	w := Writer{Gen: e.Gen, Checker: e.Checker, MaxRepairs: e.MaxRepairs, Thresholds: e.Thresholds, Canary: e.Canary}
	pace := e.pace(req)
	res, err := w.Write(ctx, Draft{JobID: t.Job.ID, Version: t.Step.CurrentVersion(), Attempt: t.Step.Attempt, Format: f,
		Request: req, Outline: outline, Sources: set, Instructions: t.Instructions(), Parts: t.Parts(), Pace: &pace})
	out := &pipeline.Output{Calls: res.Calls, PromptVersion: res.PromptVersion, Model: res.Made}
	if err != nil {
		return out, err
	}
	q := res.Quality
	out.Quality, out.Warnings = &q, res.Warnings
	out.Files = []pipeline.File{{Name: pipeline.DocName(f), ContentType: "application/json", Data: res.JSON}}
	return out, nil
}

// pace is how fast the voices of the job's podcast speak.
func (e Executor) pace(req *content.Request) content.Pace {
	if e.Pacer == nil || req.Podcast == nil {
		return content.DefaultPace
	}
	return e.Pacer.Pace(req.Language, len(req.Podcast.Speakers))
}
