package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"

	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/queue"
)

// What each function gets in its environment, checked against what the
// deployed code reads: the env tags of shared/config's Config struct, the
// Env* constants of shared/ai/models and os.Getenv calls with a literal
// name, all read from the Go source (go/ast), so a setting added to the
// code fails these checks until Terraform sets it or envPolicies says why
// it does not.

// envPolicy is how Terraform deploys one setting the code reads. The zero
// value: every function gets it, with the code's default unless a
// variable changes it.
type envPolicy struct {
	// only lists the functions that get it (every function when empty).
	only []string
	// secret: it comes from Secret Manager (secret_environment), never in
	// plain text.
	secret bool
	// optional: set only when a variable asks for it (the code's default
	// applies otherwise); the value optionsDeployment makes it.
	optional string
	// differs says why Terraform's default is not the code's.
	differs string
	// never says why Terraform never sets it.
	never string
	// forbidden: the name must not appear anywhere in terraform/.
	forbidden bool
	// runtime says why Terraform sets a variable the Go runtime reads, not
	// the code.
	runtime string
	// platform: Cloud Run sets it itself (and reserves some such names);
	// the code may read it or not, Terraform never sets it.
	platform bool
	// via names the method functions call to use the setting (such as
	// setup.Env.Canary): only must be exactly the functions whose package
	// calls it.
	via string
}

