package text

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/pipeline"
)

// Executor writes a text format with a generator. Each answer is
// validated (citations against the job's passages; a podcast script's
// length at the pace of the voices that will speak it); a failing one is
// sent back with the validator's findings, at most MaxRepairs times,
// before the step fails "invalid_output". Every answer is first checked
// for the job's canary, planted in the system instruction: an answer that
// contains it fails the step "output_rejected" at once, and is neither
// repaired nor stored. A timeline of sources that hold too few dates is
// not asked for: the step ends not_applicable, at no cost.
type Executor struct {
	Gen        ai.TextGenerator
	MaxRepairs int
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
	pace := e.pace(req)
	canary := e.Canary.For(t.Job.ID)
	treq := ai.TextRequest{JobID: t.Job.ID, Version: t.Step.CurrentVersion(), Attempt: t.Step.Attempt, Instructions: t.Instructions(),
		Format: f, Request: req, Outline: outline, Sources: set, Canary: canary, Pace: &pace}
	if err := treq.Applicable(); err != nil {
		return &pipeline.Output{}, err
	}
	exp := content.Expect{Request: req, Outline: outline, Sources: treq.SourceSet(), Pace: &pace}
	out := &pipeline.Output{}
	for repair := 0; ; repair++ {
		res, err := e.Gen.GenerateText(ctx, treq)
		out.Calls = append(out.Calls, res.Calls...)
		if err != nil {
			return out, err
		}
		out.PromptVersion = res.PromptVersion
		if guard.Leaked(res.JSON, canary) {
			return out, guard.Reject(ctx, "answer")
		}
		doc, verr := content.ValidateText(f, res.JSON, exp)
		if verr == nil {
			data, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				return out, ai.Permanent("internal", err)
			}
			out.Files = []pipeline.File{{Name: pipeline.DocName(f), ContentType: "application/json", Data: data}}
			return out, nil
		}
		if repair >= e.MaxRepairs {
			return out, ai.Permanent("invalid_output", fmt.Errorf("%s failed validation after %d repairs: %w", f, repair, verr))
		}
		treq.Repair = &ai.Repair{Previous: res.JSON, Problems: problems(verr)}
	}
}

// pace is how fast the voices of the job's podcast speak.
func (e Executor) pace(req *content.Request) content.Pace {
	if e.Pacer == nil || req.Podcast == nil {
		return content.DefaultPace
	}
	return e.Pacer.Pace(req.Language, len(req.Podcast.Speakers))
}

func problems(err error) []string {
	var vs content.Violations
	if !errors.As(err, &vs) {
		return []string{err.Error()}
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}
