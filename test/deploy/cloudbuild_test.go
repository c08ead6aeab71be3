package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
	"go.yaml.in/yaml/v3"
)

// buildStep is one step of cloudbuild.yaml, as far as the checks read it.
type buildStep struct {
	ID      string   `yaml:"id"`
	WaitFor []string `yaml:"waitFor"`
	Args    []string `yaml:"args"`
}

func (s buildStep) script() string { return strings.Join(s.Args, "\n") }

func loadBuild(t *testing.T, text string) []buildStep {
	t.Helper()
	var b struct {
		Steps []buildStep `yaml:"steps"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(text), &b))
	require.NotEmpty(t, b.Steps)
	return b.Steps
}

// after returns, for every step, the steps that finish before it starts:
// those it waits for, transitively (Cloud Build: no waitFor means every
// step above it; waitFor ['-'] means none).
func after(steps []buildStep) map[string]map[string]bool {
	direct := map[string][]string{}
	for i, s := range steps {
		switch {
		case s.WaitFor == nil:
			for _, p := range steps[:i] {
				direct[s.ID] = append(direct[s.ID], p.ID)
			}
		case slices.Equal(s.WaitFor, []string{"-"}):
		default:
			direct[s.ID] = s.WaitFor
		}
	}
	out := map[string]map[string]bool{}
	var visit func(id string) map[string]bool
	visit = func(id string) map[string]bool {
		if got, ok := out[id]; ok {
			return got
		}
		set := map[string]bool{}
		out[id] = set // a cycle ends here
		for _, d := range direct[id] {
			set[d] = true
			for a := range visit(d) {
				set[a] = true
			}
		}
		return set
	}
	for _, s := range steps {
		visit(s.ID)
	}
	return out
}

// trafficViolations lists how a pipeline could route traffic to a new
// revision before its smoke test: every traffic change must go through
// scripts/traffic (whose tests hold it to naming revisions), every move of
// traffic to a new revision must wait for the smoke test of the candidate,
// and the apply must wait for the pin of every service and for the plan
// check.
func trafficViolations(steps []buildStep) []string {
	var out []string
	find := func(text string) (buildStep, bool) {
		i := slices.IndexFunc(steps, func(s buildStep) bool { return strings.Contains(s.script(), text) })
		if i < 0 {
			return buildStep{}, false
		}
		return steps[i], true
	}
	before := after(steps)
	smoke, ok := find("SMOKE_CANDIDATE=")
	if !ok {
		return []string{"no step smoke-tests the candidate revision (SMOKE_CANDIDATE) before traffic moves"}
	}
	for _, s := range steps {
		text := s.script()
		for _, routes := range []string{"--to-latest", "update-traffic", "gcloud run deploy", "gcloud functions deploy", "all_traffic_on_latest_revision", "serve_latest_revision"} {
			if strings.Contains(text, routes) {
				out = append(out, fmt.Sprintf("step %s routes traffic outside scripts/traffic (%s)", s.ID, routes))
			}
		}
		if strings.Contains(text, "traffic promote") && !before[s.ID][smoke.ID] {
			out = append(out, fmt.Sprintf("step %s moves traffic to new revisions before the smoke test %s passes", s.ID, smoke.ID))
		}
	}
	apply, ok := find("terraform apply")
	if !ok {
		return append(out, "no step applies Terraform")
	}
	for _, must := range []string{"traffic save", "traffic check-plan"} {
		if s, ok := find(must); !ok || !before[apply.ID][s.ID] {
			out = append(out, fmt.Sprintf("step %s applies Terraform before %q", apply.ID, must))
		}
	}
	if tag, ok := find("traffic tag"); !ok || !before[smoke.ID][tag.ID] || !before[tag.ID][apply.ID] {
		out = append(out, fmt.Sprintf("the smoke test %s does not follow the tag of the applied candidates", smoke.ID))
	}
	return out
}

// TestDeployRoutesNoTrafficBeforeTheSmokeTest: cloudbuild.yaml can send
// traffic to a new revision only after the candidate's smoke test, and
// each way of breaking that is caught.
func TestDeployRoutesNoTrafficBeforeTheSmokeTest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "cloudbuild.yaml"))
	require.NoError(t, err)
	text := string(b)
	assert.Empty(t, trafficViolations(loadBuild(t, text)))

	for name, c := range map[string]struct{ old, new, want string }{
		"promoted once tagged": {
			"id: promote-canary\n    name: gcr.io/google.com/cloudsdktool/google-cloud-cli:528.0.0\n    waitFor: ['smoke-candidate']",
			"id: promote-canary\n    name: gcr.io/google.com/cloudsdktool/google-cloud-cli:528.0.0\n    waitFor: ['tag']",
			"step promote-canary moves traffic to new revisions before the smoke test smoke-candidate passes",
		},
		"the latest revision by hand": {
			"args: ['-euo', 'pipefail', '-c', '/workspace/.deploy/traffic tag']",
			"args: ['-euo', 'pipefail', '-c', 'gcloud run services update-traffic factory-api --to-latest']",
			"step tag routes traffic outside scripts/traffic (--to-latest)",
		},
		"applied before the pin": {
			"waitFor: ['lint', 'test', 'vulncheck', 'tf-check', 'tf-plan', 'save']",
			"waitFor: ['lint', 'test', 'vulncheck', 'tf-check', 'tf-plan']",
			`step tf-apply applies Terraform before "traffic save"`,
		},
		"no candidate smoke test": {
			`SMOKE_CANDIDATE="$$canary"`, `SMOKE_REGION="$$canary"`,
			"no step smoke-tests the candidate revision",
		},
		"a step without waitFor waits for every step above it": {
			"id: promote-regions\n    name: gcr.io/google.com/cloudsdktool/google-cloud-cli:528.0.0\n    waitFor: ['smoke-canary']\n",
			"id: promote-regions\n    name: gcr.io/google.com/cloudsdktool/google-cloud-cli:528.0.0\n    waitFor: ['-']\n",
			"step promote-regions moves traffic to new revisions before the smoke test smoke-candidate passes",
		},
	} {
		broken := strings.Replace(text, c.old, c.new, 1)
		require.NotEqual(t, text, broken, "%s: the text to break is gone from cloudbuild.yaml; update this test", name)
		assert.Contains(t, strings.Join(trafficViolations(loadBuild(t, broken)), "\n"), c.want, name)
	}
}

// TestTerraformNeverRoutesTraffic: every function is deployed with
// all_traffic_on_latest_revision = false, a literal: Terraform never
// moves traffic.
func TestTerraformNeverRoutesTraffic(t *testing.T) {
	path := filepath.Join(tfDir(), "modules", "function", "main.tf")
	f, diags := hclparse.NewParser().ParseHCLFile(path)
	require.False(t, diags.HasErrors(), diags.Error())
	fn := block(f.Body.(*hclsyntax.Body), "resource")
	require.NotNil(t, fn)
	sc := block(fn, "service_config")
	require.NotNil(t, sc, "the function has no service_config")
	a, ok := sc.Attributes["all_traffic_on_latest_revision"]
	require.True(t, ok, "all_traffic_on_latest_revision is unset: the provider's default (true) routes every new revision at once")
	v, diags := a.Expr.Value(&hcl.EvalContext{})
	require.False(t, diags.HasErrors(), "all_traffic_on_latest_revision must be the literal false, not %s", string(a.Expr.Range().SliceBytes(f.Bytes)))
	assert.True(t, v.Equals(cty.False).True(), "all_traffic_on_latest_revision is %s", v.GoString())
}