var envPolicies = map[string]envPolicy{
	"GOOGLE_CLOUD_PROJECT":   {},
	"GCLOUD_PROJECT":         {never: "the older name of GOOGLE_CLOUD_PROJECT, read only when that is unset"},
	"FACTORY_REGION":         {differs: "each region's own name; the code's default is the local stack's"},
	"FACTORY_BUCKET":         {},
	"FACTORY_AI":             {differs: "a deployment uses the real models unless ai_backend says otherwise; the code defaults to the offline backends of the local stack"},
	"FACTORY_TOPIC_SUFFIX":   {},
	"FACTORY_PUBLIC_URL":     {},
	"FACTORY_RETENTION":      {},
	"FACTORY_MAX_BODY_BYTES": {},
	"FACTORY_URL_TTL":        {},
	"FACTORY_MAX_ATTEMPTS":   {},
	"FACTORY_MAX_REPAIRS":    {},
	"FACTORY_QUALITY_THRESHOLDS": {never: "read by the text step only; its default (0.6 for every text format) is the one the quality scores are " +
		"measured against, and Terraform has no variable that changes it"},
	"FACTORY_LEASE_MARGIN":     {},
	"FACTORY_RATE_PER_MINUTE":  {},
	"FACTORY_BURST":            {},
	"FACTORY_MAX_RUNNING":      {},
	"FACTORY_DAILY_BUDGET_USD": {},
	"FACTORY_MAX_SOURCES":      {},
	"FACTORY_MAX_SOURCE_BYTES": {},
	"FACTORY_MAX_SOURCE_CHARS": {},
	"FACTORY_UPLOAD_TTL":       {},
	"FACTORY_JOB_DEADLINE":     {optional: "3h"},
	"FACTORY_SWEEP_STALE":      {optional: "15m"},
	"FACTORY_KEY_CACHE_TTL":    {optional: "1m"},
	"FACTORY_REVIEW_TTL":       {optional: "72h"},
	"FACTORY_CACHE_TTL":        {optional: "12h"},
	"FACTORY_STEP_TIMEOUT": {never: "its default, each function's own timeout less a margin, suits every function; " +
		"one value for all would cut the audio step short or leave others too long"},
	"FACTORY_PUSH_SHARDS": {never: "the local stack's way around the Pub/Sub emulator's two pushes at a time per subscription; " +
		"Pub/Sub pushes as many as a function takes"},
	"FACTORY_CHAOS_CRASH_AFTER_CALL": {never: "fault injection for the chaos soak: it makes workers crash on purpose", forbidden: true},
	"FACTORY_TEST_LINKS":             {never: "the local stack's test seam: it lets the link fetcher reach a server on loopback", forbidden: true},
	"FACTORY_CORS_ORIGINS":           {only: []string{"API"}, optional: "https://app.example.com"},
	"FACTORY_ID_TOKEN_AUDIENCE":      {only: []string{"API"}, optional: "https://factory.example.com"},
	"FACTORY_MAX_STREAMS": {never: "its default (50 event streams an API instance) sits under the API's request concurrency (80) " +
		"that Terraform sets; change both together"},
	"FACTORY_SWEEP_AUDIENCE":   {only: []string{"Sweep"}},
	"FACTORY_SWEEP_INVOKERS":   {only: []string{"Sweep"}},
	"FACTORY_WEBHOOK_SECRET":   {only: []string{"NotifyJob"}, secret: true},
	"FACTORY_CANARY_SECRET":    {only: []string{"GenerateText", "GenerateImage"}, secret: true, via: "Canary"},
	"FACTORY_SIGNING_KEY_FILE": {never: "on Google Cloud the API's service account signs download URLs through IAM, with no key"},
	"FACTORY_SIGNING_ACCOUNT":  {never: "on Google Cloud the API's service account signs download URLs through IAM, with no key"},
	"FACTORY_ESPEAK":           {never: "the path of the offline speech engine, which the functions' runtime image lacks"},
	"FACTORY_LAME":             {never: "the path of the offline podcast's MP3 encoder, which the functions' runtime image lacks"},
	"STORAGE_EMULATOR_HOST":    {never: "the local storage emulator"},
	"FACTORY_TEXT_MODEL":       {},
	"FACTORY_IMAGE_MODEL":      {},
	"FACTORY_VERTEX_PROJECT":   {},
	"FACTORY_VERTEX_LOCATION":  {},
	"FACTORY_MODELS":           {never: "a file of model settings; the deployment sets the few it changes one by one, and the rest in FACTORY_MODELS_JSON"},
	"FACTORY_MODELS_JSON":      {optional: modelOverrides},
	"FACTORY_VERTEX_BASE_URL":  {never: "points the Vertex AI backend at a fake in tests"},
	"FACTORY_CLAUDE_BASE_URL":  {never: "points the Claude backend at a fake in tests"},
	"FACTORY_OPENAI_BASE_URL":  {never: "points the OpenAI-compatible backend at a fake in tests"},
	"FACTORY_TTS_ENDPOINT":     {never: "points the Text-to-Speech backend at a fake in tests"},
	"FACTORY_TTS_INSECURE":     {never: "points the Text-to-Speech backend at a fake in tests"},
	"LOG_LEVEL":                {},
	"FACTORY_TRACES":           {},
	"FACTORY_METRICS":          {},

	// Set by Cloud Run functions on every instance.
	"GOMEMLIMIT": {runtime: "the Go runtime's soft memory limit, 90% of the function's instance memory (local.gomemlimit), " +
		"so the collector works harder as an instance fills up instead of the instance running out of memory"},
	"FUNCTION_TARGET": {never: "Cloud Run functions sets it to the entry point", platform: true},
	"K_SERVICE":       {never: "Cloud Run sets it to the service's name", platform: true},
	"K_REVISION":      {never: "Cloud Run sets it to the revision's name", platform: true},
	"PORT":            {never: "Cloud Run sets it, and reserves the name", platform: true},
}

// modelOverrides is a models configuration a deployment merges over the
// defaults: Claude behind Gemini for every format.
const modelOverrides = `{"text": {"default": {"fallback": [{"backend": "claude", "model": "claude-sonnet-4-5@20250929"}]}}}`

