// Package deploy tests what deploys the factory: the staged function
// folders (scripts/stage) and the Terraform configuration (terraform/),
// which must deploy exactly what the code declares in queue.Functions,
// queue.Subscriptions and queue.Topics, with the security rules the design
// asks for.
//
// The Terraform checks parse the configuration with hcl/v2 and evaluate
// the parts they need (variables, locals, for_each, attributes) with a
// small evaluator: references to resources and modules are unknown, and
// a reference such as google_pubsub_topic.dead_letter[each.key].id is
// resolved by evaluating its index. They need neither Terraform nor the
// Google provider; validate_test.go runs Terraform itself.
package deploy

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// repoRoot is the repository, seen from this package's folder.
const repoRoot = "../.."

// tfDir is the Terraform configuration the checks read: terraform/, or
// the folder FACTORY_TF_DIR names (policy_test.go checks broken copies).
func tfDir() string {
	if d := os.Getenv("FACTORY_TF_DIR"); d != "" {
		return d
	}
	return filepath.Join(repoRoot, "terraform")
}

// tfModule is one parsed Terraform module (a folder of .tf files).
type tfModule struct {
	dir       string
	files     map[string]*hclsyntax.Body
	variables map[string]*hclsyntax.Block
	locals    map[string]hcl.Expression
	resources []*tfBlock
	modules   []*tfBlock
}

// tfBlock is a resource ("type", "name") or a module call ("name").
type tfBlock struct {
	Type, Name string
	File       string
	Body       *hclsyntax.Body
}

func (b *tfBlock) String() string {
	if b.Type == "" {
		return "module." + b.Name
	}
	return b.Type + "." + b.Name
}

// parseModule reads every .tf file of a folder.
func parseModule(t *testing.T, dir string) *tfModule {
	t.Helper()
	m := &tfModule{dir: dir, files: map[string]*hclsyntax.Body{}, variables: map[string]*hclsyntax.Block{}, locals: map[string]hcl.Expression{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	require.NoError(t, err)
	require.NotEmpty(t, names, "no .tf files in %s", dir)
	p := hclparse.NewParser()
	for _, name := range names {
		f, diags := p.ParseHCLFile(name)
		require.False(t, diags.HasErrors(), "%s: %s", name, diags.Error())
		body := f.Body.(*hclsyntax.Body)
		m.files[filepath.Base(name)] = body
		for _, b := range body.Blocks {
			switch b.Type {
			case "variable":
				m.variables[b.Labels[0]] = b
			case "locals":
				for name, a := range b.Body.Attributes {
					require.NotContains(t, m.locals, name, "local %s is defined twice", name)
					m.locals[name] = a.Expr
				}
			case "resource":
				m.resources = append(m.resources, &tfBlock{Type: b.Labels[0], Name: b.Labels[1], File: filepath.Base(name), Body: b.Body})
			case "module":
				m.modules = append(m.modules, &tfBlock{Name: b.Labels[0], File: filepath.Base(name), Body: b.Body})
			}
		}
	}
	return m
}

// resourcesOf returns the module's resources of a type.
func (m *tfModule) resourcesOf(typ string) []*tfBlock {
	var out []*tfBlock
	for _, r := range m.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// resource returns one resource.
func (m *tfModule) resource(t *testing.T, typ, name string) *tfBlock {
	t.Helper()
	for _, r := range m.resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	t.Fatalf("%s has no resource %s.%s", m.dir, typ, name)
	return nil
}

// evaluator evaluates expressions of a module with given variables.
type evaluator struct {
	m   *tfModule
	ctx *hcl.EvalContext
}

// newEvaluator evaluates the module's variables (defaults, with optional
// attributes filled in, then overrides) and its locals. Variables with no
// default and no override, and locals that depend on resources, are
// unknown.
func newEvaluator(t *testing.T, m *tfModule, overrides map[string]cty.Value) *evaluator {
	t.Helper()
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: tfFunctions()}
	vars := map[string]cty.Value{}
	for name, b := range m.variables {
		ty := cty.DynamicPseudoType
		var defaults *typeexpr.Defaults
		if a, ok := b.Body.Attributes["type"]; ok {
			var diags hcl.Diagnostics
			ty, defaults, diags = typeexpr.TypeConstraintWithDefaults(a.Expr)
			require.False(t, diags.HasErrors(), "variable %s: %s", name, diags.Error())
		}
		v := cty.UnknownVal(ty)
		if a, ok := b.Body.Attributes["default"]; ok {
			d, diags := a.Expr.Value(nil)
			require.False(t, diags.HasErrors(), "variable %s: %s", name, diags.Error())
			v = d
		}
		if o, ok := overrides[name]; ok {
			v = o
		}
		if defaults != nil && v.IsKnown() && !v.IsNull() {
			v = defaults.Apply(v)
		}
		if v.IsKnown() && !v.IsNull() {
			c, err := convert.Convert(v, ty)
			require.NoError(t, err, "variable %s", name)
			v = c
		}
		vars[name] = v
	}
	for name := range overrides {
		require.Contains(t, vars, name, "override of an undeclared variable")
	}
	ctx.Variables["var"] = cty.ObjectVal(vars)
	ctx.Variables["path"] = cty.ObjectVal(map[string]cty.Value{
		"root": cty.StringVal("."), "module": cty.StringVal("."), "cwd": cty.StringVal("."),
	})
	for _, r := range m.resources {
		ctx.Variables[r.Type] = cty.DynamicVal
	}
	for _, root := range []string{"data", "module", "terraform"} {
		ctx.Variables[root] = cty.DynamicVal
	}
	// Locals: evaluate until nothing more resolves; what never does (a
	// cycle through a resource, say) is unknown.
	locals := map[string]cty.Value{}
	for {
		progress := false
		for name, expr := range m.locals {
			if _, done := locals[name]; done {
				continue
			}
			ctx.Variables["local"] = cty.ObjectVal(locals)
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				continue
			}
			locals[name] = v
			progress = true
		}
		if !progress {
			break
		}
	}
	for name := range m.locals {
		if _, ok := locals[name]; !ok {
			locals[name] = cty.DynamicVal
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return &evaluator{m: m, ctx: ctx}
}

// local returns a local value, which must be known.
func (e *evaluator) local(t *testing.T, name string) cty.Value {
	t.Helper()
	v := e.ctx.Variables["local"].GetAttr(name)
	require.True(t, v.IsWhollyKnown(), "local.%s cannot be evaluated without resources", name)
	return v
}

// instance is one instance of a resource or module call: its for_each
// key and value (or none) and the context to evaluate its attributes in.
type instance struct {
	Key string
	ctx *hcl.EvalContext
}

// instances expands a block's for_each (or count, or neither).
func (e *evaluator) instances(t *testing.T, b *tfBlock) []instance {
	t.Helper()
	if a, ok := b.Body.Attributes["for_each"]; ok {
		v, diags := a.Expr.Value(e.ctx)
		require.False(t, diags.HasErrors(), "%s for_each: %s", b, diags.Error())
		require.True(t, v.IsWhollyKnown() || keysKnown(v), "%s: for_each must be known at plan time", b)
		var out []instance
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if v.Type().IsSetType() {
				k = val
			}
			ctx := e.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": val})}
			out = append(out, instance{Key: k.AsString(), ctx: ctx})
		}
		return out
	}
	if a, ok := b.Body.Attributes["count"]; ok {
		v, diags := a.Expr.Value(e.ctx)
		require.False(t, diags.HasErrors(), "%s count: %s", b, diags.Error())
		n, _ := v.AsBigFloat().Int64()
		var out []instance
		for i := range n {
			ctx := e.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(i)})}
			out = append(out, instance{Key: fmt.Sprint(i), ctx: ctx})
		}
		return out
	}
	return []instance{{ctx: e.ctx}}
}

