package deploy

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"

	"contentfactory.dev/factory/shared/queue"
)

// testRegions are the regions the checks deploy to: two, so that a
// per-region name that forgets its region shows.
var testRegions = []string{"europe-west1", "us-central1"}

// deployment is the root module evaluated for one setting of its
// variables.
type deployment struct {
	name string
	root *tfModule
	fn   *tfModule
	e    *evaluator
}

// testVariables are the variables every evaluation sets: those without a
// default, two regions and a project number (so nothing is looked up).
func testVariables() map[string]cty.Value {
	regions := make([]cty.Value, len(testRegions))
	for i, r := range testRegions {
		regions[i] = cty.StringVal(r)
	}
	return map[string]cty.Value{
		"project_id":     cty.StringVal("factory-test"),
		"project_number": cty.StringVal("123456789"),
		"environment":    cty.StringVal("prod"),
		"api_domain":     cty.StringVal("factory.example.com"),
		"regions":        cty.ListVal(regions),
	}
}

// newDeployment evaluates the configuration with testVariables and
// overrides.
func newDeployment(t *testing.T, name string, overrides map[string]cty.Value) *deployment {
	t.Helper()
	root := parseModule(t, tfDir())
	fn := parseModule(t, filepath.Join(tfDir(), "modules", "function"))
	vars := testVariables()
	maps.Copy(vars, overrides)
	return &deployment{name: name, root: root, fn: fn, e: newEvaluator(t, root, vars)}
}

// defaultDeployment is the configuration with the defaults of every
// optional variable: what the checks look at unless they say otherwise.
func defaultDeployment(t *testing.T) *deployment {
	t.Helper()
	return newDeployment(t, "defaults", nil)
}

// regionNames maps a topic id to its deployed name in a region, as
// FACTORY_TOPIC_SUFFIX=-<region> makes config.TopicName do.
func regionNames(region string) func(string) string {
	return func(id string) string { return id + "-" + region }
}

// deadLetterConsumers are the functions pushed dead-letter topics: those
// of queue.Subscriptions with no dead-letter topic of their own.
func deadLetterConsumers() map[string]bool {
	out := map[string]bool{}
	for _, s := range queue.Subscriptions(nil) {
		if s.DeadLetterTopic == "" {
			out[s.Function] = true
		}
	}
	return out
}

// TestTerraformDeclaresEveryFunction: every function of queue.Functions
// is in Terraform's function table with the same package, trigger and
// timeout, and Terraform deploys no function the code does not have. An
// HTTP function other than the API is called by Cloud Scheduler (nothing
// else could reach it), and only the API is open to the load balancer.
func TestTerraformDeclaresEveryFunction(t *testing.T) {
	d := defaultDeployment(t)
	table := d.e.local(t, "function_table")
	consumers := deadLetterConsumers()
	for _, f := range queue.Functions {
		t.Run(f.Name, func(t *testing.T) {
			if !table.Type().HasAttribute(f.Name) {
				t.Fatalf("%s (functions/%s) is in queue.Functions but not in terraform/functions.tf", f.Name, f.Package)
			}
			entry := table.GetAttr(f.Name)
			assert.Equal(t, f.Package, str(entry.GetAttr("package")), "package")
			assert.Equal(t, f.Topic, str(entry.GetAttr("topic")), "trigger topic")
			assert.Equal(t, int64(f.Timeout/time.Second), num(entry.GetAttr("timeout_seconds")), "timeout")
			assert.Equal(t, consumers[f.Name], entry.GetAttr("dead_letters").True(), "pushed the dead-letter topics")
			scheduled := entry.GetAttr("scheduled").True()
			ingress := str(entry.GetAttr("ingress"))
			switch {
			case f.Name == "API":
				assert.False(t, scheduled, "the API is not scheduled")
				assert.Equal(t, "ALLOW_INTERNAL_AND_GCLB", ingress, "the API is reached through the load balancer")
			case !f.Event():
				assert.True(t, scheduled, "%s is an HTTP function nobody calls: only the API is public, so Cloud Scheduler must call it", f.Name)
				assert.Equal(t, "ALLOW_INTERNAL_ONLY", ingress, "ingress")
			default:
				assert.False(t, scheduled, "%s is triggered by Pub/Sub, not by Cloud Scheduler", f.Name)
				assert.Equal(t, "ALLOW_INTERNAL_ONLY", ingress, "ingress")
			}
		})
	}
	for _, name := range objectKeys(table) {
		assert.True(t, inCode(name), "Terraform deploys %s, which queue.Functions does not have", name)
	}
}

