package deploy

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/queue"
)

// stageInto runs scripts/stage-functions.sh into a folder.
func stageInto(t *testing.T, out string) {
	t.Helper()
	cmd := exec.Command("bash", "scripts/stage-functions.sh", out)
	cmd.Dir = repoRoot
	cmd.Env = offlineGoEnv()
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "stage-functions.sh: %s", b)
}

// offlineGoEnv is the environment of go commands that must not reach the
// network: the module cache has everything a staged folder needs.
func offlineGoEnv() []string {
	return append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
}

// TestStagedFunctionsBuild stages every function twice, checks that the
// zips are byte for byte the same, that each folder holds only what its
// function needs, and that `go build ./...` and `go vet ./...` pass inside
// each folder with no network, as the buildpack will build it.
func TestStagedFunctionsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every staged function (about a minute)")
	}
	first, second := t.TempDir(), t.TempDir()
	stageInto(t, first)
	stageInto(t, second)

	for _, f := range queue.Functions {
		t.Run(f.Name, func(t *testing.T) {
			a, err := os.ReadFile(filepath.Join(first, f.Package+".zip"))
			require.NoError(t, err)
			b, err := os.ReadFile(filepath.Join(second, f.Package+".zip"))
			require.NoError(t, err)
			require.Equal(t, sha256.Sum256(a), sha256.Sum256(b), "staging twice gave different zips")

			checkZip(t, a)
			dir := filepath.Join(first, f.Package)
			root, err := os.ReadFile(filepath.Join(dir, "function.go"))
			require.NoError(t, err)
			assert.Contains(t, string(root), `_ "contentfactory.dev/factory/functions/`+f.Package+`"`)
			assert.Contains(t, string(root), `_ "github.com/GoogleCloudPlatform/functions-framework-go/functions"`,
				"without it the buildpack does not treat the function as declaratively registered")
			for _, other := range queue.Functions {
				if other.Package != f.Package {
					assert.NoDirExists(t, filepath.Join(dir, "functions", other.Package), "%s's folder holds %s", f.Name, other.Name)
				}
			}
			assert.NoDirExists(t, filepath.Join(dir, "shared", "devstack"), "the local stack is not deployed")
			assert.NoDirExists(t, filepath.Join(dir, "shared", "testenv"), "test helpers are not deployed")

			for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				cmd.Env = append(offlineGoEnv(), "GOOS=linux", "GOARCH=amd64")
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "go %s in %s: %s", strings.Join(args, " "), dir, out)
			}
		})
	}
}

// checkZip checks that an archive is sorted, with fixed times and modes,
// holds no test file and starts with the module files.
func checkZip(t *testing.T, data []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, os.FileMode(0o644), f.Mode().Perm(), "%s mode", f.Name)
		assert.Equal(t, 1980, f.Modified.UTC().Year(), "%s time", f.Name)
		assert.False(t, strings.HasSuffix(f.Name, "_test.go"), "%s is a test file", f.Name)
		assert.False(t, strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, ".."), "%s", f.Name)
	}
	assert.IsNonDecreasing(t, names, "entries are sorted")
	for _, want := range []string{"go.mod", "go.sum", "function.go"} {
		assert.Contains(t, names, want)
	}
}
