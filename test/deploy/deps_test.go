package deploy

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/queue"
)

const module = "contentfactory.dev/factory/"

// deps lists the packages pkg needs to build for linux/amd64 (what a
// deployed function runs on), test files left out.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(offlineGoEnv(), "GOOS=linux", "GOARCH=amd64")
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	return strings.Fields(string(out))
}

// devOnly says why a package must not be deployed, or "".
func devOnly(p string) string {
	switch {
	case strings.HasPrefix(p, module+"internal/"):
		return "development tooling (the local stack, the fakes, the test environment)"
	case strings.HasPrefix(p, module+"cmd/"), strings.HasPrefix(p, module+"test/"):
		return "the command-line tool or the tests"
	case strings.HasPrefix(p, module) && strings.HasSuffix(p, "test"):
		return "test support"
	case strings.HasPrefix(p, "github.com/stretchr/testify") || strings.HasPrefix(p, "github.com/fsouza/fake-gcs-server"):
		return "a test library"
	}
	return ""
}

// TestOnlyTheTextFunctionLinksTheOtherModelClients: the Claude and
// OpenAI-compatible clients are large (they doubled the binary of every
// function that linked them) and only the function that writes text
// uses them.
func TestOnlyTheTextFunctionLinksTheOtherModelClients(t *testing.T) {
	t.Parallel()
	for _, f := range queue.Functions {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			var sdks []string
			for _, p := range deps(t, module+"functions/"+f.Package) {
				if strings.HasPrefix(p, "github.com/anthropics/") || strings.HasPrefix(p, "github.com/openai/") {
					sdks = append(sdks, p)
				}
			}
			if f.Package == "text" {
				assert.NotEmpty(t, sdks, "the text function builds the Claude and OpenAI-compatible backends")
				return
			}
			assert.Empty(t, sdks, "function %s links a model client it never uses", f.Name)
		})
	}
}

// TestDeployedFunctionsCarryNoDevelopmentCode: no deployed function links
// the local stack, the fakes of Vertex AI or Text-to-Speech, test support
// or test libraries.
func TestDeployedFunctionsCarryNoDevelopmentCode(t *testing.T) {
	t.Parallel()
	for _, f := range queue.Functions {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			var bad []string
			for _, p := range deps(t, module+"functions/"+f.Package) {
				if why := devOnly(p); why != "" {
					bad = append(bad, p+": "+why)
				}
			}
			assert.Empty(t, bad, "function %s links packages that are not for production", f.Name)
		})
	}
}

// TestTheFactoryCommandIsWhereTheFakesLive is the check's own control: the
// factory command runs the local stack, so its graph holds what the
// functions' must not.
func TestTheFactoryCommandIsWhereTheFakesLive(t *testing.T) {
	t.Parallel()
	all := strings.Join(deps(t, module+"cmd/factory"), "\n")
	for _, p := range []string{"internal/devstack", "internal/vertextest", "internal/ttstest"} {
		assert.Contains(t, all, module+p)
	}
}

// TestThePipelineIsFreeOfAdaptersAndSDKs: the pipeline (the job rules and
// the step runner) speaks to Firestore, Cloud Storage, Pub/Sub and the
// models only through its ports; it links no adapter and no cloud SDK.
func TestThePipelineIsFreeOfAdaptersAndSDKs(t *testing.T) {
	t.Parallel()
	forbidden := []string{
		"cloud.google.com/", "google.golang.org/", "github.com/cloudevents/",
		"github.com/GoogleCloudPlatform/functions-framework-go",
		module + "shared/store", module + "shared/blob", module + "shared/queue", module + "shared/setup",
		module + "shared/httpx", module + "shared/ai/vertex", module + "shared/ai/tts", module + "shared/ai/offline",
		module + "functions/", module + "internal/",
	}
	for _, pkg := range []string{"shared/pipeline", "shared/failure", "shared/ratelimit", "shared/content"} {
		var bad []string
		for _, p := range deps(t, module+pkg) {
			for _, f := range forbidden {
				if strings.HasPrefix(p, f) {
					bad = append(bad, p)
				}
			}
		}
		assert.Empty(t, bad, "%s links adapters or SDKs", pkg)
	}
}

// TestTheClientIsLight: the Go client of the API links the request
// contract and nothing else of the project (no pipeline, store or AI
// backend), and no cloud SDK, so that any program can use it. The
// contract counts a podcast's words with shared/prose's rules, which link
// nothing but the standard library.
func TestTheClientIsLight(t *testing.T) {
	t.Parallel()
	var heavy []string
	for _, p := range deps(t, module+"shared/client") {
		switch {
		case p == module+"shared/client", p == module+"shared/content", p == module+"shared/prose":
		case strings.HasPrefix(p, module),
			strings.HasPrefix(p, "cloud.google.com/"), strings.HasPrefix(p, "google.golang.org/"), strings.HasPrefix(p, "github.com/"):
			heavy = append(heavy, p)
		}
	}
	assert.Empty(t, heavy, "shared/client links more than the request contract")
	for _, p := range deps(t, module+"shared/prose") {
		if p != module+"shared/prose" && (strings.HasPrefix(p, module) || strings.Contains(strings.Split(p, "/")[0], ".")) {
			heavy = append(heavy, p)
		}
	}
	assert.Empty(t, heavy, "shared/prose links only the standard library")
}
