package deploy

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/queue"
)

// The tests here run Terraform itself with the hashicorp/google provider
// that scripts/tf-validate.sh builds from source into a filesystem mirror
// (there is no registry access). They run when that mirror exists or when
// TF_VALIDATE=1 (make tf-validate sets it, and then a missing provider is
// a failure).

// terraformEnv returns the environment Terraform runs with, or skips.
func terraformEnv(t *testing.T) []string {
	t.Helper()
	cache := os.Getenv("FACTORY_TF_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			require.NoError(t, err)
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "content-factory", "terraform")
	}
	rc := filepath.Join(cache, "terraformrc")
	provider := filepath.Join(cache, "mirror", "registry.terraform.io", "hashicorp", "google", "8.0.0", "linux_amd64", "terraform-provider-google_v8.0.0")
	required := os.Getenv("TF_VALIDATE") == "1"
	_, errProvider := os.Stat(provider)
	_, errRC := os.Stat(rc)
	_, errTF := exec.LookPath("terraform")
	switch {
	case errProvider == nil && errRC == nil && errTF == nil:
	case required:
		t.Fatalf("TF_VALIDATE=1 but Terraform or the provider mirror is missing (terraform: %v; %s: %v; %s: %v): run scripts/tf-validate.sh", errTF, provider, errProvider, rc, errRC)
	default:
		t.Skipf("needs terraform and the google provider built into %s: run `make tf-validate` (or set TF_VALIDATE=1)", cache)
	}
	return append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
}

// copyConfig copies terraform/ (without .terraform folders or state) into
// a new folder and returns it.
func copyConfig(t *testing.T) string {
	t.Helper()
	src := filepath.Join(repoRoot, "terraform")
	dst := filepath.Join(t.TempDir(), "terraform")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(d.Name(), ".tfstate") || d.Name() == ".terraform.lock.hcl" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	require.NoError(t, err)
	return dst
}

// terraform runs terraform in a folder and returns its output and error.
func terraform(t *testing.T, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("terraform", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// initConfig runs terraform init without a backend.
func initConfig(t *testing.T, env []string, dir string) {
	t.Helper()
	out, err := terraform(t, env, dir, "init", "-backend=false", "-input=false", "-no-color")
	require.NoError(t, err, "terraform init: %s", out)
}

// TestTerraformValidateRejectsBrokenConfigurations: the configuration
// validates, and each deliberately broken copy of it does not, so the
// check can fail.
func TestTerraformValidateRejectsBrokenConfigurations(t *testing.T) {
	env := terraformEnv(t)

	good := copyConfig(t)
	initConfig(t, env, good)
	out, err := terraform(t, env, good, "validate", "-no-color")
	require.NoError(t, err, "the configuration does not validate: %s", out)

	breaks := []struct {
		name, file string
		mutate     func(string) string
		want       string
	}{
		{"misspelled argument", "pubsub.tf", replace("ack_deadline_seconds = each.value.ack_deadline_seconds", "ack_deadline_second = each.value.ack_deadline_seconds"), `"ack_deadline_second" is not expected`},
		{"undeclared resource", "functions.tf", replace("google_service_account.function[each.value.name].email", "google_service_account.runtime[each.value.name].email"), "undeclared resource"},
		{"wrong type", "modules/function/main.tf", replace("timeout_seconds = var.timeout_seconds", `timeout_seconds = "five minutes"`), "number is required"},
		{"missing module argument", "functions.tf", replace("service_account_email = google_service_account.function[each.value.name].email", ""), `"service_account_email" is required`},
		{"unknown block", "firestore.tf", replace("ttl_config {}", "ttl_policy {}"), `"ttl_policy" are not expected`},
	}
	for _, b := range breaks {
		t.Run(b.name, func(t *testing.T) {
			dir := copyConfig(t)
			path := filepath.Join(dir, filepath.FromSlash(b.file))
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			broken := b.mutate(string(src))
			require.True(t, broken != string(src), "the text to break is gone from %s; update this test", b.file)
			require.NoError(t, os.WriteFile(path, []byte(broken), 0o644))
			initConfig(t, env, dir)
			out, err := terraform(t, env, dir, "validate", "-no-color")
			require.Error(t, err, "terraform validate accepted a broken configuration: %s", out)
			assert.Contains(t, out, b.want)
		})
	}
}

// TestTerraformPlansOffline plans every example environment, and prod
// with the optional settings on, offline: fake credentials (the provider
// makes no call while planning new resources), a given project number
// (so no lookup) and stand-in function zips. That proves what validate
// cannot: every for_each is known at plan time and every expression
// evaluates with real variable values. The plan (terraform show -json)
// is then checked as Terraform itself evaluated it: every function of
// queue.Functions in every region, Sweep accepting the scheduler's
// audience and account, NotifyJob's webhook key from Secret Manager, and
// no setting that must stay unset.
func TestTerraformPlansOffline(t *testing.T) {
	env := terraformEnv(t)
	dir := copyConfig(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "backend_override.tf"), []byte("terraform {\n  backend \"local\" {}\n}\n"), 0o644))
	initConfigWithBackend(t, env, dir)

	// A stand-in zip for every function Terraform deploys.
	build := t.TempDir()
	table := defaultDeployment(t).e.local(t, "function_table")
	for _, name := range objectKeys(table) {
		pkg := str(table.GetAttr(name).GetAttr("package"))
		require.NoError(t, os.WriteFile(filepath.Join(build, pkg+".zip"), []byte(pkg), 0o644))
	}
	creds := fakeCredentials(t)
	env = append(env, "GOOGLE_APPLICATION_CREDENTIALS="+creds, "GOOGLE_OAUTH_ACCESS_TOKEN=", "GOOGLE_CREDENTIALS=")

	cases := []struct {
		name, tfvars string
		vars         []string
	}{
		{"dev", "dev", nil},
		{"prod", "prod", nil},
		{"prod+options", "prod", []string{
			"-var=id_token_audience=https://factory.example.com",
			`-var=limits={job_deadline = "3h", sweep_stale = "15m", key_cache_ttl = "1m", review_ttl = "72h", cache_ttl = "12h"}`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := filepath.Join(t.TempDir(), "tfplan")
			args := append([]string{"plan", "-refresh=false", "-input=false", "-lock=false", "-no-color",
				"-var-file=envs/" + c.tfvars + ".tfvars", "-var=build_dir=" + build, "-var=project_number=123456789",
				"-out=" + plan}, c.vars...)
			out, err := terraform(t, env, dir, args...)
			require.NoError(t, err, "terraform plan: %s", out)
			assert.Contains(t, out, "Plan: ")
			assert.Contains(t, out, "0 to change, 0 to destroy")
			js, err := terraform(t, env, dir, "show", "-json", plan)
			require.NoError(t, err, "terraform show: %s", js)
			checkPlan(t, []byte(js))
		})
	}
}

