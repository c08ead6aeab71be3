package eval

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"contentfactory.dev/factory/shared/content"
)

// topFindings is how many finding codes a table row names.
const topFindings = 3

// WriteTable prints the report as a table, a row per format and a row of
// every document: the mean score ± its spread (and how many failed or did
// not apply), the means of the parts, the documents under their threshold
// and the commonest findings.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d cases on the %s backend", r.Cases, r.Backend)
	if r.Prompts != "" {
		fmt.Fprintf(tw, ", prompts %s", r.Prompts)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "FORMAT\tDOCS\tSCORE\tREAD\tCOVER\tREPEAT\tACROSS\tFORM\tCITED\tSUPPORT\tBELOW\tFINDINGS")
	for _, s := range append(r.Formats, r.all()) {
		docs := fmt.Sprint(s.Docs)
		if s.Failed > 0 {
			docs += fmt.Sprintf(" (%d failed)", s.Failed)
		}
		if s.NotApplicable > 0 {
			docs += fmt.Sprintf(" (%d n/a)", s.NotApplicable)
		}
		support := "—" // no claim of these documents was checked
		if s.Judged > 0 {
			support = fmt.Sprintf("%.2f", s.Support)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f ± %.3f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%d\t%s\n", s.Format, docs, s.Score, s.ScoreSD,
			s.Readability, s.Coverage, s.Repetition, s.Across, s.Structure, s.Cited, support, s.Below, top(s.Findings))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write the table: %w", err)
	}
	return nil
}

// all is the summary of every document.
func (r Report) all() Summary {
	s := summarize([]content.Format{""}, r.withFormat(""))
	s[0].Format = "all"
	return s[0]
}

// withFormat returns the report's documents as one format's.
func (r Report) withFormat(f content.Format) []Doc {
	out := make([]Doc, len(r.Docs))
	for i, d := range r.Docs {
		d.Format = f
		out[i] = d
	}
	return out
}

// top names the commonest finding codes with their counts.
func top(findings map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range findings {
		if k != "more" {
			all = append(all, kv{k, v})
		}
	}
	slices.SortFunc(all, func(a, b kv) int { return cmp.Or(b.v-a.v, strings.Compare(a.k, b.k)) })
	var parts []string
	for _, x := range all[:min(topFindings, len(all))] {
		parts = append(parts, fmt.Sprintf("%s %d", x.k, x.v))
	}
	return strings.Join(parts, ", ")
}

// Diff is one format's difference between two reports over the cases
// both scored.
type Diff struct {
	Format content.Format `json:"format"`
	Cases  int            `json:"cases"`
	Before float64        `json:"before"`
	After  float64        `json:"after"`
	// Mean is the mean of the paired differences (after − before) and SD
	// their standard deviation; Better and Worse count the cases.
	Mean   float64 `json:"mean"`
	SD     float64 `json:"sd"`
	Better int     `json:"better"`
	Worse  int     `json:"worse"`
}

// Compare pairs two reports' documents by case and format and returns
// the difference of the scores per format, and over every document.
func Compare(before, after Report) []Diff {
	type key struct {
		c string
		f content.Format
	}
	old := map[key]float64{}
	for _, d := range before.Docs {
		if d.Quality != nil {
			old[key{d.Case, d.Format}] = d.Quality.Score
		}
	}
	byFormat := map[content.Format][][2]float64{}
	var order []content.Format
	for _, d := range after.Docs {
		b, ok := old[key{d.Case, d.Format}]
		if !ok || d.Quality == nil {
			continue
		}
		if _, seen := byFormat[d.Format]; !seen {
			order = append(order, d.Format)
		}
		byFormat[d.Format] = append(byFormat[d.Format], [2]float64{b, d.Quality.Score})
		byFormat["all"] = append(byFormat["all"], [2]float64{b, d.Quality.Score})
	}
	var out []Diff
	for _, f := range append(order, "all") {
		pairs := byFormat[f]
		if len(pairs) == 0 {
			continue
		}
		d := Diff{Format: f, Cases: len(pairs)}
		var bs, as, ds []float64
		for _, p := range pairs {
			bs, as, ds = append(bs, p[0]), append(as, p[1]), append(ds, p[1]-p[0])
			switch {
			case p[1] > p[0]:
				d.Better++
			case p[1] < p[0]:
				d.Worse++
			}
		}
		d.Before, _ = meanSD(bs)
		d.After, _ = meanSD(as)
		d.Mean, d.SD = meanSD(ds)
		out = append(out, d)
	}
	return out
}

// WriteDiffs prints a comparison as a table.
func WriteDiffs(w io.Writer, diffs []Diff) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FORMAT\tCASES\tBEFORE\tAFTER\tDIFF ± SD\tBETTER\tWORSE")
	for _, d := range diffs {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%+.3f ± %.3f\t%d\t%d\n", d.Format, d.Cases, d.Before, d.After, d.Mean, d.SD, d.Better, d.Worse)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write the comparison: %w", err)
	}
	return nil
}
