package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/store"
)

// The Firestore queries of shared/store, read from the Go source, against
// the composite indexes and TTL policies of terraform/firestore.tf.

// fsQuery is one query shape of the code.
type fsQuery struct {
	at         string // file:line
	collection string
	group      bool            // a collection group query
	eq         []string        // fields filtered with == or in
	ranges     []string        // fields filtered with <, <=, >, >=, != or not-in
	orders     [][2]string     // OrderBy fields and ASCENDING or DESCENDING
	unreadable *token.Position // set when the test cannot follow the query
}

func (q fsQuery) String() string {
	scope := q.collection
	if q.group {
		scope = "collection group " + q.collection
	}
	return fmt.Sprintf("%s where %v, ranges %v, order %v (%s)", scope, q.eq, q.ranges, q.orders, q.at)
}

// fields returns the distinct fields of a query, __name__ aside.
func (q fsQuery) fields() []string {
	var out []string
	add := func(f string) {
		if f != "__name__" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, f := range q.eq {
		add(f)
	}
	for _, f := range q.ranges {
		add(f)
	}
	for _, o := range q.orders {
		add(o[0])
	}
	return out
}

// needsComposite reports whether Firestore needs a composite index for
// the query: more than one field with a range filter or an order (queries
// of equalities only merge single-field indexes).
func (q fsQuery) needsComposite() bool {
	if len(q.fields()) < 2 {
		return false
	}
	return len(q.ranges) > 0 || slices.ContainsFunc(q.orders, func(o [2]string) bool { return o[0] != "__name__" })
}

// tail is what follows the equality fields in an index serving the
// query: the range fields, then the order fields; "" as an order accepts
// either.
func (q fsQuery) tail() [][2]string {
	var out [][2]string
	for _, f := range q.ranges {
		order := ""
		if i := slices.IndexFunc(q.orders, func(o [2]string) bool { return o[0] == f }); i >= 0 {
			order = q.orders[i][1]
		}
		out = append(out, [2]string{f, order})
	}
	for _, o := range q.orders {
		if !slices.Contains(q.ranges, o[0]) {
			out = append(out, o)
		}
	}
	return out
}

// tfIndex is a composite index of firestore.tf.
type tfIndex struct {
	name, collection, scope string
	fields                  [][2]string
}

// serves reports whether an index serves a query: the same collection and
// scope, the equality fields first in any order, then the query's range
// and order fields (Firestore adds __name__ at the end by itself).
func (ix tfIndex) serves(q fsQuery) bool {
	if ix.collection != q.collection || (ix.scope == "COLLECTION_GROUP") != q.group {
		return false
	}
	fields := ix.fields
	if len(fields) < len(q.eq) {
		return false
	}
	var eq []string
	for _, f := range fields[:len(q.eq)] {
		eq = append(eq, f[0])
	}
	if !sameSet(eq, q.eq) {
		return false
	}
	rest, want := fields[len(q.eq):], q.tail()
	named := slices.ContainsFunc(want, func(o [2]string) bool { return o[0] == "__name__" })
	if !named && len(rest) == len(want)+1 && rest[len(rest)-1][0] == "__name__" {
		rest = rest[:len(rest)-1]
	}
	if len(rest) != len(want) {
		return false
	}
	for i := range want {
		if rest[i][0] != want[i][0] || (want[i][1] != "" && rest[i][1] != want[i][1]) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// storeQueries reads every query of shared/store: chains of Where and
// OrderBy on a Collection or CollectionGroup, followed through local
// variables.
func storeQueries(t *testing.T) []fsQuery {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, path := range goFiles(t, filepath.Join(repoRoot, "shared", "store")) {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		files = append(files, f)
	}
	// The package's string constants (collection names).
	consts := map[string]string{}
	for _, f := range files {
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
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	literal := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			}
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok && x.Name == "firestore" {
				switch e.Sel.Name {
				case "DocumentID":
					return "__name__", true
				case "Asc":
					return "ASCENDING", true
				case "Desc":
					return "DESCENDING", true
				}
			}
		}
		return "", false
	}
	queryMethods := []string{"Where", "OrderBy", "WhereEntity"}
	var out []fsQuery
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			// Local variables: name => what it was first defined as.
			defs := map[string]ast.Expr{}
			inner := map[ast.Node]bool{}
			var calls []*ast.CallExpr
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					if n.Tok == token.DEFINE && len(n.Lhs) == len(n.Rhs) {
						for i, l := range n.Lhs {
							if id, ok := l.(*ast.Ident); ok {
								defs[id.Name] = n.Rhs[i]
							}
						}
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && slices.Contains(queryMethods, sel.Sel.Name) {
						calls = append(calls, n)
						inner[ast.Unparen(sel.X)] = true
					}
				}
				return true
			})
			for _, c := range calls {
				if inner[c] {
					continue // part of a longer chain
				}
				q := fsQuery{at: fset.Position(c.Pos()).String()}
				var follow func(e ast.Expr, depth int) bool
				follow = func(e ast.Expr, depth int) bool {
					if depth > 20 {
						return false
					}
					switch e := ast.Unparen(e).(type) {
					case *ast.Ident:
						def, ok := defs[e.Name]
						return ok && follow(def, depth+1)
					case *ast.SelectorExpr:
						return e.Sel.Name == "Query" && follow(e.X, depth+1)
					case *ast.CallExpr:
						sel, ok := e.Fun.(*ast.SelectorExpr)
						if !ok {
							return false
						}
						switch sel.Sel.Name {
						case "Collection", "CollectionGroup":
							name, ok := literal(e.Args[0])
							q.collection, q.group = name, sel.Sel.Name == "CollectionGroup"
							return ok
						case "Where":
							if !follow(sel.X, depth+1) || len(e.Args) != 3 {
								return false
							}
							field, ok1 := literal(e.Args[0])
							op, ok2 := literal(e.Args[1])
							switch {
							case !ok1 || !ok2:
								return false
							case op == "==" || op == "in":
								q.eq = append(q.eq, field)
							case slices.Contains([]string{"<", "<=", ">", ">=", "!=", "not-in"}, op):
								q.ranges = append(q.ranges, field)
							default:
								return false // array-contains and the like need other indexes
							}
							return true
						case "OrderBy":
							if !follow(sel.X, depth+1) || len(e.Args) != 2 {
								return false
							}
							field, ok1 := literal(e.Args[0])
							dir, ok2 := literal(e.Args[1])
							q.orders = append(q.orders, [2]string{field, dir})
							return ok1 && ok2
						case "Limit", "LimitToLast", "Offset", "StartAt", "StartAfter", "EndAt", "EndBefore", "Select":
							return follow(sel.X, depth+1)
						}
					}
					return false
				}
				if !follow(c, 0) {
					pos := fset.Position(c.Pos())
					q.unreadable = &pos
				}
				out = append(out, q)
			}
		}
	}
	return out
}

