package vertex

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/content"
)

// GenerateText implements ai.TextGenerator with the format's configured
// model.
func (c *Client) GenerateText(ctx context.Context, req ai.TextRequest) (ai.TextResult, error) {
	return c.GenerateStep(ctx, req, c.cfg.Text.For(req.Format), c.cfg.Text.ModelSetting(req.Format))
}

// GenerateStep writes a text document with the model and settings of
// step; setting names the configuration entry that chose the model, for
// the message of a retired model.
func (c *Client) GenerateStep(ctx context.Context, req ai.TextRequest, step models.Step, setting string) (ai.TextResult, error) {
	schema, err := llm.Prepare(&req)
	if err != nil {
		return ai.TextResult{}, err
	}

	var res ai.TextResult
	cacheName, cacheVersion := "", ""
	if c.wantsCache(req.JobID, req.Sources) {
		name, version, calls, err := c.jobCache(ctx, req.JobID, step.Model, setting, req.Sources, req.Canary)
		res.Calls = append(res.Calls, calls...)
		switch {
		case err == nil:
			cacheName, cacheVersion = name, version
		case ctx.Err() != nil:
			return res, classify(ctx.Err(), 0, step.Model, setting)
		default:
			if e, ok := ai.AsError(err); ok && e.Code == CodeModelRetired {
				return res, err
			}
			// The source can still go inline; caching only saves money.
			c.log.WarnContext(ctx, "context cache unavailable; sending the source inline",
				"job", req.JobID, "format", req.Format, "error", err.Error())
		}
	}

	resp, calls, version, err := c.generateText(ctx, req, step, setting, schema, cacheName, cacheVersion)
	res.Calls = append(res.Calls, calls...)
	if err != nil && cacheName != "" && isNotFound(err) {
		// The cache expired or was deleted under us: forget it and send
		// the source inline once.
		c.log.WarnContext(ctx, "context cache not found; sending the source inline", "job", req.JobID, "cache", cacheName)
		_ = c.index.Delete(ctx, req.JobID)
		resp, calls, version, err = c.generateText(ctx, req, step, setting, schema, "", "")
		res.Calls = append(res.Calls, calls...)
	}
	if err != nil {
		return res, err
	}
	res.PromptVersion = version
	res.Made = &ai.Made{Backend: models.TextGemini, Model: step.Model}
	if err := filtered(resp); err != nil {
		return res, err
	}
	if len(resp.Candidates) == 0 {
		return res, ai.Transient(CodeUnavailable, errors.New("the model answered no candidate"))
	}
	cand := resp.Candidates[0]
	text := candidateText(cand)
	if cand.FinishReason == genai.FinishReasonMaxTokens {
		if err := llm.CutOffAgain(c.cfg, step, req); err != nil {
			return res, err
		}
		// Returned as it is: it fails validation, and the repair asks for
		// a more concise document with a larger output limit.
		c.log.InfoContext(ctx, "answer cut off at the output limit; leaving it to the repair loop",
			"job", req.JobID, "format", req.Format, "max_output_tokens", step.MaxOutputTokens)
	}
	res.JSON = []byte(llm.StripFences(text))
	return res, nil
}

// generateText renders the prompt (with the source inline, or in the
// named cache) and calls the model with retries.
func (c *Client) generateText(ctx context.Context, req ai.TextRequest, step models.Step, setting string, schema *content.Schema,
	cacheName, cacheVersion string) (*genai.GenerateContentResponse, []ai.Call, string, error) {
	p, err := llm.Render(req, cacheName != "", c.prompts.For(req.Format))
	if err != nil {
		return nil, nil, "", err
	}
	version := p.Version
	if cacheName != "" {
		version += "/" + cacheVersion
	}
	cfg := &genai.GenerateContentConfig{
		ResponseMIMEType:      "application/json",
		ResponseJsonSchema:    schema,
		CandidateCount:        1,
		MaxOutputTokens:       llm.OutputLimit(c.cfg, step, req.Repair),
		Temperature:           step.Temperature,
		ThinkingConfig:        thinking(step.ThinkingLevel, step.ThinkingBudget),
		AutomaticContinuation: genai.Ptr(false),
		Labels:                withRound(labels(req.JobID, string(req.Format), req.Version, req.Attempt), req.Round),
	}
	if cacheName != "" {
		cfg.CachedContent = cacheName
	} else {
		cfg.SystemInstruction = genai.NewContentFromText(p.System, genai.RoleUser)
	}
	resp, calls, err := c.call(ctx, "model call failed", req.JobID, req.Format, step.Model, setting, p.User, cfg)
	return resp, calls, version, err
}