// optionsDeployment sets every variable that turns on an optional
// setting (envPolicy.optional gives the values it leads to).
func optionsDeployment(t *testing.T) *deployment {
	t.Helper()
	return newDeployment(t, "options", map[string]cty.Value{
		"id_token_audience": cty.StringVal("https://factory.example.com"),
		"cors_origins":      cty.ListVal([]cty.Value{cty.StringVal("https://factory.example.com"), cty.StringVal("https://app.example.com")}),
		"models":            cty.ObjectVal(map[string]cty.Value{"overrides": cty.StringVal(modelOverrides)}),
		"limits": cty.ObjectVal(map[string]cty.Value{
			"job_deadline":  cty.StringVal("3h"),
			"sweep_stale":   cty.StringVal("15m"),
			"key_cache_ttl": cty.StringVal("1m"),
			"review_ttl":    cty.StringVal("72h"),
			"cache_ttl":     cty.StringVal("12h"),
		}),
	})
}

// codeSetting is an environment variable the deployed code reads.
type codeSetting struct {
	from       string // where, for messages
	typ        string // its Go type, when a struct field
	def        string // its default
	hasDefault bool
}

// settingsInCode returns the environment variables the deployed code
// reads: the env tags of config.Config, the Env* constants of
// shared/ai/models and every os.Getenv or os.LookupEnv of a literal name
// under shared/ and functions/ (test files and the packages that are not
// deployed aside).
func settingsInCode(t *testing.T) map[string]codeSetting {
	t.Helper()
	out := map[string]codeSetting{}
	add := func(name string, s codeSetting) {
		if prev, ok := out[name]; ok {
			if !s.hasDefault {
				s.hasDefault, s.def, s.typ = prev.hasDefault, prev.def, prev.typ
			}
			s.from = prev.from + ", " + s.from
		}
		out[name] = s
	}

	// config.Config: `env:"NAME, default=VALUE"` (sethvargo/go-envconfig:
	// the default is the rest of the tag).
	fset := token.NewFileSet()
	cfgFile := filepath.Join(repoRoot, "shared", "config", "config.go")
	f, err := parser.ParseFile(fset, cfgFile, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	fields := 0
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Config" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		require.True(t, ok, "config.Config is not a struct")
		for _, fld := range st.Fields.List {
			if fld.Tag == nil {
				continue
			}
			tag, err := strconv.Unquote(fld.Tag.Value)
			require.NoError(t, err)
			env, ok := reflect.StructTag(tag).Lookup("env")
			if !ok {
				continue
			}
			name, opts, _ := strings.Cut(env, ",")
			_, def, hasDefault := strings.Cut(opts, "default=")
			for _, id := range fld.Names {
				add(strings.TrimSpace(name), codeSetting{from: "config.Config." + id.Name, typ: types.ExprString(fld.Type), def: def, hasDefault: hasDefault})
				fields++
			}
		}
		return false
	})
	require.Greater(t, fields, 20, "env tags of config.Config found in %s", cfgFile)

	// shared/ai/models: const EnvX = "NAME", with defaults from the
	// embedded defaults file where Terraform sets them.
	modelDefaults := map[string]string{
		models.EnvTextModel:      models.Defaults().Text.Default.Model,
		models.EnvImageModel:     models.Defaults().Image.Model,
		models.EnvVertexLocation: models.Defaults().Vertex.Location,
	}
	envConsts := 0
	for _, file := range goFiles(t, filepath.Join(repoRoot, "shared", "ai", "models")) {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Env") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					require.True(t, ok && lit.Kind == token.STRING, "models.%s is not a string literal", id.Name)
					name, _ := strconv.Unquote(lit.Value)
					def, hasDefault := modelDefaults[name]
					add(name, codeSetting{from: "models." + id.Name, typ: "string", def: def, hasDefault: hasDefault})
					envConsts++
				}
			}
		}
	}
	require.GreaterOrEqual(t, envConsts, 4, "Env constants of shared/ai/models")

	// os.Getenv(NAME) and os.LookupEnv(NAME) anywhere deployed, NAME a
	// literal or a string constant (of the package, or pkg.Const).
	parsed := map[string]*ast.File{}
	consts := map[string]string{} // "pkg.Name" => value
	for _, dir := range []string{"shared", "functions"} {
		for _, file := range goFiles(t, filepath.Join(repoRoot, dir)) {
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			require.NoError(t, err)
			parsed[file] = f
			maps.Copy(consts, stringConsts(f))
		}
	}
	for file, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "os" {
				return true
			}
			var name string
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				name, _ = strconv.Unquote(a.Value)
			case *ast.Ident:
				name = consts[f.Name.Name+"."+a.Name]
			case *ast.SelectorExpr:
				if x, ok := a.X.(*ast.Ident); ok {
					name = consts[x.Name+"."+a.Sel.Name]
				}
			}
			rel, _ := filepath.Rel(repoRoot, file)
			require.NotEmpty(t, name, "%s reads an environment variable test/deploy cannot name: use a literal or a string constant", fset.Position(call.Pos()))
			add(name, codeSetting{from: rel})
			return true
		})
	}
	return out
}

