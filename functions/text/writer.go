package text

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/quality"
)

// Writer writes one text document as its step does: it asks the
// generator, validates the answer (content.ValidateText with the job's
// passages), checks the grounding of its cited claims, scores its
// quality, and sends an answer back while it fails validation, has
// unsupported claims or scores below its format's threshold, at most
// MaxRepairs times in all. A document still short of that is delivered
// with what is wrong recorded: its unsupported items flagged, warnings
// for the step. An answer that fails validation after the last repair
// fails the step "invalid_output" unless an earlier one passed it. A
// format that does not apply to the job (ai.TextRequest.Applicable) is
// not asked for: Write returns that failure.NotApplicable at once.
type Writer struct {
	Gen ai.TextGenerator
	// Checker judges the cited claims; nil: they are not checked.
	Checker    ai.ClaimChecker
	MaxRepairs int
	Thresholds quality.Thresholds
	// Canary derives each job's canary; the zero value uses the local
	// default secret.
	Canary guard.Canary
}

// Draft is what a document is written from.
type Draft struct {
	JobID            string
	Version, Attempt int
	Format           content.Format
	Request          *content.Request
	Outline          *content.Outline
	Sources          *content.SourceSet
	Instructions     string
	// Pace is how fast the voices of the job's podcast speak: a podcast
	// script is sized by it and held to it. Nil: content.DefaultPace for
	// the generator, and the script's length is not checked.
	Pace *content.Pace
	// Parts keeps each model answer (and each check's verdicts) as it
	// comes, so that a retried run pays only for what is missing; nil:
	// nothing is kept.
	Parts ai.PartStore
}

// Written is a document and what making it found and cost.
type Written struct {
	// JSON is the document as stored: indented, with the grounding
	// verdicts of its items.
	JSON          []byte
	Doc           any
	Claims        []content.Claim
	Verdicts      []content.Verdict
	Checker       string
	Quality       content.Quality
	Warnings      []pipeline.StepWarning
	Calls         []ai.Call
	PromptVersion string
	// Made is the model that wrote the document, and why the models
	// before it in its chain did not.
	Made *ai.Made
	// Rounds counts the answers the document took (1: no repair).
	Rounds int
	// Unchecked is why the grounding check judged nothing (empty: it did,
	// or there was nothing to check).
	Unchecked string
}

// deterministic is implemented by a generator that answers a repair with
// the document it wrote first (extraction): only a validation failure is
// worth sending back to it, since nothing else would change.
type deterministic interface {
	Deterministic() bool
}

// Write writes a document.
func (w Writer) Write(ctx context.Context, d Draft) (Written, error) {
	f := d.Format
	exp := content.Expect{Request: d.Request, Outline: d.Outline, Passages: content.PassagesOf(d.Sources), Pace: d.Pace}
	canary := w.Canary.For(d.JobID)
	treq := ai.TextRequest{JobID: d.JobID, Version: d.Version, Attempt: d.Attempt, Instructions: d.Instructions,
		Format: f, Request: d.Request, Outline: d.Outline, Sources: d.Sources, Canary: canary, Pace: d.Pace}
	if err := treq.Applicable(); err != nil {
		return Written{}, err
	}
	j := journal{parts: d.Parts, version: d.Version, attempt: d.Attempt, canary: canary}
	fixed := false
	if g, ok := w.Gen.(deterministic); ok && g.Deterministic() {
		fixed = true
		j.parts = nil // its answers cost nothing to make again
	}
	var out Written
	var best *Written
	for round := 0; ; round++ {
		treq.Round = round
		res, calls, err := j.answer(ctx, round, func() (ai.TextResult, error) { return w.Gen.GenerateText(ctx, treq) })
		out.Calls = append(out.Calls, calls...)
		if err != nil {
			return out, err
		}
		out.PromptVersion, out.Made, out.Rounds = res.PromptVersion, res.Made, round+1
		if guard.Leaked(res.JSON, canary) {
			return out, guard.Reject(ctx, "answer")
		}
		last := round >= w.MaxRepairs
		doc, verr := content.ValidateText(f, res.JSON, exp)
		if verr != nil {
			if last && best != nil {
				break
			}
			if last {
				return out, ai.Permanent("invalid_output", fmt.Errorf("%s failed validation after %d repairs: %w", f, round, verr))
			}
			treq.Repair = &ai.Repair{Previous: res.JSON, Problems: problems(verr)}
			continue
		}
		cand, err := w.judge(ctx, j, d, round, doc)
		out.Calls = append(out.Calls, cand.Calls...)
		if err != nil {
			return out, err
		}
		cand.PromptVersion, cand.Made = out.PromptVersion, out.Made
		if best == nil || better(cand, *best) {
			best = &cand
		}
		issues := repairs(cand)
		if len(issues) == 0 || last || fixed {
			break
		}
		treq.Repair = &ai.Repair{Previous: res.JSON, Problems: issues, Checked: true}
	}
	// Made stays the candidate's: the model that wrote the kept document.
	best.Calls, best.Rounds, best.PromptVersion = out.Calls, out.Rounds, out.PromptVersion
	best.Warnings = warnings(best.Quality)
	if best.Unchecked != "" {
		best.Warnings = append(best.Warnings, pipeline.StepWarning{Code: pipeline.WarnUnchecked,
			Message: fmt.Sprintf("the grounding check answered nothing usable (%s): the document's citations are not checked, and none of its claims is marked supported", best.Unchecked)})
	}
	if len(exp.Passages) == 0 {
		best.Warnings = append(best.Warnings, pipeline.StepWarning{Code: pipeline.WarnUngrounded,
			Message: "the job has no sources: the document is written from general knowledge, and nothing in it is checked against a source"})
	}
	data, err := json.MarshalIndent(best.Doc, "", "  ")
	if err != nil {
		return *best, ai.Permanent("internal", err)
	}
	best.JSON = data
	return *best, nil
}