// TestTerraformFirestoreIndexesServeTheQueries: every query of
// shared/store that needs a composite index has one in firestore.tf, and
// every composite index there serves a query (an unused index costs every
// write); a query on one field keeps its single-field index.
func TestTerraformFirestoreIndexesServeTheQueries(t *testing.T) {
	d := defaultDeployment(t)
	queries := storeQueries(t)
	require.GreaterOrEqual(t, len(queries), 6, "queries found in shared/store")

	res := d.root.resource(t, "google_firestore_index", "composite")
	assert.Equal(t, "local.firestore_indexes", exprText(t, res.Body.Attributes["for_each"]), "the composite indexes")
	var indexes []tfIndex
	v := d.e.local(t, "firestore_indexes")
	for _, name := range objectKeys(v) {
		e := v.GetAttr(name)
		ix := tfIndex{name: name, collection: str(e.GetAttr("collection")), scope: str(e.GetAttr("scope"))}
		for it := e.GetAttr("fields").ElementIterator(); it.Next(); {
			_, f := it.Element()
			ix.fields = append(ix.fields, [2]string{str(f.Index(cty.NumberIntVal(0))), str(f.Index(cty.NumberIntVal(1)))})
		}
		indexes = append(indexes, ix)
	}
	ttl := d.e.local(t, "ttl_collections")

	used := map[string]bool{}
	for _, q := range queries {
		if q.unreadable != nil {
			assert.Fail(t, "unreadable query", "test/deploy cannot follow the query at %s: teach storeQueries its form, so its index is checked", q.unreadable)
			continue
		}
		served := false
		for _, ix := range indexes {
			if ix.serves(q) {
				served, used[ix.name] = true, true
			}
		}
		fields := q.fields()
		switch {
		case q.needsComposite():
			assert.True(t, served, "no composite index of terraform/firestore.tf serves the query %s: add one (equality fields first, then %v)", q, q.tail())
		case q.group && len(fields) == 1:
			assert.Fail(t, "collection group query on one field", "%s needs a single-field index with collection group scope, which Terraform does not make", q)
		case len(fields) == 1 && ttl.Type().HasAttribute(q.collection) && fields[0] == "expire_at":
			assert.False(t, ttl.GetAttr(q.collection).GetAttr("unindexed").True(),
				"%s queries %s by expire_at, but its TTL policy removes that field's index", q, q.collection)
		}
	}
	for _, ix := range indexes {
		assert.True(t, used[ix.name], "the composite index %s (%s %v) serves no query of shared/store: remove it", ix.name, ix.collection, ix.fields)
	}
}