func keysKnown(v cty.Value) bool {
	if !v.IsKnown() {
		return false
	}
	return v.Type().IsObjectType() || v.Type().IsMapType()
}

// attr evaluates an attribute of a body in an instance's context; ok is
// false when the body has no such attribute.
func attr(t *testing.T, body *hclsyntax.Body, name string, in instance) (v cty.Value, ok bool) {
	t.Helper()
	a, ok := body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(in.ctx)
	require.False(t, diags.HasErrors(), "attribute %s: %s", name, diags.Error())
	return v, true
}

// stringAttr evaluates an attribute that must be a known string.
func stringAttr(t *testing.T, body *hclsyntax.Body, name string, in instance) string {
	t.Helper()
	v, ok := attr(t, body, name, in)
	require.True(t, ok, "no attribute %s", name)
	require.True(t, v.IsKnown() && !v.IsNull(), "attribute %s is not known", name)
	s, err := convert.Convert(v, cty.String)
	require.NoError(t, err)
	return s.AsString()
}

// numberAttr evaluates an attribute that must be a known number.
func numberAttr(t *testing.T, body *hclsyntax.Body, name string, in instance) int64 {
	t.Helper()
	v, ok := attr(t, body, name, in)
	require.True(t, ok, "no attribute %s", name)
	require.True(t, v.IsKnown() && !v.IsNull(), "attribute %s is not known", name)
	n, err := convert.Convert(v, cty.Number)
	require.NoError(t, err)
	i, _ := n.AsBigFloat().Int64()
	return i
}

// block returns a body's only nested block of a type, or nil.
func block(body *hclsyntax.Body, typ string) *hclsyntax.Body {
	for _, b := range body.Blocks {
		if b.Type == typ {
			return b.Body
		}
	}
	return nil
}

// ref is a reference to an instance of a resource or module call, as in
// google_service_account.push[each.key].email.
type ref struct {
	Root, Name string // "google_service_account", "push"; "module", "function"
	Key        string // the evaluated index; "" when there is none
}

