package faultinject

import (
	"math/rand/v2"
	"sync"
)

// Picker decides which of a fake's fault rules fires on a request. The
// rules are tried in order; the first that matches the request, has uses
// left (Odds.Times) and wins its draw (Odds.Probability) fires and counts
// a use. A draw is made only for a rule with a probability that matches
// and has uses left, so the same seed, rules and requests fire the same
// faults. A Picker is safe for concurrent use.
type Picker[F any] struct {
	odds func(F) Odds

	mu    sync.Mutex
	rng   *rand.Rand
	rules []F
	uses  []int
}

// NewPicker returns a picker over rules, whose odds tells how often each
// fires. Draws come from a PCG source seeded with seed and stream; each
// fake passes a stream of its own.
func NewPicker[F any](seed int64, stream uint64, odds func(F) Odds, rules []F) *Picker[F] {
	return &Picker[F]{
		odds:  odds,
		rng:   rand.New(rand.NewPCG(uint64(seed), stream)),
		rules: append([]F(nil), rules...),
		uses:  make([]int, len(rules)),
	}
}

// Add appends a rule, tried after the others.
func (p *Picker[F]) Add(rule F) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, rule)
	p.uses = append(p.uses, 0)
}

// Clear removes every rule.
func (p *Picker[F]) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.uses = nil, nil
}

// Pick returns the rule that fires on a request, if one does; match says
// which rules apply to the request (nil: all of them).
func (p *Picker[F]) Pick(match func(F) bool) (F, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, rule := range p.rules {
		if match != nil && !match(rule) {
			continue
		}
		o := p.odds(rule)
		if o.Times > 0 && p.uses[i] >= o.Times {
			continue
		}
		if o.Probability > 0 && p.rng.Float64() >= o.Probability {
			continue
		}
		p.uses[i]++
		return rule, true
	}
	var none F
	return none, false
}
