package vertex

import (
	"errors"
	"strings"
	"time"

	"google.golang.org/genai"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/llm"
)

// Error codes of the Vertex backend (ai.Error.Code).
const (
	CodeRateLimited      = llm.CodeRateLimited
	CodeUnavailable      = llm.CodeUnavailable
	CodeTimeout          = llm.CodeTimeout
	CodeInvalidRequest   = llm.CodeInvalidRequest
	CodePermissionDenied = llm.CodePermissionDenied
	CodeModelRetired     = llm.CodeModelRetired
	CodeContentFiltered  = llm.CodeContentFiltered
	CodeOutputTruncated  = llm.CodeOutputTruncated
	CodeUnsupported      = llm.CodeUnsupported
	CodeNoImage          = "no_image"
)

// classify maps an error of the genai client to an *ai.Error. retryAfter
// is the Retry-After header of the answer, if any; model and setting name
// the model and the setting that chose it, for a 404.
func classify(err error, retryAfter time.Duration, model, setting string) error {
	var api genai.APIError
	if errors.As(err, &api) {
		return llm.ClassifyStatus(api.Code, max(retryAfter, retryDelay(api.Details)), err, model, setting)
	}
	if mapped, ok := llm.ClassifyTransport(err); ok {
		return mapped
	}
	if strings.Contains(err.Error(), "error sending request") {
		// genai wraps transport failures it does not type.
		return &ai.Error{Code: CodeUnavailable, Retryable: true, Err: err}
	}
	return ai.Permanent(CodeInvalidRequest, err)
}

// retryDelay reads google.rpc.RetryInfo from an error's details.
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		switch v := d["retryDelay"].(type) {
		case string:
			if dur, err := time.ParseDuration(v); err == nil && dur > 0 {
				return dur
			}
		case map[string]any:
			secs, _ := v["seconds"].(float64)
			nanos, _ := v["nanos"].(float64)
			return time.Duration(secs*float64(time.Second) + nanos)
		}
	}
	return 0
}

// blockedFinish are finish reasons that mean a safety or policy filter
// stopped the answer.
var blockedFinish = map[genai.FinishReason]bool{
	genai.FinishReasonSafety:                 true,
	genai.FinishReasonProhibitedContent:      true,
	genai.FinishReasonRecitation:             true,
	genai.FinishReasonSPII:                   true,
	genai.FinishReasonBlocklist:              true,
	genai.FinishReasonImageSafety:            true,
	genai.FinishReasonImageProhibitedContent: true,
	genai.FinishReasonImageRecitation:        true,
	genai.FinishReasonNoImage:                true,
}

// filtered returns a content_filtered error when the answer was blocked:
// the prompt (promptFeedback.blockReason) or the candidate (its finish
// reason).
func filtered(resp *genai.GenerateContentResponse) error {
	if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" && pf.BlockReason != genai.BlockedReasonUnspecified {
		msg := ""
		if pf.BlockReasonMessage != "" {
			msg = ": " + pf.BlockReasonMessage
		}
		return ai.Permanentf(CodeContentFiltered, "the prompt was blocked (%s)%s", pf.BlockReason, msg)
	}
	if len(resp.Candidates) > 0 {
		c := resp.Candidates[0]
		if blockedFinish[c.FinishReason] {
			msg := ""
			if c.FinishMessage != "" {
				msg = ": " + c.FinishMessage
			}
			return ai.Permanentf(CodeContentFiltered, "the answer was blocked (%s)%s", c.FinishReason, msg)
		}
	}
	return nil
}
