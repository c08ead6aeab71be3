// Package faultinject is what the fakes of the Google services
// (vertextest, ttstest) share to inject failures: the grammar of a fault
// spec and the picker that decides which rule fires on a request. Each
// fake keeps its own fault kinds and keys.
//
// A spec lists rules separated by semicolons; a rule is a kind, then
// key=value pairs separated by commas:
//
//	rate_limit,times=2,retry_after=3s;slow,delay=2s,p=0.1
//
// Every rule may say how often it fires, with the keys every fake reads:
// times (only on the first N matching requests) and p (on each matching
// request with that probability). Other keys belong to the fake. A Picker
// draws the probabilities from a seeded source, so a run can be repeated.
package faultinject

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The keys every rule may carry.
const (
	KeyTimes       = "times"
	KeyProbability = "p"
)

// Odds say how often a rule fires.
type Odds struct {
	// Times fires the rule on the first Times matching requests only; 0
	// fires it on every one.
	Times int
	// Probability fires the rule on each matching request with that
	// probability, drawn from the picker's seeded source; 0 means always.
	Probability float64
}

// Rule is one rule of a spec.
type Rule struct {
	Kind string
	Odds
	// Params are the fake's own keys, in the order written.
	Params []Param
}

// Param is one of a fake's own key=value pairs.
type Param struct {
	Key, Value string
}

// Invalid is the error of a rule whose value of key the fake cannot read.
func (r Rule) Invalid(key string, err error) error {
	return fmt.Errorf("fault %s: %s: %w", r.Kind, key, err)
}

// Parse reads a spec. known reports whether the fake injects a kind, and
// keys are the fake's own keys; an unknown kind or key is an error, as is
// a pair without "=" or a times or p that is not a number. White space
// around each rule, kind and pair is ignored, and empty rules are
// skipped: an empty spec has no rules.
func Parse(spec string, known func(kind string) bool, keys ...string) ([]Rule, error) {
	var out []Rule
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ",")
		r := Rule{Kind: strings.TrimSpace(fields[0])}
		if !known(r.Kind) {
			return nil, fmt.Errorf("unknown fault %q", r.Kind)
		}
		for _, kv := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return nil, fmt.Errorf("fault %s: %q is not key=value", r.Kind, kv)
			}
			var err error
			switch {
			case k == KeyTimes:
				r.Times, err = strconv.Atoi(v)
			case k == KeyProbability:
				r.Probability, err = strconv.ParseFloat(v, 64)
			case slices.Contains(keys, k):
				r.Params = append(r.Params, Param{Key: k, Value: v})
			default:
				err = errors.New("unknown key")
			}
			if err != nil {
				return nil, r.Invalid(k, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Format writes rules as the spec Parse reads them back from: the kind,
// times and p when they are not zero, then the fake's keys in order. A
// kind, key or value the grammar cannot carry is an error: a separator
// ("," or ";", or "=" in a kind or key), white space at either end, or a
// key of the fake named like a common one.
func Format(rules []Rule) (string, error) {
	parts := make([]string, 0, len(rules))
	for _, r := range rules {
		if r.Kind == "" || writable(r.Kind, ",;=") != nil {
			return "", fmt.Errorf("fault kind %q cannot be written in a spec", r.Kind)
		}
		fields := []string{r.Kind}
		if r.Times != 0 {
			fields = append(fields, KeyTimes+"="+strconv.Itoa(r.Times))
		}
		if r.Probability != 0 {
			fields = append(fields, KeyProbability+"="+strconv.FormatFloat(r.Probability, 'g', -1, 64))
		}
		for _, p := range r.Params {
			if p.Key == "" || p.Key == KeyTimes || p.Key == KeyProbability || writable(p.Key, ",;=") != nil {
				return "", fmt.Errorf("fault %s: key %q cannot be written in a spec", r.Kind, p.Key)
			}
			if err := writable(p.Value, ",;"); err != nil {
				return "", fmt.Errorf("fault %s: %s: %w", r.Kind, p.Key, err)
			}
			fields = append(fields, p.Key+"="+p.Value)
		}
		parts = append(parts, strings.Join(fields, ","))
	}
	return strings.Join(parts, ";"), nil
}

// writable checks that s survives Parse: none of the separators in it and
// no white space at either end.
func writable(s, separators string) error {
	if strings.ContainsAny(s, separators) {
		return fmt.Errorf("%q holds one of %q", s, separators)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%q has white space at an end", s)
	}
	return nil
}
