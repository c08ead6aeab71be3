package aitest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
)

// FixtureDir is where the request fixtures live, relative to the
// repository root.
const FixtureDir = "test/fixtures"

// Fixture is one request document from test/fixtures, as a caller would
// POST it, and the request content.ParseRequest made of it.
type Fixture struct {
	// Name is the file name without ".json".
	Name    string
	Raw     []byte
	Request content.Request
}

// Fixtures loads and parses every fixture, in file-name order. It fails
// the test if there are none or if one is not a valid request.
func Fixtures(t testing.TB) []Fixture {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), FixtureDir)
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err, "list fixtures")
	require.NotEmpty(t, paths, "no fixtures in %s", dir)
	slices.Sort(paths)
	out := make([]Fixture, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(t, err, "read fixture")
		req, err := content.ParseRequest(raw)
		require.NoError(t, err, "fixture %s must be a valid request", filepath.Base(p))
		out = append(out, Fixture{Name: strings.TrimSuffix(filepath.Base(p), ".json"), Raw: raw, Request: req})
	}
	return out
}

// FixtureNamed returns the named fixture (file name without ".json").
func FixtureNamed(t testing.TB, name string) Fixture {
	t.Helper()
	for _, f := range Fixtures(t) {
		if f.Name == name {
			return f
		}
	}
	require.FailNow(t, "no such fixture", "fixture %q is not in %s", name, FixtureDir)
	return Fixture{}
}

// RepoRoot finds the repository root by walking up from the working
// directory to the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := findRoot()
	require.NoError(t, err)
	return root
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}
