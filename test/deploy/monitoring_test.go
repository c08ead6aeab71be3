package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codeMetrics returns the metric names shared/telemetry records: the
// values of its Metric* constants, read from the Go source.
func codeMetrics(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, "shared", "telemetry", "metrics.go"), nil, 0)
	require.NoError(t, err)
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, id := range vs.Names {
			if strings.HasPrefix(id.Name, "Metric") && i < len(vs.Values) {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					names = append(names, v)
				}
			}
		}
		return true
	})
	require.NotEmpty(t, names, "no Metric constants in shared/telemetry/metrics.go")
	return names
}

// metricRef is a factory metric named in Terraform; its group is the name
// without the suffix a PromQL query adds to a histogram (_bucket, _sum,
// _count).
var metricRef = regexp.MustCompile(`\b(factory_[a-z_]+?(?:_total|_seconds))(?:_bucket|_sum|_count)?\b`)

// comment is a Terraform comment line.
var comment = regexp.MustCompile(`(?m)^\s*#.*$`)

// TestMonitoringQueriesTheMetricsTheCodeRecords: every factory metric the
// dashboard, the SLOs and the alerts query is one the code records (a
// renamed metric would leave a chart empty and an alert silent), and
// every metric the code records is on the dashboard's list.
func TestMonitoringQueriesTheMetricsTheCodeRecords(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tfDir(), "monitoring.tf"))
	require.NoError(t, err)
	code := codeMetrics(t)
	used := map[string]bool{}
	for _, m := range metricRef.FindAllStringSubmatch(comment.ReplaceAllString(string(b), ""), -1) {
		ref := m[1]
		used[ref] = true
		assert.Contains(t, code, ref, "monitoring.tf queries %s, which shared/telemetry does not record", ref)
	}
	for _, m := range code {
		assert.True(t, used[m], "shared/telemetry records %s, which monitoring.tf never shows", m)
	}
	assert.True(t, slices.Contains(code, "factory_job_duration_seconds"))
}