// TestTerraformDeploysEveryFunctionInEveryRegion: the function module is
// called once per function and region, with the function's entry point
// and timeout.
func TestTerraformDeploysEveryFunctionInEveryRegion(t *testing.T) {
	d := defaultDeployment(t)
	functions := d.e.local(t, "functions")
	got := map[string]bool{}
	for _, m := range d.root.modules {
		if str(mustLiteral(t, m.Body, "source")) != "./modules/function" {
			continue
		}
		for _, in := range d.e.instances(t, m) {
			name := stringAttr(t, m.Body, "entry_point", in)
			region := stringAttr(t, m.Body, "region", in)
			got[name+"/"+region] = true
			require.True(t, functions.Type().HasAttribute(name), "module %s deploys unknown function %s", in.Key, name)
			assert.Equal(t, num(functions.GetAttr(name).GetAttr("timeout_seconds")), numberAttr(t, m.Body, "timeout_seconds", in), "%s timeout", in.Key)
		}
	}
	for _, f := range queue.Functions {
		for _, r := range testRegions {
			assert.True(t, got[f.Name+"/"+r], "%s is not deployed in %s", f.Name, r)
		}
	}
	assert.Len(t, got, len(queue.Functions)*len(testRegions), "function instances")
}

// TestTerraformFunctionsHaveTheirOwnServiceAccount: each function runs as
// a service account of its own (never shared, never the default compute
// account), and the module really runs it as that account.
func TestTerraformFunctionsHaveTheirOwnServiceAccount(t *testing.T) {
	d := defaultDeployment(t)
	accounts := map[string]map[string]bool{} // resource name => for_each keys
	accountIDs := map[string]string{}        // account id => resource instance
	for _, sa := range d.root.resourcesOf("google_service_account") {
		accounts[sa.Name] = map[string]bool{}
		for _, in := range d.e.instances(t, sa) {
			accounts[sa.Name][in.Key] = true
			id := stringAttr(t, sa.Body, "account_id", in)
			inst := fmt.Sprintf("%s[%q]", sa, in.Key)
			require.NotContains(t, accountIDs, id, "%s and %s have the same account id", accountIDs[id], inst)
			accountIDs[id] = inst
			assert.Regexp(t, `^[a-z][a-z0-9-]{4,28}[a-z0-9]$`, id, "%s account id", inst)
		}
	}
	owner := map[string]string{} // account => function
	for _, m := range d.root.modules {
		if str(mustLiteral(t, m.Body, "source")) != "./modules/function" {
			continue
		}
		a := m.Body.Attributes["service_account_email"]
		require.NotNil(t, a, "%s passes no service_account_email", m)
		for _, in := range d.e.instances(t, m) {
			name := stringAttr(t, m.Body, "entry_point", in)
			r, ok := refTo(t, a.Expr, in, "google_service_account")
			require.True(t, ok, "%s: the service account of %s is not a google_service_account of this configuration", in.Key, name)
			require.True(t, accounts[r.Name][r.Key], "%s: google_service_account.%s has no instance %q", in.Key, r.Name, r.Key)
			account := r.Name + "/" + r.Key
			if prev, ok := owner[account]; ok {
				require.Equal(t, prev, name, "%s and %s share the service account %s", prev, name, account)
			}
			owner[account] = name
		}
	}
	require.NotEmpty(t, owner)
	// Inside the module: the function runs as the account it is given,
	// and the build does not use the default compute account either.
	fn := parseModule(t, filepath.Join(tfDir(), "modules", "function"))
	v := fn.variables["service_account_email"]
	require.NotNil(t, v)
	assert.NotContains(t, v.Body.Attributes, "default", "the function's service account must be given, not defaulted")
	for _, f := range fn.resourcesOf("google_cloudfunctions2_function") {
		sc := block(f.Body, "service_config")
		require.NotNil(t, sc, "%s has no service_config", f)
		assert.Equal(t, "var.service_account_email", exprText(t, sc.Attributes["service_account_email"]), "%s runs as", f)
		bc := block(f.Body, "build_config")
		require.NotNil(t, bc, "%s has no build_config", f)
		assert.Equal(t, "var.build_service_account", exprText(t, bc.Attributes["service_account"]), "%s builds as", f)
		assert.Equal(t, `"go126"`, exprText(t, bc.Attributes["runtime"]), "%s runtime", f)
		assert.Nil(t, block(f.Body, "event_trigger"), "%s: Pub/Sub reaches functions through our own push subscriptions", f)
	}
	for _, dir := range []string{tfDir(), filepath.Join(tfDir(), "modules", "function")} {
		for name, body := range parseModule(t, dir).files {
			for _, s := range stringLiterals(t, body) {
				assert.NotContains(t, s, "-compute@developer.gserviceaccount.com", "%s/%s names the default compute account", dir, name)
			}
		}
	}
}

