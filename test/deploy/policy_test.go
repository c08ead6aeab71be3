package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPolicyChecksCatchViolations proves the Terraform checks can fail:
// it breaks a copy of the configuration in one way at a time and runs the
// check that must catch it (this package's test binary, pointed at the
// copy with FACTORY_TF_DIR), which must fail.
func TestPolicyChecksCatchViolations(t *testing.T) {
	if os.Getenv("FACTORY_TF_DIR") != "" {
		t.Skip("running against a broken copy")
	}
	bin := filepath.Join(t.TempDir(), "deploy.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go test -c: %s", out)

	cases := []struct {
		name   string
		file   string
		mutate func(string) string
		test   string
		want   string
	}{
		{
			name: "a push subscription without a dead-letter policy", file: "pubsub.tf",
			mutate: cutBlock(`(?s)\n  dead_letter_policy \{\n    dead_letter_topic     = google_pubsub_topic\.dead_letter\[each\.value\.dead_letter_topic\]\.id.*?\n  \}\n`),
			test:   "TestTerraformPushSubscriptions", want: "has no dead-letter policy",
		},
		{
			name: "an ack deadline not above the function's timeout", file: "functions.tf",
			mutate: replace("ack_deadline_margin_seconds = 60", "ack_deadline_margin_seconds = 0"),
			test:   "TestTerraformPushSubscriptions", want: "is not above",
		},
		{
			name: "a push subscription without an OIDC identity", file: "pubsub.tf",
			mutate: cutBlock(`(?s)\n    oidc_token \{\n      service_account_email = google_service_account\.push\[each\.key\]\.email.*?\n    \}\n`),
			test:   "TestTerraformPushSubscriptions", want: "no OIDC identity",
		},
		{
			name: "roles/editor", file: "cicd.tf",
			mutate: replace(`"roles/storage.admin",`, `"roles/storage.admin", "roles/editor",`),
			test:   "TestTerraformGrantsNoBasicRoles", want: "grants a basic role",
		},
		{
			name: "roles/owner on a function", file: "iam.tf",
			mutate: replace(`"roles/datastore.user",`, `"roles/owner",`),
			test:   "TestTerraformGrantsNoBasicRoles", want: "roles/owner",
		},
		{
			name: "a bucket without public access prevention", file: "storage.tf",
			mutate: replace(`public_access_prevention = "enforced"`, `public_access_prevention = "inherited"`),
			test:   "TestTerraformBucketsArePrivate", want: "public access prevention",
		},
		{
			name: "functions sharing a service account", file: "functions.tf",
			mutate: replace(`service_account_email = google_service_account.function[each.value.name].email`, `service_account_email = google_service_account.function["API"].email`),
			test:   "TestTerraformFunctionsHaveTheirOwnServiceAccount", want: "share the service account",
		},
		{
			name: "a function running as the default compute account", file: "functions.tf",
			mutate: replace(`service_account_email = google_service_account.function[each.value.name].email`, `service_account_email = "123-compute@developer.gserviceaccount.com"`),
			test:   "TestTerraformFunctionsHaveTheirOwnServiceAccount", want: "is not a google_service_account",
		},
		{
			name: "a function of the code missing", file: "functions.tf",
			mutate: cutBlock(`(?s)\n    AssembleJob = \{.*?\n    \}\n`),
			test:   "TestTerraformDeclaresEveryFunction", want: "not in terraform/functions.tf",
		},
		{
			name: "a timeout that differs from the code", file: "functions.tf",
			mutate: replace("timeout_seconds = 540", "timeout_seconds = 500"),
			test:   "TestTerraformDeclaresEveryFunction", want: "timeout",
		},
		{
			name: "a topic of the code missing", file: "pubsub.tf",
			mutate: replace(`["job-events"]`, `[]`),
			test:   "TestTerraformTopicsMatchTheCode", want: "job-events",
		},
		{
			name: "topics not per region", file: "functions.tf",
			mutate: replace(`FACTORY_TOPIC_SUFFIX = "-${each.value.region}"`, `FACTORY_TOPIC_SUFFIX = ""`),
			test:   "TestTerraformTopicsMatchTheCode", want: "FACTORY_TOPIC_SUFFIX",
		},
		{
			name: "an environment variable no code reads", file: "functions.tf",
			mutate: replace(`LOG_LEVEL = var.log_level`, `LOG_LEVEL = var.log_level
    FACTORY_NO_SUCH_SETTING = "1"`),
			test: "TestTerraformSetsOnlyKnownEnvironment", want: "FACTORY_NO_SUCH_SETTING",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyConfig(t)
			path := filepath.Join(dir, c.file)
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			broken := c.mutate(string(src))
			require.True(t, string(src) != broken, "the text to break is gone from %s; update this test", c.file)
			require.NoError(t, os.WriteFile(path, []byte(broken), 0o644))

			run := exec.Command(bin, "-test.run", "^"+c.test+"$", "-test.count=1")
			run.Env = append(os.Environ(), "FACTORY_TF_DIR="+dir)
			out, err := run.CombinedOutput()
			require.Error(t, err, "%s passed on a configuration with %s:\n%s", c.test, c.name, out)
			require.Contains(t, string(out), c.want, "%s failed for another reason:\n%s", c.test, out)
		})
	}
}

// replace replaces the first match of old, where any run of spaces in old
// matches any run of spaces (terraform fmt aligns "=" signs).
func replace(old, new string) func(string) string {
	parts := strings.Fields(old)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile(strings.Join(parts, `\s+`))
	return func(s string) string {
		loc := re.FindStringIndex(s)
		if loc == nil {
			return s
		}
		return s[:loc[0]] + new + s[loc[1]:]
	}
}

func cutBlock(pattern string) func(string) string {
	re := regexp.MustCompile(pattern)
	return func(s string) string {
		loc := re.FindStringIndex(s)
		if loc == nil {
			return s
		}
		return s[:loc[0]] + "\n" + s[loc[1]:]
	}
}