// refs returns every reference in an expression, with its index evaluated
// in an instance's context.
func refs(t *testing.T, expr hcl.Expression, in instance) []ref {
	t.Helper()
	var out []ref
	syn, ok := expr.(hclsyntax.Expression)
	require.True(t, ok)
	diags := hclsyntax.VisitAll(syn, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.IndexExpr:
			st, ok := n.Collection.(*hclsyntax.ScopeTraversalExpr)
			if !ok || len(st.Traversal) != 2 {
				return nil
			}
			k, diags := n.Key.Value(in.ctx)
			if diags.HasErrors() || !k.IsKnown() || k.IsNull() {
				return diags
			}
			ks, err := convert.Convert(k, cty.String)
			if err != nil {
				return nil
			}
			out = append(out, ref{Root: st.Traversal.RootName(), Name: attrName(st.Traversal[1]), Key: ks.AsString()})
		case *hclsyntax.ScopeTraversalExpr:
			if len(n.Traversal) < 2 {
				return nil
			}
			r := ref{Root: n.Traversal.RootName(), Name: attrName(n.Traversal[1])}
			if len(n.Traversal) > 2 {
				if ix, ok := n.Traversal[2].(hcl.TraverseIndex); ok && ix.Key.Type() == cty.String {
					r.Key = ix.Key.AsString()
				}
			}
			out = append(out, r)
		}
		return nil
	})
	require.False(t, diags.HasErrors(), diags.Error())
	return out
}

func attrName(s hcl.Traverser) string {
	if a, ok := s.(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

// refTo returns the one indexed reference of an expression to a resource
// type (or module calls with root "module").
func refTo(t *testing.T, expr hcl.Expression, in instance, root string) (ref, bool) {
	t.Helper()
	for _, r := range refs(t, expr, in) {
		if r.Root == root && r.Key != "" {
			return r, true
		}
	}
	return ref{}, false
}

// tfFunctions are the Terraform functions the configuration uses, from
// cty's standard library (Terraform's own are the same code), plus the
// few Terraform adds. File functions give unknown values.
func tfFunctions() map[string]function.Function {
	fns := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc,
		"contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc,
		"flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc, "format": stdlib.FormatFunc,
		"formatlist": stdlib.FormatListFunc, "index": stdlib.IndexFunc, "join": stdlib.JoinFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "keys": stdlib.KeysFunc,
		"length": stdlib.LengthFunc, "lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc,
		"max": stdlib.MaxFunc, "merge": stdlib.MergeFunc, "min": stdlib.MinFunc, "range": stdlib.RangeFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": stdlib.ReplaceFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "split": stdlib.SplitFunc, "substr": stdlib.SubstrFunc,
		"title": stdlib.TitleFunc, "trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc, "upper": stdlib.UpperFunc,
		"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
	}
	for name, ty := range map[string]cty.Type{
		"tostring": cty.String, "tonumber": cty.Number, "tobool": cty.Bool,
		"tolist": cty.List(cty.DynamicPseudoType), "toset": cty.Set(cty.DynamicPseudoType), "tomap": cty.Map(cty.DynamicPseudoType),
	} {
		fns[name] = convertFunc(ty)
	}
	fns["sha1"] = stringFunc(func(s string) cty.Value {
		h := sha1.Sum([]byte(s))
		return cty.StringVal(hex.EncodeToString(h[:]))
	})
	fns["startswith"] = stringPairFunc(strings.HasPrefix)
	fns["endswith"] = stringPairFunc(strings.HasSuffix)
	for _, name := range []string{"file", "filesha256", "filemd5", "filebase64sha256", "templatefile"} {
		fns[name] = function.New(&function.Spec{
			VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true},
			Type:     function.StaticReturnType(cty.String),
			Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
				return cty.UnknownVal(cty.String), nil
			},
		})
	}
	return fns
}

func convertFunc(ty cty.Type) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true, AllowDynamicType: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if !args[0].IsKnown() {
				return cty.DynamicPseudoType, nil
			}
			v, err := convert.Convert(args[0], ty)
			if err != nil {
				return cty.NilType, err
			}
			return v.Type(), nil
		},
		Impl: func(args []cty.Value, ret cty.Type) (cty.Value, error) {
			return convert.Convert(args[0], ret)
		},
	})
}

func stringFunc(f func(string) cty.Value) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "s", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return f(args[0].AsString()), nil
		},
	})
}

func stringPairFunc(f func(a, b string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "s", Type: cty.String}, {Name: "affix", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// objectKeys returns an object's or map's keys, sorted.
func objectKeys(v cty.Value) []string {
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		out = append(out, k.AsString())
	}
	sort.Strings(out)
	return out
}

// str returns a value as a string; "" for null.
func str(v cty.Value) string {
	if v.IsNull() {
		return ""
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return ""
	}
	return s.AsString()
}

// num returns a value as an integer.
func num(v cty.Value) int64 {
	i, _ := v.AsBigFloat().Int64()
	return i
}