// TestTerraformGrantsNoBasicRoles: no roles/editor or roles/owner, as a
// string anywhere or as the evaluated role of any IAM resource.
func TestTerraformGrantsNoBasicRoles(t *testing.T) {
	basic := []string{"roles/editor", "roles/owner", "roles/viewer"}
	for _, dir := range []string{tfDir(), filepath.Join(tfDir(), "modules", "function")} {
		m := parseModule(t, dir)
		for name, body := range m.files {
			for _, s := range stringLiterals(t, body) {
				assert.NotContains(t, basic, s, "%s/%s grants a basic role", dir, name)
			}
		}
		for _, r := range m.resources {
			assert.False(t, strings.HasSuffix(r.Type, "_iam_policy") || strings.HasSuffix(r.Type, "_iam_binding"),
				"%s: use additive _iam_member resources, not authoritative policies or bindings", r)
		}
	}
	d := defaultDeployment(t)
	checked := 0
	for _, r := range d.root.resources {
		if !strings.HasSuffix(r.Type, "_iam_member") {
			continue
		}
		for _, in := range d.e.instances(t, r) {
			role := stringAttr(t, r.Body, "role", in)
			assert.NotContains(t, basic, role, "%s[%q]", r, in.Key)
			assert.True(t, strings.HasPrefix(role, "roles/"), "%s[%q] grants %q", r, in.Key, role)
			checked++
		}
	}
	for _, r := range d.fn.resources {
		if strings.HasSuffix(r.Type, "_iam_member") {
			assert.Equal(t, "roles/run.invoker", str(mustLiteral(t, r.Body, "role")), "module function: %s", r)
		}
	}
	assert.Greater(t, checked, 20, "IAM members checked")
}

// TestTerraformBucketsArePrivate: every bucket has uniform bucket-level
// access and enforced public access prevention; the artifact bucket
// expires files with the retention and allows the web app's origin.
func TestTerraformBucketsArePrivate(t *testing.T) {
	d := defaultDeployment(t)
	buckets := d.root.resourcesOf("google_storage_bucket")
	require.NotEmpty(t, buckets)
	for _, b := range buckets {
		for _, in := range d.e.instances(t, b) {
			assert.Equal(t, "enforced", stringAttr(t, b.Body, "public_access_prevention", in), "%s public access prevention", b)
			v, ok := attr(t, b.Body, "uniform_bucket_level_access", in)
			assert.True(t, ok && v.True(), "%s uniform bucket-level access", b)
		}
	}
	art := d.root.resource(t, "google_storage_bucket", "artifacts")
	require.NotNil(t, block(art.Body, "cors"), "the artifact bucket has no CORS for the web app")
	require.NotNil(t, block(art.Body, "lifecycle_rule"), "the artifact bucket keeps files forever")
	for _, obj := range d.root.resourcesOf("google_storage_bucket_object") {
		for _, r := range refs(t, obj.Body.Attributes["bucket"].Expr, d.e.instances(t, obj)[0]) {
			if r.Root == "google_storage_bucket" {
				assert.Equal(t, "sources", r.Name, "%s is uploaded to the wrong bucket", obj)
			}
		}
	}
}

