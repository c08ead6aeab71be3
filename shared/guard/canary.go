package guard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/logging"
)

// LocalCanarySecret is the canary secret when FACTORY_CANARY_SECRET is
// unset. It is public (it is in this file), so canaries made with it are
// guessable by anyone who knows a job id: it exists so that the steps of
// one job, which run in different processes, plant and look for the same
// canary on a development machine. Production sets its own secret.
const LocalCanarySecret = "content-factory local canary secret; not for production"

// CanaryPrefix starts every canary, so a leaked one is recognizable in a
// log or a report; the check does not need it.
const CanaryPrefix = "canary-"

// canaryWindow is the shortest part of a canary that counts as a leak:
// 16 characters of its normalized form, at least 8 of them from the
// 32 random hex digits, so a match by chance is out of the question.
const canaryWindow = 16

// Canary derives the canary string of each job: HMAC-SHA256 of the job id
// under a deployment secret. The canary is planted in every system
// instruction of the job; an answer that contains it has repeated the
// instructions (OWASP LLM07) and is discarded. Outsiders cannot compute a
// job's canary, so no input can carry it on purpose. The zero value uses
// LocalCanarySecret.
type Canary struct {
	secret []byte
}

// NewCanary returns the derivation under a secret; an empty secret means
// LocalCanarySecret.
func NewCanary(secret string) Canary {
	if secret == "" {
		return Canary{}
	}
	return Canary{secret: []byte(secret)}
}

// Local reports whether the derivation uses the public local secret.
func (c Canary) Local() bool { return len(c.secret) == 0 }

// For returns the canary of a job: "canary-" and 32 hex digits.
func (c Canary) For(jobID string) string {
	key := c.secret
	if len(key) == 0 {
		key = []byte(LocalCanarySecret)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("content-factory canary v1\x00" + jobID))
	return CanaryPrefix + hex.EncodeToString(m.Sum(nil)[:16])
}

// Leaked reports whether a model's answer contains the canary, or any 16
// consecutive characters of it, in any disguise this check undoes: other
// letter case, spaces, punctuation or zero-width characters between its
// characters, full-width or other compatibility forms, look-alike
// letters, JSON string escapes, or a base64 or hex encoding. An empty
// canary never leaks.
func Leaked(answer []byte, canary string) bool {
	c := foldCanary(canary)
	if len(c) < canaryWindow {
		return false
	}
	texts := []string{string(answer)}
	var v any
	if json.Unmarshal(answer, &v) == nil {
		var b strings.Builder
		strs(v, &b)
		texts = append(texts, b.String())
	}
	for _, t := range texts {
		if containsWindow(foldCanary(t), c) {
			return true
		}
		for _, d := range decodeBlobs(t) {
			if containsWindow(foldCanary(d.text), c) {
				return true
			}
		}
	}
	return false
}

// LeakedText is Leaked for plain text, such as an image's alt text.
func LeakedText(answer, canary string) bool { return Leaked([]byte(answer), canary) }

func containsWindow(text, canary string) bool {
	if strings.Contains(text, canary) {
		return true
	}
	for i := 0; i+canaryWindow <= len(canary); i++ {
		if strings.Contains(text, canary[i:i+canaryWindow]) {
			return true
		}
	}
	return false
}

// strs writes every key and string of a decoded JSON value, in order and
// without separators, so a canary split over neighbouring fields is found
// too.
func strs(v any, b *strings.Builder) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case []any:
		for _, e := range x {
			strs(e, b)
		}
	case map[string]any:
		for k, e := range x {
			b.WriteString(k)
			strs(e, b)
		}
	}
}

// foldCanary keeps only letters and digits, in lower case, after
// compatibility normalization, with look-alikes of the canary's
// characters folded onto them.
func foldCanary(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if f, ok := canaryLookalikes[r]; ok {
			r = f
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// canaryLookalikes folds characters that pass for the canary's letters
// (a–f, the prefix's letters) and digits.
var canaryLookalikes = map[rune]rune{
	'а': 'a', 'α': 'a', 'ɑ': 'a', 'А': 'a', 'Α': 'a',
	'Ь': 'b', 'ь': 'b', 'Ƅ': 'b', 'В': 'b', 'Β': 'b',
	'с': 'c', 'ϲ': 'c', 'С': 'c', 'Ϲ': 'c',
	'ԁ': 'd', 'ɗ': 'd',
	'е': 'e', 'ε': 'e', 'Е': 'e', 'Ε': 'e', 'ҽ': 'e',
	'ſ': 'f', 'ƒ': 'f',
	'п': 'n', 'η': 'n', 'Ν': 'n', 'ո': 'n',
	'г': 'r', 'ʀ': 'r',
	'у': 'y', 'γ': 'y', 'Υ': 'y', 'У': 'y',
	'о': '0', 'ο': '0', 'О': '0', 'Ο': '0', 'o': '0', 'O': '0',
	'l': '1', 'I': '1', 'і': '1', 'ӏ': '1', 'Ι': '1', '|': '1',
}

// CodeOutputRejected fails a step whose answer repeated the instructions
// (it contained the job's canary); the answer is discarded.
const CodeOutputRejected = "output_rejected"

// Reject is the failure of a step whose model output (what, such as
// "answer" or "alt text") carried the job's canary: permanent, coded
// CodeOutputRejected. Neither the output nor the canary goes into the
// error or the log.
func Reject(ctx context.Context, what string) error {
	// The runner's logger already carries job_id and step.
	logging.From(ctx).WarnContext(ctx, "model answer repeated the instructions; rejected", "output", what)
	return failure.Permanentf(CodeOutputRejected, "the model's %s repeated its instructions (it contained the job's canary) and was discarded", what)
}