// stringConsts returns the string constants of a file, as "pkg.Name".
func stringConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[f.Name.Name+"."+id.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return out
}

// notDeployed are the folders of shared/ that no function's staged
// source holds (stage_test.go checks).
var notDeployed = []string{"devstack", "testenv"}

// goFiles returns the non-test Go files under a folder, the folders of
// notDeployed aside.
func goFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() && slices.Contains(notDeployed, de.Name()) {
			return filepath.SkipDir
		}
		if !de.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			out = append(out, path)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// envValue is one environment variable of a function instance.
type envValue struct {
	value  string // "" when not known without resources
	known  bool
	secret bool // from Secret Manager: value is the secret's id
}

// functionEnv is the environment of one function instance.
type functionEnv struct {
	name, region string
	env          map[string]envValue
}

// environments evaluates the environment of every function instance,
// keyed "Name/region".
func environments(t *testing.T, d *deployment) map[string]functionEnv {
	t.Helper()
	fn := functionModule(t, d)
	secrets := d.e.local(t, "function_secrets")
	out := map[string]functionEnv{}
	for _, in := range d.e.instances(t, fn) {
		fe := functionEnv{name: stringAttr(t, fn.Body, "entry_point", in), region: stringAttr(t, fn.Body, "region", in), env: map[string]envValue{}}
		v, ok := attr(t, fn.Body, "environment", in)
		require.True(t, ok, "module function gets no environment")
		require.True(t, v.IsKnown(), "%s: the environment's names must be known without resources", in.Key)
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			ev := envValue{}
			if val.IsKnown() && !val.IsNull() {
				ev.value, ev.known = str(val), true
			}
			fe.env[k.AsString()] = ev
		}
		sv, ok := attr(t, fn.Body, "secret_environment", in)
		require.True(t, ok, "module function gets no secret_environment")
		require.True(t, sv.IsKnown(), "%s: the secret environment's names must be known without resources", in.Key)
		var ids map[string]string
		if secrets.Type().HasAttribute(fe.name) {
			ids = map[string]string{}
			for it := secrets.GetAttr(fe.name).ElementIterator(); it.Next(); {
				k, id := it.Element()
				ids[k.AsString()] = str(id)
			}
		}
		for _, k := range objectKeys(sv) {
			require.NotContains(t, fe.env, k, "%s gets %s both in plain text and from Secret Manager", in.Key, k)
			require.Contains(t, ids, k, "%s reads %s from a secret that local.function_secrets does not name", in.Key, k)
			fe.env[k] = envValue{value: ids[k], known: true, secret: true}
		}
		assert.Len(t, objectKeys(sv), len(ids), "%s: secret_environment is not local.function_secrets", in.Key)
		out[in.Key] = fe
	}
	require.NotEmpty(t, out)
	return out
}

