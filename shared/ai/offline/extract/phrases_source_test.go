package extract_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

// TestTheEnglishTableIsWhatTheCodeWrites reads the package's source: every
// phrase given to tr or trs (a literal, or the literals of the list it is
// taken from) is in the English table, so every language's table has it,
// and every phrase of the table is written somewhere (or is a default of
// the request: its audience, its speakers' roles).
func TestTheEnglishTableIsWhatTheCodeWrites(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	require.NoError(t, err)
	lists := map[string][]string{} // package-level variables: their string literals
	var calls []ast.Expr           // the arguments of tr and trs
	literals := map[string]bool{}  // every string literal of the code but the tables
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") || strings.HasPrefix(path, "phrases_") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							lists[name.Name] = stringsIn(vs.Values[i])
						}
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "tr" || sel.Sel.Name == "trs") && len(x.Args) == 1 {
					calls = append(calls, x.Args[0])
				}
			case *ast.BasicLit:
				if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING {
					literals[s] = true
				}
			}
			return true
		})
	}
	// The request's defaults are written in the request's language too.
	literals[content.DefaultAudience] = true
	for _, sp := range content.DefaultSpeakers {
		literals[sp.Role] = true
	}
	table := extract.EnglishPhrases()
	used := 0
	for _, arg := range calls {
		var phrases []string
		switch x := arg.(type) {
		case *ast.BasicLit:
			phrases = stringsIn(x)
		case *ast.IndexExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				phrases = lists[id.Name]
			}
		case *ast.Ident:
			phrases = lists[x.Name]
		}
		for _, p := range phrases {
			assert.Contains(t, table, p, "a phrase the code translates is missing from the English table: %s", fset.Position(arg.Pos()))
			used++
		}
	}
	assert.Greater(t, used, 150, "the calls were found")
	for _, p := range table {
		assert.True(t, literals[p], "the English table's %q is written nowhere: remove it from every table", p)
	}
	assert.Equal(t, len(table), len(slicesCompact(table)), "no phrase twice")
}

// stringsIn are the string literals of an expression.
func stringsIn(e ast.Expr) []string {
	var out []string
	ast.Inspect(e, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

func slicesCompact(s []string) []string { return slices.Compact(slices.Sorted(slices.Values(s))) }
