package security

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
)

// parse turns a corpus entry into the normalized request the API would
// store (and screen).
func parse(t *testing.T, m map[string]any) content.Request {
	t.Helper()
	m = with(m, "formats", []string{"faqs"})
	b, err := json.Marshal(m)
	require.NoError(t, err)
	req, err := content.ParseRequest(b)
	require.NoError(t, err, "%s", b)
	return req
}

// cleanCorpus is benign plus every request under test/fixtures.
func cleanCorpus(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for i, m := range benign {
		out[fmt.Sprintf("benign-%02d %s", i+1, m["topic"])] = m
	}
	files, err := filepath.Glob(filepath.Join("..", "fixtures", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		out["fixture "+filepath.Base(f)] = m
	}
	return out
}

// TestDetector scores every attack and every clean input: each attack
// must score above 0, each clean input below guard.Threshold.
func TestDetector(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(attacks), 100, "the corpus has at least 100 attacks")
	ids := map[string]bool{}
	byFamily := map[string][2]int{} // detected, total
	flagged, scored := 0, 0
	for _, a := range attacks {
		require.False(t, ids[a.ID], "duplicate id %s", a.ID)
		ids[a.ID] = true
		req := parse(t, a.Req)
		score, signals := guard.Screen(&req)
		c := byFamily[a.Family]
		c[1]++
		if score > 0 {
			c[0]++
			scored++
		}
		if score >= guard.Threshold {
			flagged++
		}
		byFamily[a.Family] = c
		assert.Positive(t, score, "attack %s scored 0", a.ID)
		if testing.Verbose() {
			t.Logf("%-18s %.3f %s", a.ID, score, strings.Join(signals, ","))
		}
	}
	clean := cleanCorpus(t)
	require.GreaterOrEqual(t, len(clean), 20)
	zero := 0
	names := make([]string, 0, len(clean))
	for n := range clean {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		req := parse(t, clean[n])
		score, signals := guard.Screen(&req)
		if score == 0 {
			zero++
		}
		assert.Less(t, score, guard.Threshold, "clean input %q scored %.3f: %v", n, score, signals)
		if testing.Verbose() && score > 0 {
			t.Logf("clean %-40s %.3f %s", n, score, strings.Join(signals, ","))
		}
	}
	var fams []string
	for f, c := range byFamily {
		fams = append(fams, fmt.Sprintf("%s %d/%d", f, c[0], c[1]))
	}
	sort.Strings(fams)
	t.Logf("detector: attacks scored >0: %d/%d (≥%.2f: %d); clean scored 0: %d/%d, ≥%.2f: 0 allowed; by family: %s",
		scored, len(attacks), guard.Threshold, flagged, zero, len(clean), guard.Threshold, strings.Join(fams, ", "))
}