// TestTerraformSetsOnlyKnownEnvironment: Terraform sets only variables
// the deployed code reads, each on the functions that need it, secrets
// from Secret Manager, with the code's defaults unless a variable changes
// them; every setting of the code is set or deliberately left unset
// (envPolicies says why), so a new setting cannot be forgotten silently
// and a renamed one is not silently ignored.
func TestTerraformSetsOnlyKnownEnvironment(t *testing.T) {
	code := settingsInCode(t)
	for name, p := range envPolicies {
		_, ok := code[name]
		assert.True(t, ok || p.platform || p.runtime != "", "envPolicies lists %s, which no deployed code reads any more: remove it (and from terraform/)", name)
		assert.False(t, p.never != "" && (p.optional != "" || p.secret || len(p.only) > 0), "envPolicies: %s is never set, so it has nothing else", name)
	}
	for name, s := range code {
		p, ok := envPolicies[name]
		if !assert.True(t, ok, "%s reads %s, which Terraform neither sets nor lists as deliberately unset: set it in terraform/functions.tf "+
			"(a secret through local.function_secrets) and add it to envPolicies in test/deploy/env_test.go, or say there why production leaves it unset", s.from, name) {
			continue
		}
		if strings.HasSuffix(name, "_SECRET") && p.never == "" {
			assert.True(t, p.secret, "%s is a secret: it must come from Secret Manager (local.function_secrets), not the plain environment", name)
		}
		if p.via != "" {
			assert.ElementsMatch(t, functionsCalling(t, p.via), p.only, "the functions that call %s, and so read %s", p.via, name)
		}
	}

	base := environments(t, defaultDeployment(t))
	options := environments(t, optionsDeployment(t))
	for _, c := range []struct {
		name string
		envs map[string]functionEnv
	}{{"defaults", base}, {"options", options}} {
		for key, fe := range c.envs {
			for name, v := range fe.env {
				p, ok := envPolicies[name]
				if _, read := code[name]; !ok || (!read && !p.platform && p.runtime == "") {
					assert.Fail(t, "unread environment variable", "%s: Terraform sets %s on %s, which no deployed code reads", c.name, name, key)
					continue
				}
				if p.never != "" {
					assert.Fail(t, "environment variable that must stay unset", "%s: Terraform sets %s on %s: %s", c.name, name, key, p.never)
				}
				if len(p.only) > 0 {
					assert.Contains(t, p.only, fe.name, "%s: Terraform gives %s to %s; only %v read it", c.name, name, key, p.only)
				}
				if p.secret {
					assert.True(t, v.secret, "%s: %s gets %s in plain text: it must come from Secret Manager (local.function_secrets)", c.name, key, name)
				} else {
					assert.False(t, v.secret, "%s: %s reads %s from Secret Manager, which envPolicies does not expect", c.name, key, name)
				}
			}
		}
	}

	// What every function (or each of policy.only) gets, and what only the
	// options turn on.
	for name, p := range envPolicies {
		if p.never != "" {
			continue
		}
		for key, fe := range base {
			if len(p.only) > 0 && !slices.Contains(p.only, fe.name) {
				continue
			}
			if p.optional == "" {
				assert.Contains(t, fe.env, name, "%s does not get %s", key, name)
				continue
			}
			assert.NotContains(t, fe.env, name, "%s gets %s though no variable asks for it (left unset, the code's default applies)", key, name)
			v, ok := options[key].env[name]
			if assert.True(t, ok, "%s does not get %s when its variable is set", key, name) {
				assert.Equal(t, p.optional, v.value, "%s: %s", key, name)
			}
		}
	}

	// The code's defaults, unless a policy says why not.
	for key, fe := range base {
		for name, v := range fe.env {
			s, p := code[name], envPolicies[name]
			if !s.hasDefault || p.differs != "" || !v.known {
				continue
			}
			assert.True(t, sameSetting(t, s.typ, s.def, v.value), "%s gets %s=%q by default, but the code's default (%s) is %q: make the variable's default the code's, or say in envPolicies why it differs",
				key, name, v.value, s.from, s.def)
		}
	}
}

