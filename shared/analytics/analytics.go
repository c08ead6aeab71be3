// Package analytics computes the factory's analytics from job events
// (pipeline.JobEvent): success rate per format, cost per owner per day,
// p95 job time per day and a comparison of prompt versions. In production
// the job events flow into BigQuery through a Pub/Sub BigQuery
// subscription and views compute these figures (terraform/analytics.tf);
// `factory analytics` computes them here, with the same definitions, from
// the events the local stack keeps:
//
//   - an event counts once, by id (a transition may be published more than
//     once); pauses for review (job.awaiting_review) are not ends;
//   - a job counts once, by its latest end (its highest run): its day is
//     the day (UTC) it was created for cost, and the day its latest run
//     ended for success rates; the cost is what all its runs cost;
//   - job time is from creation to the end of the job's first run, for jobs
//     that ended succeeded, partial or failed, per day of creation; p95 is
//     the 95th percentile interpolated between ranks (BigQuery's
//     PERCENTILE_CONT);
//   - a prompt version is compared over the steps that name one, as each
//     job last ended.
package analytics

import (
	"cmp"
	"math"
	"slices"
	"time"

	"contentfactory.dev/factory/shared/pipeline"
)

// Report is every figure, each list sorted by its keys.
type Report struct {
	SuccessByFormat []FormatRate    `json:"success_rate_by_format"`
	CostByOwner     []OwnerCost     `json:"cost_per_owner_per_day"`
	JobTime         []JobTime       `json:"p95_job_time"`
	PromptVersions  []PromptVersion `json:"prompt_versions"`
	Events          int             `json:"events"`
	Jobs            int             `json:"jobs"`
}

// FormatRate is the share of a format's steps that succeeded, on a day.
type FormatRate struct {
	Day       string  `json:"day"`
	Format    string  `json:"format"`
	Steps     int     `json:"steps"`
	Succeeded int     `json:"succeeded"`
	Rate      float64 `json:"success_rate"`
}

// OwnerCost is what an owner's jobs created on a day cost.
type OwnerCost struct {
	Owner   string  `json:"owner"`
	Day     string  `json:"day"`
	Jobs    int     `json:"jobs"`
	CostUSD float64 `json:"cost_usd"`
}

// JobTime is the 95th percentile of the first-run time of the jobs
// created on a day.
type JobTime struct {
	Day        string  `json:"day"`
	Jobs       int     `json:"jobs"`
	P95Seconds float64 `json:"p95_seconds"`
}

// PromptVersion is how the steps made with one prompt version did.
type PromptVersion struct {
	Step               string  `json:"step"`
	PromptVersion      string  `json:"prompt_version"`
	Steps              int     `json:"steps"`
	Rate               float64 `json:"success_rate"`
	AvgDurationSeconds float64 `json:"avg_duration_seconds"`
	AvgCostUSD         float64 `json:"avg_cost_usd"`
}

// Compute computes the report of a set of job events, in any order and
// with any duplicates.
func Compute(events []pipeline.JobEvent) Report {
	seen := map[string]bool{}
	latest := map[string]pipeline.JobEvent{}
	first := map[string]pipeline.JobEvent{}
	var rep Report
	for _, ev := range events {
		if seen[ev.ID] || ev.Type == pipeline.EventAwaitingReview {
			continue
		}
		seen[ev.ID] = true
		rep.Events++
		if l, ok := latest[ev.JobID]; !ok || run(ev) > run(l) || (run(ev) == run(l) && ev.FinishedAt.After(l.FinishedAt)) {
			latest[ev.JobID] = ev
		}
		if run(ev) == 1 {
			first[ev.JobID] = ev
		}
	}
	rep.Jobs = len(latest)

	type dayFormat struct{ day, format string }
	rates := map[dayFormat]*FormatRate{}
	type ownerDay struct{ owner, day string }
	costs := map[ownerDay]*OwnerCost{}
	type stepPrompt struct{ step, prompt string }
	type promptSums struct {
		steps, succeeded int
		duration, cost   float64
	}
	prompts := map[stepPrompt]*promptSums{}
	for _, ev := range latest {
		ended := day(ev.FinishedAt)
		for _, s := range ev.StepDetails {
			k := dayFormat{ended, string(s.Step)}
			r := rates[k]
			if r == nil {
				r = &FormatRate{Day: k.day, Format: k.format}
				rates[k] = r
			}
			r.Steps++
			if s.Status == pipeline.StepSucceeded {
				r.Succeeded++
			}
			if s.PromptVersion != "" {
				pk := stepPrompt{string(s.Step), s.PromptVersion}
				p := prompts[pk]
				if p == nil {
					p = &promptSums{}
					prompts[pk] = p
				}
				p.steps++
				if s.Status == pipeline.StepSucceeded {
					p.succeeded++
				}
				p.duration += s.DurationSeconds
				p.cost += s.CostUSD
			}
		}
		k := ownerDay{ev.Owner, day(ev.CreatedAt)}
		c := costs[k]
		if c == nil {
			c = &OwnerCost{Owner: k.owner, Day: k.day}
			costs[k] = c
		}
		c.Jobs++
		c.CostUSD += ev.Usage.CostUSD
	}
	for _, r := range rates {
		r.Rate = float64(r.Succeeded) / float64(r.Steps)
		rep.SuccessByFormat = append(rep.SuccessByFormat, *r)
	}
	slices.SortFunc(rep.SuccessByFormat, func(a, b FormatRate) int { return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Format, b.Format)) })
	for _, c := range costs {
		rep.CostByOwner = append(rep.CostByOwner, *c)
	}
	slices.SortFunc(rep.CostByOwner, func(a, b OwnerCost) int { return cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Day, b.Day)) })
	for k, p := range prompts {
		n := float64(p.steps)
		rep.PromptVersions = append(rep.PromptVersions, PromptVersion{
			Step: k.step, PromptVersion: k.prompt, Steps: p.steps, Rate: float64(p.succeeded) / n,
			AvgDurationSeconds: p.duration / n, AvgCostUSD: p.cost / n,
		})
	}
	slices.SortFunc(rep.PromptVersions, func(a, b PromptVersion) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.PromptVersion, b.PromptVersion))
	})

	times := map[string][]float64{}
	for _, ev := range first {
		switch ev.Status {
		case pipeline.JobSucceeded, pipeline.JobPartial, pipeline.JobFailed:
			d := day(ev.CreatedAt)
			times[d] = append(times[d], ev.FinishedAt.Sub(ev.CreatedAt).Seconds())
		}
	}
	for d, ts := range times {
		rep.JobTime = append(rep.JobTime, JobTime{Day: d, Jobs: len(ts), P95Seconds: Percentile(ts, 0.95)})
	}
	slices.SortFunc(rep.JobTime, func(a, b JobTime) int { return cmp.Compare(a.Day, b.Day) })
	return rep
}

// Percentile is the p-th percentile (0 to 1) of values, interpolated
// linearly between the two nearest ranks, as BigQuery's PERCENTILE_CONT
// computes it; NaN for no values.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	v := slices.Clone(values)
	slices.Sort(v)
	pos := p * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return v[lo] + (pos-float64(lo))*(v[hi]-v[lo])
}

func run(ev pipeline.JobEvent) int { return max(ev.Run, 1) }

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
