package ratelimit

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Header fields of draft-ietf-httpapi-ratelimit-headers (revision 11 and
// later): RateLimit-Policy lists the quota policies, RateLimit the quota
// each has left, both as Structured Field lists of items named by a
// String, with parameters.
const (
	HeaderPolicy = "RateLimit-Policy"
	HeaderLimit  = "RateLimit"
)

// Policy names, as the fields carry them.
const (
	// PolicyJobs is the token bucket on job creation: q jobs per w seconds
	// (q is the burst; the bucket refills q tokens in w).
	PolicyJobs = "jobs"
	// PolicyRunning is the cap on jobs that have not ended.
	PolicyRunning = "running"
	// PolicyBudget is the daily budget in estimated cost, in US cents
	// (factory-unit="usd-cents": cost is not among the draft's quota
	// units, so the unit is a vendor parameter).
	PolicyBudget = "budget"
)

// Fields returns the RateLimit-Policy and RateLimit field values of an
// owner's standing s at now, as the ledger that admits jobs holds it; both
// are empty for a policy that limits nothing.
func (p Policy) Fields(s State, now time.Time) (policy, limit string) {
	if !p.Enabled() {
		return "", ""
	}
	p.refill(&s, now)
	var pol, lim []string

	window := int(math.Ceil(float64(p.Burst) / p.Rate))
	pol = append(pol, item(PolicyJobs, "q", p.Burst, "w", window))
	tokens := int(math.Floor(s.Tokens))
	jobs := item(PolicyJobs, "r", tokens)
	if tokens < p.Burst {
		// Until the next token, no more than r jobs may be created.
		next := (float64(tokens) + 1 - s.Tokens) / p.Rate
		jobs += ";t=" + strconv.Itoa(int(math.Ceil(next)))
	}
	lim = append(lim, jobs)

	if p.MaxRunning > 0 {
		pol = append(pol, item(PolicyRunning, "q", p.MaxRunning)+`;qu="concurrent-requests"`)
		lim = append(lim, item(PolicyRunning, "r", max(0, p.MaxRunning-s.Running)))
	}
	if p.DailyBudgetUSD > 0 {
		cents := func(usd float64) int { return int(math.Floor(usd*100 + 1e-9)) }
		midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		pol = append(pol, item(PolicyBudget, "q", cents(p.DailyBudgetUSD), "w", 86400)+`;factory-unit="usd-cents"`)
		left := math.Max(0, p.DailyBudgetUSD-s.Spent-s.Reserved)
		lim = append(lim, item(PolicyBudget, "r", cents(left), "t", int(math.Ceil(midnight.Sub(now).Seconds()))))
	}
	return strings.Join(pol, ", "), strings.Join(lim, ", ")
}

// Exhausted returns the RateLimit field value of a refusal made before the
// shared ledger was read (by an instance's own bucket): no job may be
// created for wait.
func Exhausted(wait time.Duration) string {
	return item(PolicyJobs, "r", 0, "t", max(1, int(math.Ceil(wait.Seconds()))))
}

// item writes a Structured Field item named by a String with integer
// parameters, given as name, value pairs.
func item(name string, params ...any) string {
	var b strings.Builder
	b.WriteString(strconv.Quote(name))
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteString(";" + params[i].(string) + "=" + strconv.Itoa(params[i+1].(int)))
	}
	return b.String()
}