// TestTerraformTopicsMatchTheCode: every topic of queue.Topics exists in
// every region, named as FACTORY_TOPIC_SUFFIX=-<region> names it, and the
// functions get that suffix and region.
func TestTerraformTopicsMatchTheCode(t *testing.T) {
	d := defaultDeployment(t)
	topics := topicNames(t, d)
	want := map[string]bool{}
	for _, r := range testRegions {
		for _, name := range queue.Topics(regionNames(r)) {
			want[name] = true
			assert.Contains(t, topics, name, "topic %s of queue.Topics is not in Terraform", name)
		}
		assert.Contains(t, topics, regionNames(r)(queue.TopicRequests))
		assert.Contains(t, topics, regionNames(r)(queue.TopicEvents))
		assert.Contains(t, topics, regionNames(r)(queue.TopicEvents)+queue.DeadLetterSuffix, "NotifyJob's undeliverable events have no dead-letter topic")
	}
	for name := range topics {
		assert.True(t, want[name], "Terraform creates topic %s, which queue.Topics does not have", name)
		assert.True(t, slices.ContainsFunc(testRegions, func(r string) bool { return strings.Contains(name, r) }), "topic %s belongs to no region", name)
	}
	fn := functionModule(t, d)
	for _, in := range d.e.instances(t, fn) {
		region := stringAttr(t, fn.Body, "region", in)
		env := envOf(t, fn, in)
		assert.Equal(t, "-"+region, env["FACTORY_TOPIC_SUFFIX"], "%s FACTORY_TOPIC_SUFFIX", in.Key)
		assert.Equal(t, region, env["FACTORY_REGION"], "%s FACTORY_REGION", in.Key)
	}
}

// functionModule returns the call of modules/function.
func functionModule(t *testing.T, d *deployment) *tfBlock {
	t.Helper()
	i := slices.IndexFunc(d.root.modules, func(m *tfBlock) bool { return m.Name == "function" })
	require.GreaterOrEqual(t, i, 0, "no module \"function\"")
	return d.root.modules[i]
}

// pushSub is a push subscription as Terraform declares it.
type pushSub struct {
	resource, name, topic, function, region string
	ackDeadline                             int64
	minBackoff, maxBackoff                  time.Duration
	deadLetterTopic                         string
	maxDeliveryAttempts                     int64
	oidcAccount                             ref
}

// TestTerraformPushSubscriptions: every push subscription pushes to its
// function's URL with the topic in the path, with an OIDC identity of its
// own, a retry policy, an ack deadline above the function's timeout and a
// dead-letter topic (or, for the subscriptions that read dead-letter
// topics, a hold subscription that keeps every message); and they are
// exactly those of queue.Subscriptions.
func TestTerraformPushSubscriptions(t *testing.T) {
	d := defaultDeployment(t)
	functions := d.e.local(t, "functions")
	topics := topicNames(t, d)
	subs, pulls := subscriptions(t, d, topics)
	require.NotEmpty(t, subs)
	oidc := map[string]string{}
	for name, s := range subs {
		require.True(t, functions.Type().HasAttribute(s.function), "%s pushes to unknown function %s", name, s.function)
		timeout := num(functions.GetAttr(s.function).GetAttr("timeout_seconds"))
		assert.Greater(t, s.ackDeadline, timeout, "%s: ack deadline %ds is not above %s's timeout %ds", name, s.ackDeadline, s.function, timeout)
		assert.LessOrEqual(t, s.ackDeadline, int64(600), "%s: Pub/Sub's ack deadline is at most 600 s", name)
		assert.Positive(t, s.minBackoff, "%s has no retry policy", name)
		assert.Contains(t, topics, s.topic, "%s reads a topic Terraform does not create", name)
		if s.deadLetterTopic == "" {
			assert.True(t, strings.HasSuffix(s.topic, queue.DeadLetterSuffix), "push subscription %s has no dead-letter policy", name)
			assert.Contains(t, pulls[s.topic], queue.HoldSubscription(s.topic), "%s reads a dead-letter topic that has no hold subscription", name)
		} else {
			assert.Contains(t, topics, s.deadLetterTopic, "%s dead-letters to a topic Terraform does not create", name)
			assert.True(t, strings.HasSuffix(s.deadLetterTopic, queue.DeadLetterSuffix), "%s dead-letters to %s", name, s.deadLetterTopic)
			assert.Positive(t, s.maxDeliveryAttempts, "%s", name)
		}
		require.NotEmpty(t, s.oidcAccount.Name, "%s pushes with no OIDC identity", name)
		assert.NotEqual(t, "function", s.oidcAccount.Name, "%s pushes as a function's runtime account", name)
		// A worker subscription's identity is its own; DeadLetter's
		// subscriptions of one region share one (they invoke the same
		// function there), which no other function's subscription uses.
		id := s.oidcAccount.Name + "/" + s.oidcAccount.Key
		if s.resource == "push" {
			require.NotContains(t, oidc, id, "%s and %s share a push identity", oidc[id], name)
			oidc[id] = name
		} else {
			assert.Equal(t, s.region, s.oidcAccount.Key, "%s pushes with another region's identity", name)
		}
	}
	for name, s := range subs {
		if s.resource != "push" {
			id := s.oidcAccount.Name + "/" + s.oidcAccount.Key
			assert.NotContains(t, oidc, id, "%s shares its push identity with %s", name, oidc[id])
		}
	}
	// Every dead-letter topic keeps what lands there, and so does every
	// job-events topic.
	for topic := range topics {
		if strings.HasSuffix(topic, queue.DeadLetterSuffix) || strings.HasPrefix(topic, queue.TopicEvents+"-") {
			assert.Contains(t, pulls[topic], queue.HoldSubscription(topic), "topic %s has no hold subscription: its messages could be lost", topic)
		}
	}
	// Exactly the code's subscriptions, with the code's values.
	want := map[string]bool{}
	for _, r := range testRegions {
		for _, c := range queue.Subscriptions(regionNames(r)) {
			want[c.Name] = true
			s, ok := subs[c.Name]
			if !assert.True(t, ok, "subscription %s of queue.Subscriptions is not in Terraform", c.Name) {
				continue
			}
			assert.Equal(t, c.Topic, s.topic, "%s topic", c.Name)
			assert.Equal(t, c.Function, s.function, "%s function", c.Name)
			assert.Equal(t, r, s.region, "%s pushes to another region", c.Name)
			assert.Equal(t, int64(c.AckDeadline/time.Second), s.ackDeadline, "%s ack deadline", c.Name)
			assert.Equal(t, c.MinBackoff, s.minBackoff, "%s minimum backoff", c.Name)
			assert.Equal(t, c.MaxBackoff, s.maxBackoff, "%s maximum backoff", c.Name)
			assert.Equal(t, c.DeadLetterTopic, s.deadLetterTopic, "%s dead-letter topic", c.Name)
			if c.DeadLetterTopic != "" {
				assert.Equal(t, int64(c.MaxDeliveryAttempts), s.maxDeliveryAttempts, "%s max delivery attempts", c.Name)
			}
		}
	}
	for name := range subs {
		assert.True(t, want[name], "Terraform pushes %s, which queue.Subscriptions does not have", name)
	}
}

