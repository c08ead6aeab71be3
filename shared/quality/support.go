package quality

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/prose"
)

// Support thresholds: a claim whose support score reaches SupportedAt is
// supported by its passages, one that reaches PartialAt partly.
const (
	SupportedAt = 0.7
	PartialAt   = 0.4
)

// Support scores how well passages support a claim, in [0, 1], without a
// model: the share of the claim's content words (stemmed) the passages
// hold, weighted 0.6, and the share of its pairs of neighbouring content
// words they hold in the same order, weighted 0.4. A number the claim
// writes that no passage has caps it below SupportedAt: a date or an
// amount cannot be half right. It also says why, briefly.
func Support(claim string, passages []string) (float64, string) {
	words := prose.ContentStems(claim)
	if len(words) == 0 {
		return 0, "the claim has no content words"
	}
	have, pairs := map[string]bool{}, map[[2]string]bool{}
	var numbers []string
	for _, p := range passages {
		stems := prose.ContentStems(p)
		for i, w := range stems {
			have[w] = true
			if i > 0 {
				pairs[[2]string{stems[i-1], w}] = true
			}
		}
		numbers = append(numbers, prose.Numbers(p)...)
	}
	found := 0
	var missing []string
	for _, w := range distinct(words) {
		if have[w] {
			found++
		} else {
			missing = append(missing, w)
		}
	}
	recall := float64(found) / float64(len(distinct(words)))
	pairRecall := recall
	if len(words) > 1 {
		n := 0
		for i := 1; i < len(words); i++ {
			if pairs[[2]string{words[i-1], words[i]}] {
				n++
			}
		}
		pairRecall = float64(n) / float64(len(words)-1)
	}
	score := 0.6*recall + 0.4*pairRecall
	for _, n := range prose.Numbers(claim) {
		if !slices.Contains(numbers, n) {
			return min(score, PartialAt), fmt.Sprintf("the passages do not have the number %s", n)
		}
	}
	switch {
	case len(missing) == 0:
		return score, "every content word is in the passages"
	case len(missing) > 3:
		missing = append(missing[:3], "…")
	}
	return score, "not in the passages: " + strings.Join(missing, ", ")
}

// VerdictOf turns a support score into a verdict.
func VerdictOf(score float64) string {
	switch {
	case score >= SupportedAt:
		return content.Supported
	case score >= PartialAt:
		return content.Partial
	}
	return content.Unsupported
}

// LexicalChecker is the name the offline check records.
const LexicalChecker = "support-score-v1"

// Lexical is the grounding check without a model: each claim gets the
// verdict of its Support score against the passages its item cites. It
// makes no call and costs nothing; the offline backend uses it, and so
// does the check of an edited document.
type Lexical struct{}

var _ ai.ClaimChecker = Lexical{}

// CheckClaims implements ai.ClaimChecker.
func (Lexical) CheckClaims(ctx context.Context, req ai.CheckRequest) (ai.CheckResult, error) {
	if err := ctx.Err(); err != nil {
		return ai.CheckResult{}, fmt.Errorf("check claims: %w", err)
	}
	return ai.CheckResult{Verdicts: CheckLexically(req.Claims, req.Sources), Checker: LexicalChecker}, nil
}

// CheckLexically judges claims by their Support score.
func CheckLexically(claims []content.Claim, set *content.SourceSet) []content.Verdict {
	text := PassageTexts(set)
	out := make([]content.Verdict, 0, len(claims))
	for _, c := range claims {
		var ps []string
		for _, id := range c.Citations {
			if t, ok := text[id]; ok {
				ps = append(ps, t)
			}
		}
		score, why := Support(c.Text, ps)
		out = append(out, content.Verdict{Claim: c.ID, Verdict: VerdictOf(score), Reason: fmt.Sprintf("support %.2f: %s", score, why)})
	}
	return out
}

// PassageTexts maps a source set's passage ids to their text.
func PassageTexts(set *content.SourceSet) map[string]string {
	out := map[string]string{}
	if set != nil {
		for _, p := range set.Passages {
			out[p.ID] = p.Text
		}
	}
	return out
}

func distinct(words []string) []string {
	out := slices.Clone(words)
	slices.Sort(out)
	return slices.Compact(out)
}