// plannedResource is a resource of `terraform show -json`'s planned values.
type plannedResource struct {
	Address string         `json:"address"`
	Type    string         `json:"type"`
	Name    string         `json:"name"`
	Index   any            `json:"index"`
	Values  map[string]any `json:"values"`
}

// checkPlan checks a plan as Terraform evaluated it.
func checkPlan(t *testing.T, js []byte) {
	t.Helper()
	var plan struct {
		Variables map[string]struct {
			Value any `json:"value"`
		} `json:"variables"`
		PlannedValues struct {
			RootModule struct {
				Resources    []plannedResource `json:"resources"`
				ChildModules []struct {
					Address   string            `json:"address"`
					Resources []plannedResource `json:"resources"`
				} `json:"child_modules"`
			} `json:"root_module"`
		} `json:"planned_values"`
	}
	require.NoError(t, json.Unmarshal(js, &plan))
	project := plan.Variables["project_id"].Value.(string)
	var regions []string
	for _, r := range plan.Variables["regions"].Value.([]any) {
		regions = append(regions, r.(string))
	}

	// The functions, by "Name/region".
	type planned struct {
		env     map[string]any
		secrets map[string]string
	}
	functions := map[string]planned{}
	for _, m := range plan.PlannedValues.RootModule.ChildModules {
		for _, r := range m.Resources {
			if r.Type != "google_cloudfunctions2_function" {
				continue
			}
			key := strings.TrimSuffix(strings.TrimPrefix(m.Address, `module.function["`), `"]`)
			bc := r.Values["build_config"].([]any)[0].(map[string]any)
			assert.Equal(t, strings.Split(key, "/")[0], bc["entry_point"], "%s entry point", key)
			sc := r.Values["service_config"].([]any)[0].(map[string]any)
			p := planned{env: map[string]any{}, secrets: map[string]string{}}
			if e, ok := sc["environment_variables"].(map[string]any); ok {
				p.env = e
			}
			if list, ok := sc["secret_environment_variables"].([]any); ok {
				for _, s := range list {
					s := s.(map[string]any)
					p.secrets[s["key"].(string)] = s["secret"].(string)
					assert.Equal(t, "latest", s["version"], "%s reads %s", key, s["key"])
				}
			}
			functions[key] = p
		}
	}
	for _, f := range queue.Functions {
		for _, r := range regions {
			assert.Contains(t, functions, f.Name+"/"+r, "the plan does not deploy %s in %s", f.Name, r)
		}
	}
	assert.Len(t, functions, len(queue.Functions)*len(regions), "functions planned")
	for key, p := range functions {
		for name, policy := range envPolicies {
			if policy.never != "" {
				assert.NotContains(t, p.env, name, "%s gets %s: %s", key, name, policy.never)
				assert.NotContains(t, p.secrets, name, "%s gets %s: %s", key, name, policy.never)
			}
		}
	}
	assert.Equal(t, map[string]string{"FACTORY_WEBHOOK_SECRET": "webhook-signing-key"}, functions["NotifyJob/"+regions[0]].secrets, "NotifyJob's secrets")
	for name, p := range envPolicies {
		for key, f := range functions {
			fn, _, _ := strings.Cut(key, "/")
			_, got := f.secrets[name]
			assert.Equal(t, p.secret && slices.Contains(p.only, fn), got, "%s reads %s from Secret Manager", key, name)
		}
	}
	if aud, ok := plan.Variables["id_token_audience"].Value.(string); ok {
		assert.Equal(t, aud, functions["API/"+regions[0]].env["FACTORY_ID_TOKEN_AUDIENCE"], "the API's ID token audience")
	} else {
		assert.NotContains(t, functions["API/"+regions[0]].env, "FACTORY_ID_TOKEN_AUDIENCE", "the API accepts ID tokens though id_token_audience is null")
	}

	// The scheduler calls Sweep in every region, with the audience and the
	// account that region's Sweep accepts.
	jobs := map[string]bool{}
	uptime := map[string]bool{}
	for _, r := range plan.PlannedValues.RootModule.Resources {
		switch r.Type {
		case "google_cloud_scheduler_job":
			key := r.Index.(string)
			name, region, _ := strings.Cut(key, "/")
			jobs[region] = true
			assert.Equal(t, region, r.Values["region"], "the scheduler job %s", key)
			oidc := r.Values["http_target"].([]any)[0].(map[string]any)["oidc_token"].([]any)[0].(map[string]any)
			sweep := functions[key]
			require.NotEmpty(t, oidc["audience"], "the scheduler calls %s with no audience", key)
			assert.Equal(t, oidc["audience"], sweep.env["FACTORY_SWEEP_AUDIENCE"], "%s accepts another audience than the scheduler sends", key)
			f := queue.Functions[slices.IndexFunc(queue.Functions, func(f queue.Function) bool { return f.Name == name })]
			assert.Equal(t, "scheduler-"+f.Package+"@"+project+".iam.gserviceaccount.com", sweep.env["FACTORY_SWEEP_INVOKERS"], "%s's invokers", key)
		case "google_monitoring_uptime_check_config":
			region := r.Index.(string)
			uptime[region] = true
			check := r.Values["http_check"].([]any)[0].(map[string]any)
			assert.Equal(t, map[string]any{"X-Factory-Region": region}, check["headers"], "the uptime check of %s is pinned to it", region)
			assert.Equal(t, "/healthz", check["path"])
		}
	}
	for _, r := range regions {
		assert.True(t, jobs[r], "no scheduler job calls Sweep in %s", r)
		assert.True(t, uptime[r], "no uptime check watches the API in %s", r)
	}
	assert.Len(t, jobs, len(regions), "scheduler jobs")
}

func initConfigWithBackend(t *testing.T, env []string, dir string) {
	t.Helper()
	out, err := terraform(t, env, dir, "init", "-input=false", "-no-color")
	require.NoError(t, err, "terraform init: %s", out)
}

// fakeCredentials writes a service account key that is well formed but
// belongs to nobody.
func fakeCredentials(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der := x509.MarshalPKCS1PrivateKey(key)
	b, err := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "factory-test",
		"private_key_id": "0",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})),
		"client_email":   "nobody@factory-test.iam.gserviceaccount.com",
		"client_id":      "0",
		"token_uri":      "https://oauth2.googleapis.com/token",
	})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}