// inCode reports whether queue.Functions has a function.
func inCode(name string) bool {
	return slices.ContainsFunc(queue.Functions, func(f queue.Function) bool { return f.Name == name })
}

// topicNames returns the names of every topic Terraform creates.
func topicNames(t *testing.T, d *deployment) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range d.root.resourcesOf("google_pubsub_topic") {
		for _, in := range d.e.instances(t, r) {
			name := stringAttr(t, r.Body, "name", in)
			require.False(t, out[name], "topic %s is declared twice", name)
			out[name] = true
		}
	}
	return out
}

// topicOf resolves an expression that names a topic of this configuration
// (google_pubsub_topic.x[key].id or .name).
func topicOf(t *testing.T, d *deployment, expr hcl.Expression, in instance) string {
	t.Helper()
	r, ok := refTo(t, expr, in, "google_pubsub_topic")
	require.True(t, ok, "%s is not a google_pubsub_topic of this configuration", exprSource(expr))
	res := d.root.resource(t, "google_pubsub_topic", r.Name)
	for _, ti := range d.e.instances(t, res) {
		if ti.Key == r.Key {
			return stringAttr(t, res.Body, "name", ti)
		}
	}
	t.Fatalf("google_pubsub_topic.%s has no instance %q", r.Name, r.Key)
	return ""
}