// call sends one user turn to a text model with retries, pricing every
// answer it gets; what failed is logged with what.
func (c *Client) call(ctx context.Context, what, jobID string, format content.Format, model, setting, user string,
	cfg *genai.GenerateContentConfig) (*genai.GenerateContentResponse, []ai.Call, error) {
	contents := []*genai.Content{genai.NewContentFromText(user, genai.RoleUser)}
	var calls []ai.Call
	resp, err := retry.Value(ctx, c.retry, func(ctx context.Context) (*genai.GenerateContentResponse, error) {
		start := time.Now()
		resp, err := attempt(ctx, c.cfg.Vertex.Timeout.D(), setting, model, func(ctx context.Context) (*genai.GenerateContentResponse, error) {
			return c.genai.Models.GenerateContent(ctx, model, contents, cfg)
		})
		if err != nil {
			c.log.InfoContext(ctx, what, "job", jobID, "format", format, "model", model, "error", err.Error())
			return nil, err
		}
		calls = append(calls, c.cfg.Priced(c.usage(model, resp, time.Since(start))))
		return resp, nil
	})
	return resp, calls, err
}

func thinking(level string, budget *int32) *genai.ThinkingConfig {
	switch {
	case budget != nil:
		return &genai.ThinkingConfig{ThinkingBudget: budget}
	case level != "":
		return &genai.ThinkingConfig{ThinkingLevel: genai.ThinkingLevel(level)}
	}
	return nil
}

// labels tag the call for billing reports (Vertex labels: lowercase,
// at most 63 characters): the job, the step, the step's version and its
// attempt, so a report shows what retries and regenerations cost.
func labels(jobID, step string, version, attempt int) map[string]string {
	clean := func(s string) string {
		s = strings.ToLower(s)
		s = strings.Map(func(r rune) rune {
			if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' {
				return r
			}
			return '-'
		}, s)
		if len(s) > 63 {
			s = s[:63]
		}
		return s
	}
	l := map[string]string{"app": "content-factory", "step": clean(step)}
	if jobID != "" {
		l["job"] = clean(jobID)
	}
	if version > 0 {
		l["version"] = strconv.Itoa(version)
	}
	if attempt > 0 {
		l["attempt"] = strconv.Itoa(attempt)
	}
	return l
}

// withRound labels a text or check call with the round of the document
// within its step's run (0: the first answer, then one per repair): with
// the job, step, version and attempt it names the one call a round pays
// for, which a retried run reads back from the step's parts instead.
func withRound(l map[string]string, round int) map[string]string {
	l["round"] = strconv.Itoa(round)
	return l
}

// candidateText joins the non-thought text parts of a candidate.
func candidateText(c *genai.Candidate) string {
	if c == nil || c.Content == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Content.Parts {
		if p != nil && !p.Thought && p.Text != "" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// usage records the tokens of one model call; the caller prices it
// (models.Config.Priced) once it knows everything billed, such as an
// image.
func (c *Client) usage(model string, resp *genai.GenerateContentResponse, d time.Duration) ai.Call {
	call := ai.Call{Backend: models.BackendVertex, Model: model, Duration: d}
	if u := resp.UsageMetadata; u != nil {
		call.PromptTokens = int64(u.PromptTokenCount)
		call.OutputTokens = int64(u.CandidatesTokenCount)
		call.ThinkingTokens = int64(u.ThoughtsTokenCount)
		call.CachedTokens = int64(u.CachedContentTokenCount)
	}
	return call
}

// String describes the client for logs.
func (c *Client) String() string {
	return fmt.Sprintf("vertex(%s, %s)", c.cfg.Vertex.Project, c.cfg.Vertex.Location)
}
