package vertex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genai"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/content"
)

// CheckerName is what a grounding check by the model records as its
// checker: the model's name follows it ("gemini-check:MODEL").
const CheckerName = "gemini-check"

// CodeInvalidCheck is the code of a check answer that does not judge
// every claim once.
const CodeInvalidCheck = ai.CodeInvalidCheck

var _ ai.ClaimChecker = (*Client)(nil)

// checkAnswer is the check's answer: a verdict per claim, in order.
type checkAnswer struct {
	Verdicts []struct {
		Claim   string `json:"claim"`
		Verdict string `json:"verdict"`
		Reason  string `json:"reason"`
	} `json:"verdicts"`
}

// CheckClaims implements ai.ClaimChecker: one call to the text model of
// the claims' format (its model, thinking and temperature), with a
// response schema of one verdict per claim; the call is priced and
// returned like a text step's.
func (c *Client) CheckClaims(ctx context.Context, req ai.CheckRequest) (ai.CheckResult, error) {
	if len(req.Claims) == 0 {
		return ai.CheckResult{Checker: CheckerName}, nil
	}
	p, err := prompts.RenderCheck(req.Claims, req.Sources, req.Language, req.Canary)
	if err != nil {
		return ai.CheckResult{}, ai.Permanent(CodeInvalidRequest, err)
	}
	step, ok := c.cfg.Text.CheckStep(req.Format)
	if !ok {
		return ai.CheckResult{}, ai.Permanentf(CodeInvalidRequest, "%s is written by no Gemini model, which the check needs", req.Format)
	}
	setting := c.cfg.Text.ModelSetting(req.Format)
	cfg := &genai.GenerateContentConfig{
		SystemInstruction:     genai.NewContentFromText(p.System, genai.RoleUser),
		ResponseMIMEType:      "application/json",
		ResponseJsonSchema:    checkSchema(req.Claims),
		CandidateCount:        1,
		MaxOutputTokens:       step.MaxOutputTokens,
		Temperature:           genai.Ptr[float32](0),
		ThinkingConfig:        thinking(step.ThinkingLevel, step.ThinkingBudget),
		AutomaticContinuation: genai.Ptr(false),
		Labels:                withRound(labels(req.JobID, string(req.Format)+"-check", req.Version, req.Attempt), req.Round),
	}
	res := ai.CheckResult{Checker: CheckerName + ":" + step.Model, PromptVersion: p.Version}
	resp, calls, err := c.call(ctx, "check call failed", req.JobID, req.Format, step.Model, setting, p.User, cfg)
	res.Calls = calls
	if err != nil {
		return res, err
	}
	if err := filtered(resp); err != nil {
		return res, err
	}
	if len(resp.Candidates) == 0 {
		return res, ai.Transient(CodeUnavailable, errors.New("the check answered no candidate"))
	}
	var ans checkAnswer
	if err := json.Unmarshal([]byte(llm.StripFences(candidateText(resp.Candidates[0]))), &ans); err != nil {
		return res, ai.Transient(CodeInvalidCheck, fmt.Errorf("the check's answer is not its JSON: %w", err))
	}
	if res.Verdicts, err = verdicts(req, ans); err != nil {
		return res, ai.Transient(CodeInvalidCheck, err)
	}
	return res, nil
}

// verdicts matches an answer's verdicts to the claims: by their ids when
// they name every claim once, else by their order when there is one per
// claim. A reason that carries the canary is dropped.
func verdicts(req ai.CheckRequest, ans checkAnswer) ([]content.Verdict, error) {
	if len(ans.Verdicts) != len(req.Claims) {
		return nil, fmt.Errorf("the check judged %d claims of %d", len(ans.Verdicts), len(req.Claims))
	}
	at := map[string]int{}
	for i, v := range ans.Verdicts {
		at[v.Claim] = i
	}
	byID := len(at) == len(req.Claims)
	for _, c := range req.Claims {
		if _, ok := at[c.ID]; !ok {
			byID = false
		}
	}
	out := make([]content.Verdict, len(req.Claims))
	for i, c := range req.Claims {
		v := ans.Verdicts[i]
		if byID {
			v = ans.Verdicts[at[c.ID]]
		}
		switch v.Verdict {
		case content.Supported, content.Partial, content.Unsupported:
		default:
			return nil, fmt.Errorf("claim %s: %q is not a verdict", c.ID, v.Verdict)
		}
		reason := strings.TrimSpace(v.Reason)
		if req.Canary != "" && strings.Contains(reason, req.Canary) {
			reason = ""
		}
		out[i] = content.Verdict{Claim: c.ID, Verdict: v.Verdict, Reason: reason}
	}
	return out, nil
}

// checkSchema is the response schema of the check: one verdict per
// claim, its claim id pinned to the claims asked about.
func checkSchema(claims []content.Claim) *content.Schema {
	ids := make([]string, len(claims))
	for i, c := range claims {
		ids[i] = c.ID
	}
	n, short := len(claims), 300
	no := false
	item := &content.Schema{
		Type: "object",
		Properties: map[string]*content.Schema{
			"claim":   {Type: "string", Enum: ids, Description: "The claim's id."},
			"verdict": {Type: "string", Enum: []string{content.Supported, content.Partial, content.Unsupported}},
			"reason":  {Type: "string", MaxLength: &short, Description: "One sentence: what the passages lack, or where they support it."},
		},
		PropertyOrdering:     []string{"claim", "verdict", "reason"},
		Required:             []string{"claim", "verdict", "reason"},
		AdditionalProperties: &no,
	}
	return &content.Schema{
		Type:                 "object",
		Properties:           map[string]*content.Schema{"verdicts": {Type: "array", Items: item, MinItems: &n, MaxItems: &n}},
		Required:             []string{"verdicts"},
		AdditionalProperties: &no,
	}
}