// judge checks the grounding of a valid document's cited claims, records
// the verdicts on its items and scores it.
func (w Writer) judge(ctx context.Context, j journal, d Draft, round int, doc any) (Written, error) {
	content.ClearGrounding(doc)
	lang := content.DefaultLanguage
	if d.Request.Language != "" {
		lang = d.Request.Language
	}
	out := Written{Doc: doc, Claims: quality.Claims(doc, lang)}
	var cited []content.Claim
	for _, c := range out.Claims {
		if len(c.Citations) > 0 {
			cited = append(cited, c)
		}
	}
	if d.Sources != nil && len(cited) > 0 && w.Checker != nil {
		var res ai.CheckResult
		var err error
		for try := 0; try < checkTries; try++ {
			var calls []ai.Call
			res, calls, err = j.check(ctx, round, func() (ai.CheckResult, error) {
				return w.Checker.CheckClaims(ctx, ai.CheckRequest{JobID: d.JobID, Version: d.Version, Attempt: d.Attempt, Round: round,
					Format: d.Format, Language: lang, Claims: cited, Sources: d.Sources, Canary: w.Canary.For(d.JobID)})
			})
			out.Calls = append(out.Calls, calls...)
			if !invalidCheck(err) {
				break
			}
		}
		switch {
		case invalidCheck(err):
			out.Unchecked = err.Error()
		case err != nil:
			return out, err
		default:
			out.Verdicts, out.Checker = res.Verdicts, res.Checker
			flag(doc, cited, res.Verdicts)
		}
	}
	var others []any
	if d.Outline != nil && d.Format != content.FormatOutline {
		others = []any{d.Outline}
	}
	out.Quality = quality.Score(quality.Input{Format: d.Format, Doc: doc, Request: d.Request, Outline: d.Outline, Sources: d.Sources,
		Claims: out.Claims, Verdicts: out.Verdicts, Checker: out.Checker, Others: others, Threshold: w.Thresholds.For(d.Format)})
	return out, nil
}

// checkTries is how many times a check that answers nothing usable is
// asked before the document is delivered unchecked (WarnUnchecked).
const checkTries = 2

// invalidCheck says the checker answered, but judged nothing usable: asked
// again it may do better, and failing the step for it would lose a valid
// document, so it is delivered unchecked and said so.
func invalidCheck(err error) bool {
	e, ok := ai.AsError(err)
	return ok && e.Code == ai.CodeInvalidCheck
}

// flag records on every checked item the worst verdict of its claims.
func flag(doc any, claims []content.Claim, verdicts []content.Verdict) {
	byClaim := map[string]string{}
	for _, v := range verdicts {
		byClaim[v.Claim] = v.Verdict
	}
	worst := map[string]string{}
	for _, c := range claims {
		if v, ok := byClaim[c.ID]; ok {
			worst[c.Path] = content.WorseVerdict(worst[c.Path], v)
		}
	}
	for _, it := range content.CitedItems(doc) {
		it.Cited.Grounding = worst[it.Path]
	}
}

// unsupported counts a document's unsupported claims.
func unsupported(w Written) int {
	if w.Quality.Grounding == nil {
		return 0
	}
	return w.Quality.Grounding.Unsupported
}

// better reports whether a document is better than another: fewer
// unsupported claims, then a higher score.
func better(a, b Written) bool {
	if ua, ub := unsupported(a), unsupported(b); ua != ub {
		return ua < ub
	}
	return a.Quality.Score > b.Quality.Score
}

// repairs lists what a valid document is sent back for: its unsupported
// claims, and when it scores below its threshold every finding.
func repairs(w Written) []string {
	var out []string
	below := quality.Below(w.Quality)
	for _, f := range w.Quality.Findings {
		if below || f.Code == content.FindingUnsupported {
			out = append(out, f.Path+": "+f.Code+": "+f.Message)
		}
	}
	if below {
		out = append(out, fmt.Sprintf("the quality score is %.2f, under the %.2f this format needs: fix the findings above", w.Quality.Score, w.Quality.Threshold))
	}
	return out
}

