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
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestTerraformPlansOffline plans every example environment with and
// without the planned functions, offline: fake credentials (the provider
// makes no call while planning new resources), a given project number
// (so no lookup) and stand-in function zips. That proves what validate
// cannot: every for_each is known at plan time and every expression
// evaluates with real variable values.
func TestTerraformPlansOffline(t *testing.T) {
	env := terraformEnv(t)
	dir := copyConfig(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "backend_override.tf"), []byte("terraform {\n  backend \"local\" {}\n}\n"), 0o644))
	initConfigWithBackend(t, env, dir)

	// A stand-in zip for every function Terraform may deploy.
	build := t.TempDir()
	e := deployments(t)[1].e
	for _, table := range []string{"function_table", "planned_function_table"} {
		v := e.local(t, table)
		for _, name := range objectKeys(v) {
			pkg := str(v.GetAttr(name).GetAttr("package"))
			require.NoError(t, os.WriteFile(filepath.Join(build, pkg+".zip"), []byte(pkg), 0o644))
		}
	}
	creds := fakeCredentials(t)
	env = append(env, "GOOGLE_APPLICATION_CREDENTIALS="+creds, "GOOGLE_OAUTH_ACCESS_TOKEN=", "GOOGLE_CREDENTIALS=")

	for _, tfvars := range []string{"dev", "prod"} {
		for _, planned := range []string{"false", "true"} {
			t.Run(tfvars+"/planned="+planned, func(t *testing.T) {
				out, err := terraform(t, env, dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color",
					"-var-file=envs/"+tfvars+".tfvars", "-var=build_dir="+build, "-var=project_number=123456789",
					"-var=enable_planned_functions="+planned)
				require.NoError(t, err, "terraform plan: %s", out)
				assert.Contains(t, out, "Plan: ")
				assert.Contains(t, out, "0 to change, 0 to destroy")
			})
		}
	}
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