// TestTerraformFirestoreTTL: every collection whose documents carry
// expire_at has a TTL policy on it, and only those.
func TestTerraformFirestoreTTL(t *testing.T) {
	// The collections the code stores documents with expire_at in, by
	// document type.
	stored := map[string]reflect.Type{
		store.Jobs:     reflect.TypeFor[pipeline.Job](),
		store.Rejected: reflect.TypeFor[store.Rejection](),
		store.Uploads:  reflect.TypeFor[sources.Upload](),
	}
	for collection, typ := range stored {
		assert.True(t, slices.ContainsFunc(reflect.VisibleFields(typ), func(f reflect.StructField) bool {
			return strings.Split(f.Tag.Get("firestore"), ",")[0] == "expire_at"
		}), "%s (stored in %s) has no expire_at any more: update this test and firestore.tf", typ, collection)
	}
	// Every type of shared/ with an expire_at field is one of them.
	fset := token.NewFileSet()
	for _, path := range goFiles(t, filepath.Join(repoRoot, "shared")) {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if fld.Tag == nil || !strings.Contains(fld.Tag.Value, `firestore:"expire_at`) {
					continue
				}
				name := f.Name.Name + "." + ts.Name.Name
				assert.True(t, slices.ContainsFunc(slices.Collect(maps.Values(stored)), func(typ reflect.Type) bool { return typ.String() == name }),
					"%s (%s) has expire_at: say in TestTerraformFirestoreTTL which collection holds it, and give that collection a TTL policy", name, path)
			}
			return true
		})
	}

	d := defaultDeployment(t)
	res := d.root.resource(t, "google_firestore_field", "ttl")
	assert.Equal(t, "local.ttl_collections", exprText(t, res.Body.Attributes["for_each"]), "the TTL policies")
	got := map[string]bool{}
	for _, in := range d.e.instances(t, res) {
		require.NotNil(t, block(res.Body, "ttl_config"), "%s has no ttl_config", res)
		assert.Equal(t, "expire_at", stringAttr(t, res.Body, "field", in), "TTL field of %s", in.Key)
		got[stringAttr(t, res.Body, "collection", in)] = true
	}
	for collection := range stored {
		assert.True(t, got[collection], "%s carries expire_at but has no TTL policy: expired documents would stay", collection)
	}
	for collection := range got {
		_, ok := stored[collection]
		assert.True(t, ok, "firestore.tf sets a TTL policy on %s, where the code stores no document with expire_at", collection)
	}
}