// warnings are what a delivered document falls short of.
func warnings(q content.Quality) []pipeline.StepWarning {
	var out []pipeline.StepWarning
	if g := q.Grounding; g != nil && g.Unsupported > 0 {
		out = append(out, pipeline.StepWarning{Code: pipeline.WarnUnsupportedClaims,
			Message: fmt.Sprintf("%d of %d checked claims are not supported by the passages they cite; their items are flagged \"unsupported\"", g.Unsupported, g.Checked)})
	}
	if quality.Below(q) {
		out = append(out, pipeline.StepWarning{Code: pipeline.WarnQualityBelowThreshold,
			Message: fmt.Sprintf("quality score %.2f is under the threshold %.2f; see the findings", q.Score, q.Threshold)})
	}
	return out
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

// journal keeps a run's model answers and check verdicts as parts of the
// step's version, so that a retried run reads them back instead of
// paying for them again. What is read back costs nothing: its call was
// counted by the attempt that made it (or lost with it).
type journal struct {
	parts   ai.PartStore
	version int
	// attempt is the run's, recorded with what it keeps.
	attempt int
	// canary is the job's: an answer holding it is never kept.
	canary string
}

type keptAnswer struct {
	JSON          json.RawMessage `json:"json"`
	PromptVersion string          `json:"prompt_version"`
	Made          *ai.Made        `json:"made,omitempty"`
	// Attempt is the run that paid for it.
	Attempt int `json:"attempt,omitempty"`
}

type keptCheck struct {
	Verdicts      []content.Verdict `json:"verdicts"`
	Checker       string            `json:"checker"`
	PromptVersion string            `json:"prompt_version,omitempty"`
	// Attempt is the run that paid for it.
	Attempt int `json:"attempt,omitempty"`
}

func (j journal) key(kind string, round int) string {
	return "v" + strconv.Itoa(max(j.version, 1)) + "/" + kind + "-" + strconv.Itoa(round) + ".json"
}

// answer returns the kept answer of a round, or makes and keeps it.
func (j journal) answer(ctx context.Context, round int, call func() (ai.TextResult, error)) (ai.TextResult, []ai.Call, error) {
	var kept keptAnswer
	if ok, err := j.get(ctx, j.key("answer", round), &kept); err != nil || ok {
		return ai.TextResult{JSON: kept.JSON, PromptVersion: kept.PromptVersion, Made: kept.Made}, nil, err
	}
	res, err := call()
	if err != nil {
		return res, res.Calls, err
	}
	if !json.Valid(res.JSON) || guard.Leaked(res.JSON, j.canary) {
		// Not kept: json.RawMessage holds JSON only, and an answer that
		// is not JSON is repaired in this run or not at all; one that
		// leaked the canary is rejected and must be stored nowhere.
		return res, res.Calls, nil
	}
	return res, res.Calls, j.put(ctx, j.key("answer", round), keptAnswer{JSON: res.JSON, PromptVersion: res.PromptVersion, Made: res.Made, Attempt: j.attempt})
}

// check returns the kept verdicts of a round, or asks for and keeps them.
func (j journal) check(ctx context.Context, round int, call func() (ai.CheckResult, error)) (ai.CheckResult, []ai.Call, error) {
	var kept keptCheck
	if ok, err := j.get(ctx, j.key("check", round), &kept); err != nil || ok {
		return ai.CheckResult{Verdicts: kept.Verdicts, Checker: kept.Checker, PromptVersion: kept.PromptVersion}, nil, err
	}
	res, err := call()
	if err != nil || res.Calls == nil {
		// A check that made no call (the offline one) is not worth keeping.
		return res, res.Calls, err
	}
	return res, res.Calls, j.put(ctx, j.key("check", round), keptCheck{Verdicts: res.Verdicts, Checker: res.Checker, PromptVersion: res.PromptVersion, Attempt: j.attempt})
}

func (j journal) get(ctx context.Context, key string, v any) (bool, error) {
	if j.parts == nil {
		return false, nil
	}
	data, ok, err := j.parts.Get(ctx, key)
	if err != nil {
		return false, ai.Transient("storage_unavailable", fmt.Errorf("read kept part %s: %w", key, err))
	}
	if !ok || json.Unmarshal(data, v) != nil {
		return false, nil
	}
	return true, nil
}

func (j journal) put(ctx context.Context, key string, v any) error {
	if j.parts == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return ai.Permanent("internal", fmt.Errorf("keep part %s: %w", key, err))
	}
	if err := j.parts.Put(ctx, key, data, "application/json"); err != nil {
		return ai.Transient("storage_unavailable", fmt.Errorf("keep part %s: %w", key, err))
	}
	return nil
}