// functionsCalling returns the functions of queue.Functions whose package
// (functions/<pkg>, test files aside) calls a function or method of a
// name.
func functionsCalling(t *testing.T, method string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, fn := range queue.Functions {
		calls := false
		for _, path := range goFiles(t, filepath.Join(repoRoot, "functions", fn.Package)) {
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == method {
						calls = true
					}
				}
				return !calls
			})
		}
		if calls {
			out = append(out, fn.Name)
		}
	}
	return out
}

// sameSetting reports whether two values of a setting mean the same.
func sameSetting(t *testing.T, typ, a, b string) bool {
	t.Helper()
	switch typ {
	case "time.Duration":
		da, errA := time.ParseDuration(a)
		db, errB := time.ParseDuration(b)
		return errA == nil && errB == nil && da == db
	case "int", "int64", "float64":
		fa, errA := strconv.ParseFloat(a, 64)
		fb, errB := strconv.ParseFloat(b, 64)
		return errA == nil && errB == nil && fa == fb
	case "string", "[]string":
		return a == b
	}
	t.Fatalf("a setting of type %s: teach sameSetting to compare it", typ)
	return false
}

// TestTerraformNeverMentionsForbiddenSettings: a setting that must never
// reach production (the chaos soak's fault injection) appears nowhere in
// terraform/: no attribute, key or string of any .tf or .tfvars file
// names it, so no variable can switch it on either.
func TestTerraformNeverMentionsForbiddenSettings(t *testing.T) {
	var forbidden []string
	for name, p := range envPolicies {
		if p.forbidden {
			forbidden = append(forbidden, name)
		}
	}
	require.NotEmpty(t, forbidden)
	checked := 0
	err := filepath.WalkDir(tfDir(), func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() && strings.HasPrefix(de.Name(), ".") && path != tfDir() {
			return filepath.SkipDir
		}
		if de.IsDir() || !(strings.HasSuffix(path, ".tf") || strings.HasSuffix(path, ".tfvars")) {
			return nil
		}
		f, diags := hclparse.NewParser().ParseHCLFile(path)
		require.False(t, diags.HasErrors(), "%s: %s", path, diags.Error())
		for _, word := range hclWords(f.Body.(*hclsyntax.Body)) {
			for _, name := range forbidden {
				assert.NotContains(t, word, name, "%s sets or names %s: %s", path, name, envPolicies[name].never)
			}
		}
		checked++
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 10, "files checked")
	for _, d := range []*deployment{defaultDeployment(t), optionsDeployment(t)} {
		for key, fe := range environments(t, d) {
			for _, name := range forbidden {
				assert.NotContains(t, fe.env, name, "%s: %s gets %s", d.name, key, name)
			}
		}
	}
}

// hclWords returns every name and string of a body: attribute names,
// block types and labels, object keys, variable names and string
// literals (comments aside).
func hclWords(body *hclsyntax.Body) []string {
	var out []string
	for name, a := range body.Attributes {
		out = append(out, name)
		hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
			switch n := n.(type) {
			case *hclsyntax.LiteralValueExpr:
				if n.Val.Type() == cty.String && n.Val.IsKnown() && !n.Val.IsNull() {
					out = append(out, n.Val.AsString())
				}
			case *hclsyntax.ScopeTraversalExpr:
				for _, s := range n.Traversal {
					switch s := s.(type) {
					case hcl.TraverseRoot:
						out = append(out, s.Name)
					case hcl.TraverseAttr:
						out = append(out, s.Name)
					}
				}
			}
			return nil
		})
	}
	for _, b := range body.Blocks {
		out = append(out, b.Type)
		out = append(out, b.Labels...)
		out = append(out, hclWords(b.Body)...)
	}
	return out
}

