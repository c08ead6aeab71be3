package vertextest

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"contentfactory.dev/factory/internal/faultinject"
)

// FaultKind is a failure the fake can inject.
type FaultKind string

// The faults the fake injects.
const (
	// RateLimit answers 429 RESOURCE_EXHAUSTED with a Retry-After header.
	RateLimit FaultKind = "rate_limit"
	// ServerError answers 500 INTERNAL.
	ServerError FaultKind = "server_error"
	// Unavailable answers 503 UNAVAILABLE.
	Unavailable FaultKind = "unavailable"
	// Slow waits Delay before answering normally.
	Slow FaultKind = "slow"
	// PromptBlocked answers with promptFeedback.blockReason (SAFETY unless
	// Reason says otherwise) and no candidates.
	PromptBlocked FaultKind = "prompt_blocked"
	// SafetyFinish answers a candidate with finishReason SAFETY (or
	// Reason) and no text.
	SafetyFinish FaultKind = "safety"
	// Malformed answers text that is not JSON.
	Malformed FaultKind = "malformed"
	// Truncated answers the first half of a valid document with
	// finishReason MAX_TOKENS.
	Truncated FaultKind = "truncated"
	// NotFound answers 404 NOT_FOUND for the model, as Vertex does for a
	// retired one.
	NotFound FaultKind = "not_found"
	// BadRequest answers 400 INVALID_ARGUMENT.
	BadRequest FaultKind = "bad_request"
	// PermissionDenied answers 403 PERMISSION_DENIED.
	PermissionDenied FaultKind = "permission_denied"
	// NoImage answers an image model's candidate with finishReason
	// NO_IMAGE (or Reason, such as IMAGE_SAFETY) and no image.
	NoImage FaultKind = "no_image"
)

var faultKinds = []FaultKind{RateLimit, ServerError, Unavailable, Slow, PromptBlocked, SafetyFinish,
	Malformed, Truncated, NotFound, BadRequest, PermissionDenied, NoImage}

// Fault is a rule for injecting a failure into generateContent (and
// streamGenerateContent) answers. A request matches when its model
// matches; then Times and Probability decide whether the fault applies.
// The first fault that applies wins.
type Fault struct {
	Kind FaultKind
	// Model limits the fault to one model ID; empty matches every model.
	Model string
	// Times applies the fault to the first Times matching requests only;
	// 0 applies it to every one.
	Times int
	// Probability applies the fault to each matching request with that
	// probability, drawn from the server's seeded source; 0 means always.
	Probability float64
	// RetryAfter is sent with RateLimit (default 1s; negative: no header).
	RetryAfter time.Duration
	// Delay is Slow's wait.
	Delay time.Duration
	// Reason replaces the block or finish reason of PromptBlocked,
	// SafetyFinish and NoImage.
	Reason string
}

// Environment variables OptionsFromEnv reads.
const (
	EnvSeed        = "FACTORY_FAKE_VERTEX_SEED"
	EnvFaults      = "FACTORY_FAKE_VERTEX_FAULTS"
	EnvRetired     = "FACTORY_FAKE_VERTEX_RETIRED"
	EnvCompromised = "FACTORY_FAKE_VERTEX_COMPROMISED"
	EnvLatency     = "FACTORY_FAKE_VERTEX_LATENCY"
)

// OptionsFromEnv reads the fake's options from the environment, for the
// local stack:
//
//	FACTORY_FAKE_VERTEX_SEED         integer seed (default 1)
//	FACTORY_FAKE_VERTEX_FAULTS       faults, see ParseFaults
//	FACTORY_FAKE_VERTEX_RETIRED      comma-separated model IDs answered 404
//	FACTORY_FAKE_VERTEX_COMPROMISED  text every text answer is replaced by
//	FACTORY_FAKE_VERTEX_LATENCY      delay before every generate answer
func OptionsFromEnv() (Options, error) {
	return OptionsFrom(os.Getenv)
}

// OptionsFrom is OptionsFromEnv with another source of variables.
func OptionsFrom(getenv func(string) string) (Options, error) {
	o := Options{Seed: 1}
	if v := getenv(EnvSeed); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Options{}, fmt.Errorf("%s must be an integer: %w", EnvSeed, err)
		}
		o.Seed = n
	}
	faults, err := ParseFaults(getenv(EnvFaults))
	if err != nil {
		return Options{}, fmt.Errorf("%s: %w", EnvFaults, err)
	}
	o.Faults = faults
	for _, m := range strings.Split(getenv(EnvRetired), ",") {
		if m = strings.TrimSpace(m); m != "" {
			o.Retired = append(o.Retired, m)
		}
	}
	o.Compromised = getenv(EnvCompromised)
	if v := getenv(EnvLatency); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Options{}, fmt.Errorf("%s: %w", EnvLatency, err)
		}
		o.Latency = d
	}
	return o, nil
}

// Keys of a fault rule besides times and p.
const (
	keyModel      = "model"
	keyRetryAfter = "retry_after"
	keyDelay      = "delay"
	keyReason     = "reason"
)

// ParseFaults reads faults written as "kind,key=value,…" separated by
// semicolons (the grammar of package faultinject), for example
//
//	rate_limit,times=2,retry_after=3s;slow,delay=2s,p=0.1;not_found,model=gemini-2.5-flash
//
// Keys: model, times, p (probability), retry_after, delay, reason.
func ParseFaults(spec string) ([]Fault, error) {
	rules, err := faultinject.Parse(spec, func(kind string) bool { return slices.Contains(faultKinds, FaultKind(kind)) },
		keyModel, keyRetryAfter, keyDelay, keyReason)
	if err != nil {
		return nil, err
	}
	var out []Fault
	for _, r := range rules {
		f := Fault{Kind: FaultKind(r.Kind), Times: r.Times, Probability: r.Probability}
		for _, p := range r.Params {
			var err error
			switch p.Key {
			case keyModel:
				f.Model = p.Value
			case keyRetryAfter:
				f.RetryAfter, err = time.ParseDuration(p.Value)
			case keyDelay:
				f.Delay, err = time.ParseDuration(p.Value)
			case keyReason:
				f.Reason = p.Value
			}
			if err != nil {
				return nil, r.Invalid(p.Key, err)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// FormatFaults writes faults as the spec ParseFaults reads them back
// from, leaving out settings that are zero.
func FormatFaults(faults []Fault) (string, error) {
	rules := make([]faultinject.Rule, len(faults))
	for i, f := range faults {
		r := faultinject.Rule{Kind: string(f.Kind), Odds: f.Odds()}
		add := func(key, value string, set bool) {
			if set {
				r.Params = append(r.Params, faultinject.Param{Key: key, Value: value})
			}
		}
		add(keyModel, f.Model, f.Model != "")
		add(keyRetryAfter, f.RetryAfter.String(), f.RetryAfter != 0)
		add(keyDelay, f.Delay.String(), f.Delay != 0)
		add(keyReason, f.Reason, f.Reason != "")
		rules[i] = r
	}
	return faultinject.Format(rules)
}

// Odds say how often the fault fires.
func (f Fault) Odds() faultinject.Odds {
	return faultinject.Odds{Times: f.Times, Probability: f.Probability}
}
