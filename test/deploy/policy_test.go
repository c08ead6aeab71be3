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
			name: "job events without a dead-letter topic", file: "pubsub.tf",
			mutate: replace(`s.dead_letter_topic => { region = s.region, subscription = name }`, `s.dead_letter_topic => { region = s.region, subscription = name } if s.function != "NotifyJob"`),
			test:   "TestTerraformTopicsMatchTheCode", want: "topic job-events-europe-west1-dead-letter of queue.Topics is not in Terraform",
		},
		{
			name: "dead-lettered job events not pushed to DeadLetter", file: "pubsub.tf",
			mutate: replace(`ack_deadline_seconds = local.functions["DeadLetter"].ack_deadline_seconds
    }`, `ack_deadline_seconds = local.functions["DeadLetter"].ack_deadline_seconds
    } if !startswith(topic, "job-events")`),
			test: "TestTerraformPushSubscriptions", want: "subscription job-events-europe-west1-dead-letter-push of queue.Subscriptions is not in Terraform",
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
		{
			name: "the chaos soak's fault injection in production", file: "functions.tf",
			mutate: replace(`LOG_LEVEL = var.log_level`, `LOG_LEVEL = var.log_level
    FACTORY_CHAOS_CRASH_AFTER_CALL = "0.1"`),
			test: "TestTerraformNeverMentionsForbiddenSettings", want: "FACTORY_CHAOS_CRASH_AFTER_CALL",
		},
		{
			name: "a setting of the code forgotten", file: "functions.tf",
			mutate: replace(`FACTORY_BURST = tostring(var.limits.burst)`, ``),
			test:   "TestTerraformSetsOnlyKnownEnvironment", want: "does not get FACTORY_BURST",
		},
		{
			name: "a default that differs from the code's", file: "variables.tf",
			mutate: replace(`burst = optional(number, 10)`, `burst = optional(number, 12)`),
			test:   "TestTerraformSetsOnlyKnownEnvironment", want: `FACTORY_BURST="12" by default`,
		},
		{
			name: "a setting left to the code set anyway", file: "variables.tf",
			mutate: replace(`key_cache_ttl = optional(string)`, `key_cache_ttl = optional(string, "30s")`),
			test:   "TestTerraformSetsOnlyKnownEnvironment", want: "gets FACTORY_KEY_CACHE_TTL though no variable asks for it",
		},
		{
			name: "id_token_audience not passed to the API", file: "functions.tf",
			mutate: replace(`FACTORY_ID_TOKEN_AUDIENCE = var.id_token_audience`, ``),
			test:   "TestTerraformSetsOnlyKnownEnvironment", want: "does not get FACTORY_ID_TOKEN_AUDIENCE when its variable is set",
		},
		{
			name: "the webhook key in plain text", file: "functions.tf",
			mutate: replace(`LOG_LEVEL = var.log_level`, `LOG_LEVEL = var.log_level
    FACTORY_WEBHOOK_SECRET = "0123456789abcdef0123456789abcdef"`),
			test: "TestTerraformSetsOnlyKnownEnvironment", want: "FACTORY_WEBHOOK_SECRET",
		},
		{
			name: "the canary secret on a function that derives no canary", file: "functions.tf",
			mutate: replace(`GenerateImage = { FACTORY_CANARY_SECRET = "canary-secret" }`, `GenerateImage = { FACTORY_CANARY_SECRET = "canary-secret" }
    Intake        = { FACTORY_CANARY_SECRET = "canary-secret" }`),
			test: "TestTerraformSetsOnlyKnownEnvironment", want: "Terraform gives FACTORY_CANARY_SECRET to Intake/",
		},
		{
			name: "a worker without the canary secret", file: "functions.tf",
			mutate: replace(`GenerateImage = { FACTORY_CANARY_SECRET = "canary-secret" }`, ``),
			test:   "TestTerraformSetsOnlyKnownEnvironment", want: "GenerateImage/europe-west1 does not get FACTORY_CANARY_SECRET",
		},
		{
			name: "a function that may not read its secret", file: "secrets.tf",
			mutate: replace(`local.function_secret_readers,`, ``),
			test:   "TestTerraformFunctionsReadOnlyTheirSecrets", want: "reads a secret it may not access",
		},
		{
			name: "the scheduler sending an audience Sweep does not accept", file: "scheduler.tf",
			mutate: replace(`audience = local.scheduler_audiences[each.key]`, `audience = "https://factory.example.com"`),
			test:   "TestTerraformSweepAcceptsOnlyTheScheduler", want: "OIDC audience is not the FACTORY_SWEEP_AUDIENCE",
		},
		{
			name: "Sweep accepting another account than the scheduler's", file: "scheduler.tf",
			mutate: replace(`"${id}@${var.project_id}.iam.gserviceaccount.com"`, `"${id}@example.com"`),
			test:   "TestTerraformSweepAcceptsOnlyTheScheduler", want: "FACTORY_SWEEP_INVOKERS is not the scheduler's account",
		},
		{
			name: "Sweep open to anybody", file: "functions.tf",
			mutate: replace(`member = m } if inst.name == "API"]`, `member = m } if inst.name == "API" || inst.name == "Sweep"]`),
			test:   "TestTerraformSweepAcceptsOnlyTheScheduler", want: "who may invoke Sweep",
		},
		{
			name: "a query without its composite index", file: "firestore.tf",
			mutate: cutBlock(`(?s)\n    jobs_event_pending = \{.*?\n    \}\n`),
			test:   "TestTerraformFirestoreIndexesServeTheQueries", want: "no composite index of terraform/firestore.tf serves the query jobs where [event_pending]",
		},
		{
			name: "an index no query uses", file: "firestore.tf",
			mutate: replace(`fields = [["status", "ASCENDING"], ["deadline", "ASCENDING"]]`, `fields = [["status", "ASCENDING"], ["created_at", "ASCENDING"]]`),
			test:   "TestTerraformFirestoreIndexesServeTheQueries", want: "serves no query of shared/store",
		},
		{
			name: "the sweep's expiry query without its index", file: "firestore.tf",
			mutate: replace(`jobs = { unindexed = false }`, `jobs = { unindexed = true }`),
			test:   "TestTerraformFirestoreIndexesServeTheQueries", want: "removes that field's index",
		},
		{
			name: "a TTL policy on a collection the code does not have", file: "firestore.tf",
			mutate: replace(`rejected_messages = { unindexed = true }`, `rejected_messages = { unindexed = true }
    idempotency       = { unindexed = true }`),
			test: "TestTerraformFirestoreTTL", want: "TTL policy on idempotency",
		},
		{
			name: "rejected messages kept forever", file: "firestore.tf",
			mutate: replace(`rejected_messages = { unindexed = true }`, ``),
			test:   "TestTerraformFirestoreTTL", want: "rejected_messages carries expire_at but has no TTL policy",
		},
		{
			name: "every region's sweep at the same minute", file: "scheduler.tf",
			mutate: replace(`minute = local.region_index[inst.region] % var.sweep_every_minutes`, `minute = 0`),
			test:   "TestTerraformSweepAcceptsOnlyTheScheduler", want: "two regions' sweeps start at the same minute",
		},
		{
			name: "a view reading a field the job event does not have", file: "analytics.tf",
			mutate: replace(`JSON_VALUE(s, '$.prompt_version') AS prompt_version`, `JSON_VALUE(s, '$.prompt') AS prompt_version`),
			test:   "TestAnalyticsReadTheJobEventsFields", want: "reads s.prompt, which the job event does not have",
		},
		{
			name: "a chart of a metric the code does not record", file: "monitoring.tf",
			mutate: replace(`rate(factory_queue_age_seconds_bucket[15m])`, `rate(factory_queue_wait_seconds_bucket[15m])`),
			test:   "TestMonitoringQueriesTheMetricsTheCodeRecords", want: "queries factory_queue_wait_seconds",
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