// TestTerraformSweepAcceptsOnlyTheScheduler: Cloud Scheduler calls every
// scheduled function (Sweep) in the first region with an OIDC token of
// its own account, for the audience the function accepts; the function
// accepts exactly that account (FACTORY_SWEEP_INVOKERS) and audience
// (FACTORY_SWEEP_AUDIENCE, its deterministic URL in each region).
func TestTerraformSweepAcceptsOnlyTheScheduler(t *testing.T) {
	d := defaultDeployment(t)
	envs := environments(t, d)
	functions := d.e.local(t, "functions")
	var scheduled []string
	for _, name := range objectKeys(functions) {
		if functions.GetAttr(name).GetAttr("scheduled").True() {
			scheduled = append(scheduled, name)
		}
	}
	require.Contains(t, scheduled, "Sweep")

	accounts := map[string]string{} // function => scheduler account email
	sa := d.root.resource(t, "google_service_account", "scheduler")
	for _, in := range d.e.instances(t, sa) {
		accounts[in.Key] = stringAttr(t, sa.Body, "account_id", in) + "@factory-test.iam.gserviceaccount.com"
	}
	job := d.root.resource(t, "google_cloud_scheduler_job", "function")
	var jobs []string
	minutes := map[string]bool{}
	for _, in := range d.e.instances(t, job) {
		name, region, _ := strings.Cut(in.Key, "/")
		jobs = append(jobs, in.Key)
		assert.Equal(t, region, stringAttr(t, job.Body, "region", in), "the scheduler job of %s runs in its region", in.Key)
		schedule := stringAttr(t, job.Body, "schedule", in)
		minute, _, _ := strings.Cut(schedule, "-")
		assert.False(t, minutes[name+minute], "%s: two regions' sweeps start at the same minute (%s)", in.Key, schedule)
		minutes[name+minute] = true
		ht := block(job.Body, "http_target")
		require.NotNil(t, ht, "%s has no http_target", in.Key)
		uri, ok := refTo(t, ht.Attributes["uri"].Expr, in, "module")
		assert.True(t, ok && uri.Name == "function" && uri.Key == in.Key, "the scheduler job %s calls %v", in.Key, uri)
		o := block(ht, "oidc_token")
		require.NotNil(t, o, "the scheduler calls %s without an OIDC token", in.Key)
		acct, ok := refTo(t, o.Attributes["service_account_email"].Expr, in, "google_service_account")
		assert.True(t, ok && acct.Name == "scheduler" && acct.Key == name, "the scheduler calls %s as %v, not as its own account", in.Key, acct)
		assert.Equal(t, envs[in.Key].env["FACTORY_SWEEP_AUDIENCE"].value, stringAttr(t, o, "audience", in),
			"the scheduler's OIDC audience is not the FACTORY_SWEEP_AUDIENCE %s accepts", in.Key)
		env := envs[in.Key].env
		service := str(functions.GetAttr(name).GetAttr("service_name"))
		assert.Equal(t, fmt.Sprintf("https://%s-123456789.%s.run.app", service, region), env["FACTORY_SWEEP_AUDIENCE"].value,
			"%s: FACTORY_SWEEP_AUDIENCE is not the service's deterministic URL", in.Key)
		assert.Equal(t, accounts[name], env["FACTORY_SWEEP_INVOKERS"].value, "%s: FACTORY_SWEEP_INVOKERS is not the scheduler's account", in.Key)
	}
	var want []string
	for _, name := range scheduled {
		for _, r := range testRegions {
			want = append(want, name+"/"+r)
		}
	}
	assert.ElementsMatch(t, want, jobs, "a scheduler job for every scheduled function in every region")

	// Who may invoke each function: the load balancer's callers the API
	// only, the scheduler the scheduled functions only, the push
	// identities the event functions only.
	fn := functionModule(t, d)
	for _, in := range d.e.instances(t, fn) {
		name := stringAttr(t, fn.Body, "entry_point", in)
		v, ok := attr(t, fn.Body, "invokers", in)
		require.True(t, ok && v.IsKnown(), "%s: invokers must be known at plan time", in.Key)
		f := queue.Functions[slices.IndexFunc(queue.Functions, func(f queue.Function) bool { return f.Name == name })]
		want := []string{"pubsub_push"}
		switch {
		case name == "API":
			want = []string{"public"}
		case !f.Event():
			want = []string{"scheduler"}
		}
		assert.Equal(t, want, objectKeys(v), "who may invoke %s", in.Key)
	}
}

