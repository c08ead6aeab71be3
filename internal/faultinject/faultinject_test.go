package faultinject_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/faultinject"
)

var kinds = []string{"rate_limit", "slow", "unavailable"}

func known(kind string) bool { return slices.Contains(kinds, kind) }

func parse(spec string) ([]faultinject.Rule, error) {
	return faultinject.Parse(spec, known, "delay", "model")
}

func TestParseFormatRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  string
		rules []faultinject.Rule
	}{
		{"empty", "", nil},
		{"kind only", "slow", []faultinject.Rule{{Kind: "slow"}}},
		{"common keys", "rate_limit,times=2,p=0.25",
			[]faultinject.Rule{{Kind: "rate_limit", Odds: faultinject.Odds{Times: 2, Probability: 0.25}}}},
		{"own keys keep their order", "slow,delay=2s,model=m=1",
			[]faultinject.Rule{{Kind: "slow", Params: []faultinject.Param{{Key: "delay", Value: "2s"}, {Key: "model", Value: "m=1"}}}}},
		{"several rules", "rate_limit,times=1;slow,p=1e-05,delay=12s;unavailable",
			[]faultinject.Rule{
				{Kind: "rate_limit", Odds: faultinject.Odds{Times: 1}},
				{Kind: "slow", Odds: faultinject.Odds{Probability: 1e-05}, Params: []faultinject.Param{{Key: "delay", Value: "12s"}}},
				{Kind: "unavailable"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.spec)
			require.NoError(t, err)
			assert.Equal(t, tt.rules, got)
			spec, err := faultinject.Format(got)
			require.NoError(t, err)
			assert.Equal(t, tt.spec, spec, "the canonical spec is written back as it was")
		})
	}
}

func TestParseIgnoresSpaceAndEmptyRules(t *testing.T) {
	t.Parallel()
	got, err := parse(" rate_limit , times=3 ;; slow,delay=1s ; ")
	require.NoError(t, err)
	spec, err := faultinject.Format(got)
	require.NoError(t, err)
	assert.Equal(t, "rate_limit,times=3;slow,delay=1s", spec)
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unknown kind":     "meltdown",
		"unknown key":      "slow,color=red",
		"not key=value":    "slow,delay",
		"times not a word": "slow,times=twice",
		"p not a number":   "slow,p=often",
		"key of another":   "rate_limit,voice=v",
	}
	for name, spec := range tests {
		_, err := parse(spec)
		assert.Error(t, err, name)
	}
	_, err := parse("slow,delay")
	assert.EqualError(t, err, `fault slow: "delay" is not key=value`)
	_, err = parse("slow,color=red")
	assert.EqualError(t, err, "fault slow: color: unknown key")
}

func TestFormatRejectsWhatTheGrammarCannotCarry(t *testing.T) {
	t.Parallel()
	tests := map[string]faultinject.Rule{
		"no kind":             {},
		"comma in a kind":     {Kind: "a,b"},
		"comma in a value":    {Kind: "slow", Params: []faultinject.Param{{Key: "model", Value: "a,b"}}},
		"semicolon in value":  {Kind: "slow", Params: []faultinject.Param{{Key: "model", Value: "a;b"}}},
		"space at the end":    {Kind: "slow", Params: []faultinject.Param{{Key: "model", Value: "a "}}},
		"equals in a key":     {Kind: "slow", Params: []faultinject.Param{{Key: "a=b", Value: "c"}}},
		"a common key's name": {Kind: "slow", Params: []faultinject.Param{{Key: "times", Value: "2"}}},
	}
	for name, r := range tests {
		_, err := faultinject.Format([]faultinject.Rule{r})
		assert.Error(t, err, name)
	}
}

// fault is a rule as a fake holds it.
type fault struct {
	name  string
	model string
	odds  faultinject.Odds
}

func oddsOf(f fault) faultinject.Odds { return f.odds }

// fired picks n times for a model and returns the names that fired ("" for none).
func fired(p *faultinject.Picker[fault], model string, n int) []string {
	out := make([]string, n)
	for i := range out {
		f, ok := p.Pick(func(f fault) bool { return f.model == "" || f.model == model })
		if ok {
			out[i] = f.name
		}
	}
	return out
}

func TestPickerTimesAndOrder(t *testing.T) {
	t.Parallel()
	p := faultinject.NewPicker(1, 7, oddsOf, []fault{
		{name: "first", odds: faultinject.Odds{Times: 2}},
		{name: "other model", model: "b", odds: faultinject.Odds{Times: 1}},
		{name: "then", odds: faultinject.Odds{Times: 1}},
	})
	assert.Equal(t, []string{"first", "first", "then", "", ""}, fired(p, "a", 5),
		"the first rule with uses left fires; a rule for another model never does")
	assert.Equal(t, []string{"other model", ""}, fired(p, "b", 2))

	p.Add(fault{name: "always"})
	assert.Equal(t, []string{"always", "always"}, fired(p, "a", 2), "a rule without times fires every time")
	p.Clear()
	assert.Equal(t, []string{""}, fired(p, "a", 1))
}

func TestPickerProbabilityIsSeeded(t *testing.T) {
	t.Parallel()
	rules := []fault{{name: "half", odds: faultinject.Odds{Probability: 0.5}}}
	run := func(seed int64, stream uint64) []string {
		return fired(faultinject.NewPicker(seed, stream, oddsOf, rules), "a", 200)
	}
	a := run(8, 7)
	assert.Equal(t, a, run(8, 7), "the same seed fires the same faults")
	assert.NotEqual(t, a, run(9, 7), "another seed fires others")
	assert.NotEqual(t, a, run(8, 8), "another stream fires others")
	n := 0
	for _, name := range a {
		if name == "half" {
			n++
		}
	}
	assert.InDelta(t, 100, n, 25, "p=0.5 fires about half the time")
}

func TestPickerDrawsOnlyForRulesThatCouldFire(t *testing.T) {
	t.Parallel()
	// A rule for another model, or one used up, takes no draw: the
	// faults of model a are the same with or without them.
	coin := fault{name: "coin", odds: faultinject.Odds{Probability: 0.5}}
	plain := faultinject.NewPicker(3, 7, oddsOf, []fault{coin})
	crowded := faultinject.NewPicker(3, 7, oddsOf, []fault{
		{name: "b only", model: "b", odds: faultinject.Odds{Probability: 0.5}},
		{name: "used up", odds: faultinject.Odds{Times: 1}},
		coin,
	})
	f, ok := crowded.Pick(func(f fault) bool { return f.name == "used up" })
	require.True(t, ok)
	require.Equal(t, "used up", f.name, "uses up the rule with times=1")
	assert.Equal(t, fired(plain, "a", 50), fired(crowded, "a", 50))
}

func TestPickerCountsUsesUnderConcurrency(t *testing.T) {
	t.Parallel()
	p := faultinject.NewPicker(1, 7, oddsOf, []fault{{name: "ten", odds: faultinject.Odds{Times: 10}}})
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, ok := p.Pick(nil); ok {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 10, n, "times=10 fires exactly ten times among racing requests")
}