// subscriptions returns the push subscriptions by name and the pull
// subscriptions by topic.
func subscriptions(t *testing.T, d *deployment, topics map[string]bool) (map[string]*pushSub, map[string][]string) {
	t.Helper()
	push := map[string]*pushSub{}
	pull := map[string][]string{}
	for _, r := range d.root.resourcesOf("google_pubsub_subscription") {
		for _, in := range d.e.instances(t, r) {
			name := stringAttr(t, r.Body, "name", in)
			topic := topicOf(t, d, r.Body.Attributes["topic"].Expr, in)
			pc := block(r.Body, "push_config")
			if pc == nil {
				pull[topic] = append(pull[topic], name)
				continue
			}
			require.NotContains(t, push, name, "subscription %s is declared twice", name)
			s := &pushSub{resource: r.Name, name: name, topic: topic, ackDeadline: numberAttr(t, r.Body, "ack_deadline_seconds", in)}
			endpoint := pc.Attributes["push_endpoint"]
			require.NotNil(t, endpoint, "%s has no push endpoint", name)
			fn, ok := refTo(t, endpoint.Expr, in, "module")
			require.True(t, ok && fn.Name == "function", "%s does not push to a function of module.function", name)
			s.function, s.region, _ = strings.Cut(fn.Key, "/")
			assert.True(t, strings.HasSuffix(exprSource(endpoint.Expr), `/projects/${var.project_id}/topics/${each.value.topic}"`),
				"%s: the push URL must end with /projects/PROJECT/topics/TOPIC so the functions framework knows the topic", name)
			if tmpl, ok := endpoint.Expr.(*hclsyntax.TemplateExpr); ok {
				v, diags := tmpl.Parts[len(tmpl.Parts)-1].Value(in.ctx)
				require.False(t, diags.HasErrors())
				assert.Equal(t, topic, str(v), "%s: the push URL names another topic", name)
			}
			if o := block(pc, "oidc_token"); o != nil {
				s.oidcAccount, _ = refTo(t, o.Attributes["service_account_email"].Expr, in, "google_service_account")
				aud := o.Attributes["audience"]
				require.NotNil(t, aud, "%s: set the OIDC audience to the function's URL", name)
				a, _ := refTo(t, aud.Expr, in, "module")
				assert.Equal(t, fn, a, "%s: the OIDC audience is another function's URL", name)
			}
			if rp := block(r.Body, "retry_policy"); rp != nil {
				s.minBackoff = duration(t, stringAttr(t, rp, "minimum_backoff", in))
				s.maxBackoff = duration(t, stringAttr(t, rp, "maximum_backoff", in))
			}
			if dl := block(r.Body, "dead_letter_policy"); dl != nil {
				s.deadLetterTopic = topicOf(t, d, dl.Attributes["dead_letter_topic"].Expr, in)
				s.maxDeliveryAttempts = numberAttr(t, dl, "max_delivery_attempts", in)
			}
			push[name] = s
		}
	}
	return push, pull
}

// envOf evaluates the environment a function module instance gets; values
// that depend on resources are "?".
func envOf(t *testing.T, m *tfBlock, in instance) map[string]string {
	t.Helper()
	v, ok := attr(t, m.Body, "environment", in)
	require.True(t, ok, "%s passes no environment", m)
	require.True(t, v.IsKnown(), "%s: the environment's names must be known without resources", m)
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		out[k.AsString()] = "?"
		if val.IsKnown() && !val.IsNull() {
			out[k.AsString()] = str(val)
		}
	}
	return out
}

func duration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	require.NoError(t, err)
	return d
}

// mustLiteral evaluates an attribute that needs no context.
func mustLiteral(t *testing.T, body *hclsyntax.Body, name string) cty.Value {
	t.Helper()
	a, ok := body.Attributes[name]
	require.True(t, ok, "no attribute %s", name)
	v, diags := a.Expr.Value(nil)
	require.False(t, diags.HasErrors(), diags.Error())
	return v
}

// exprText is an attribute's expression as written.
func exprText(t *testing.T, a *hclsyntax.Attribute) string {
	t.Helper()
	if a == nil {
		return "<none>"
	}
	return exprSource(a.Expr)
}

func exprSource(expr hcl.Expression) string {
	r := expr.Range()
	b, err := os.ReadFile(r.Filename)
	if err != nil {
		return ""
	}
	return string(r.SliceBytes(b))
}

// stringLiterals returns every literal string of a body (template
// literals included), except in variable validation blocks, which may
// name what they reject.
func stringLiterals(t *testing.T, body *hclsyntax.Body) []string {
	t.Helper()
	var out []string
	for _, a := range body.Attributes {
		diags := hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
			if l, ok := n.(*hclsyntax.LiteralValueExpr); ok && l.Val.Type() == cty.String && l.Val.IsKnown() {
				out = append(out, l.Val.AsString())
			}
			return nil
		})
		require.False(t, diags.HasErrors())
	}
	for _, b := range body.Blocks {
		if b.Type != "validation" {
			out = append(out, stringLiterals(t, b.Body)...)
		}
	}
	return out
}