// TestTerraformFunctionsReadOnlyTheirSecrets: a function may read exactly
// the secrets it gets in its environment, each a secret Terraform makes.
func TestTerraformFunctionsReadOnlyTheirSecrets(t *testing.T) {
	d := defaultDeployment(t)
	secret := d.root.resource(t, "google_secret_manager_secret", "secret")
	ids := map[string]bool{}
	for _, in := range d.e.instances(t, secret) {
		ids[stringAttr(t, secret.Body, "secret_id", in)] = true
	}
	used := map[string]bool{} // "secret|Function"
	for key, fe := range environments(t, d) {
		for name, v := range fe.env {
			if v.secret {
				assert.True(t, ids[v.value], "%s reads %s from secret %q, which Terraform does not make", key, name, v.value)
				used[v.value+"|"+fe.name] = true
			}
		}
	}
	require.Contains(t, used, "webhook-signing-key|NotifyJob")
	reader := d.root.resource(t, "google_secret_manager_secret_iam_member", "reader")
	granted := map[string]bool{}
	for _, in := range d.e.instances(t, reader) {
		assert.Equal(t, "roles/secretmanager.secretAccessor", stringAttr(t, reader.Body, "role", in), "%s", in.Key)
		id, who, _ := strings.Cut(in.Key, "|")
		r, ok := refTo(t, reader.Body.Attributes["secret_id"].Expr, in, "google_secret_manager_secret")
		assert.True(t, ok && r.Key == id, "reader %s is granted another secret (%v)", in.Key, r)
		if inCode(who) {
			granted[in.Key] = true
			assert.True(t, used[in.Key], "%s may read secret %s, which it does not get in its environment", who, id)
		}
	}
	for k := range used {
		assert.True(t, granted[k], "%s: the function reads a secret it may not access", k)
	}
}

// TestEveryFunctionHasAGoMemoryLimitBelowItsMemory: GOMEMLIMIT is 90% of
// the instance memory of each function, sizing overrides included, in
// every unit Cloud Run accepts.
func TestEveryFunctionHasAGoMemoryLimitBelowItsMemory(t *testing.T) {
	mib := map[string]float64{"Mi": 1, "Gi": 1024, "M": 1e6 / (1 << 20), "G": 1e9 / (1 << 20)}
	sized := newDeployment(t, "sizing", map[string]cty.Value{"function_overrides": cty.MapVal(map[string]cty.Value{
		"API":             cty.ObjectVal(map[string]cty.Value{"memory": cty.StringVal("768Mi")}),
		"GenerateText":    cty.ObjectVal(map[string]cty.Value{"memory": cty.StringVal("4G")}),
		"SynthesizeAudio": cty.ObjectVal(map[string]cty.Value{"memory": cty.StringVal("4Gi")}),
		"Sweep":           cty.ObjectVal(map[string]cty.Value{"memory": cty.StringVal("600M")}),
	})})
	seen := map[string]bool{}
	for _, d := range []*deployment{defaultDeployment(t), sized} {
		functions := d.e.local(t, "functions")
		for key, fe := range environments(t, d) {
			memory := str(functions.GetAttr(fe.name).GetAttr("memory"))
			n, unit := strings.TrimRight(memory, "MGi"), strings.TrimLeft(memory, "0123456789.")
			size, err := strconv.ParseFloat(n, 64)
			require.NoError(t, err, "%s: memory %q", key, memory)
			require.Contains(t, mib, unit, "%s: memory %q", key, memory)
			limit := fe.env["GOMEMLIMIT"]
			assert.Equal(t, fmt.Sprintf("%dMiB", int(0.9*size*mib[unit])), limit.value, "%s (memory %s)", key, memory)
			seen[unit] = true
		}
	}
	assert.Len(t, seen, len(mib), "every unit was tried")
}
