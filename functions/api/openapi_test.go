package api

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/openapitest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/webhook"
)

// These tests keep openapi.json, the routes and shared/client's documents
// in step; their failures say what to add where. The handler tests check
// every answer against the document as well (openapitest.Transport).

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapitest.Load(t.Context(), openAPI)
	require.NoError(t, err)
	return doc
}

func TestTheDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	assert.True(t, doc.IsOpenAPI31OrLater())
}

func TestEveryRouteIsDescribed(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	served := map[string]bool{}
	for _, op := range (&Handler{}).operations() {
		served[op.method+" "+op.path] = true
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	for _, op := range sortedKeys(served) {
		if !described[op] {
			method, path, _ := strings.Cut(op, " ")
			t.Errorf("%s is served (operations in functions/api/routes.go) but not described: add paths[%q].%s to functions/api/openapi.json",
				op, path, strings.ToLower(method))
		}
	}
	for _, op := range sortedKeys(described) {
		if !served[op] {
			t.Errorf("%s is described in functions/api/openapi.json but not served: add it to operations in functions/api/routes.go, or remove it from the document", op)
		}
	}
}

func TestEveryOperationAnswersProblemsAndNamesItsOperationID(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s share the operationId %q", where, other, op.OperationID)
			}
			ids[op.OperationID] = where
			public := op.Security != nil && len(*op.Security) == 0
			if !public && op.Responses.Value("401") == nil {
				t.Errorf("%s needs credentials but does not describe its 401 answer: add \"401\": {\"$ref\": \"#/components/responses/Unauthorized\"}", where)
			}
		}
	}
}

// documents are the schemas of openapi.json that are shared/client's (or
// the request contract's) types.
var documents = map[string]reflect.Type{
	"Request":        reflect.TypeFor[content.Request](),
	"PodcastOptions": reflect.TypeFor[content.PodcastOptions](),
	"Speaker":        reflect.TypeFor[content.Speaker](),
	"ImageOptions":   reflect.TypeFor[content.ImageOptions](),
	"JobSummary":     reflect.TypeFor[client.JobSummary](),
	"Job":            reflect.TypeFor[client.Job](),
	"Links":          reflect.TypeFor[client.Links](),
	"Step":           reflect.TypeFor[client.Step](),
	"StepError":      reflect.TypeFor[client.StepError](),
	"Artifact":       reflect.TypeFor[client.Artifact](),
	"Usage":          reflect.TypeFor[client.Usage](),
	"InputRisk":      reflect.TypeFor[client.InputRisk](),
	"JobList":        reflect.TypeFor[client.JobList](),
	"ListLinks":      reflect.TypeFor[client.ListLinks](),
	"UsageToday":     reflect.TypeFor[client.UsageToday](),
	"Rate":           reflect.TypeFor[client.Rate](),
	"Problem":        reflect.TypeFor[client.Problem](),
	"FieldError":     reflect.TypeFor[client.FieldError](),
	"Change":         reflect.TypeFor[client.Change](),
	"StepVersion":    reflect.TypeFor[client.StepVersion](),
	"Source":         reflect.TypeFor[content.Source](),
	"SourceRisk":     reflect.TypeFor[client.SourceRisk](),
	"SourcesRead":    reflect.TypeFor[client.SourcesRead](),
	"NewUpload":      reflect.TypeFor[client.NewUpload](),
	"Upload":         reflect.TypeFor[client.Upload](),
	"StepWarning":    reflect.TypeFor[client.StepWarning](),
	"StepModel":      reflect.TypeFor[client.StepModel](),
	"StepFallback":   reflect.TypeFor[client.StepFallback](),
	// A text step's quality.
	"Quality":            reflect.TypeFor[content.Quality](),
	"ReadabilityQuality": reflect.TypeFor[content.ReadabilityQuality](),
	"CoverageQuality":    reflect.TypeFor[content.CoverageQuality](),
	"RepetitionQuality":  reflect.TypeFor[content.RepetitionQuality](),
	"StructureQuality":   reflect.TypeFor[content.StructureQuality](),
	"CitationQuality":    reflect.TypeFor[content.CitationQuality](),
	"GroundingQuality":   reflect.TypeFor[content.GroundingQuality](),
	"Finding":            reflect.TypeFor[content.Finding](),
	// The body of the createJob callback (webhooks).
	"JobEvent":   reflect.TypeFor[pipeline.JobEvent](),
	"StepDetail": reflect.TypeFor[pipeline.StepDetail](),
}

// named are the Go types that are schemas of their own (enumerations).
var named = map[reflect.Type]string{
	reflect.TypeFor[content.Format]():    "Format",
	reflect.TypeFor[content.Kind]():      "Kind",
	reflect.TypeFor[client.JobStatus]():  "JobStatus",
	reflect.TypeFor[client.StepStatus](): "StepStatus",
	// The job event's own types, which the document shares with the
	// client's documents.
	reflect.TypeFor[pipeline.JobStatus]():  "JobStatus",
	reflect.TypeFor[pipeline.StepStatus](): "StepStatus",
	reflect.TypeFor[ai.Usage]():            "Usage",
}

func TestSchemasAreTheClientsDocuments(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	byType := map[reflect.Type]string{}
	for name, typ := range documents {
		byType[typ] = name
	}
	for typ, name := range named {
		byType[typ] = name
	}
	for _, name := range sortedKeys(documents) {
		typ := documents[name]
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("components.schemas.%s is missing from functions/api/openapi.json (it is %s)", name, typ)
			continue
		}
		s := ref.Value
		if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			t.Errorf("components.schemas.%s: set \"additionalProperties\": false, so that an answer with a field the document lacks fails the tests", name)
		}
		fields := jsonFields(typ)
		for _, f := range fields {
			where := fmt.Sprintf("components.schemas.%s.properties.%s (%s.%s)", name, f.json, typ, f.goName)
			p := s.Properties[f.json]
			if p == nil {
				t.Errorf("%s is missing: add it (%s)", where, want(f.typ, byType))
				continue
			}
			if got, w := describe(p), want(f.typ, byType); got != w {
				t.Errorf("%s is %s in the document, %s in Go", where, got, w)
			}
			if f.required != slices.Contains(s.Required, f.json) {
				t.Errorf("%s: required is %v in the document; Go always writes it: %v (omitempty/omitzero fields are optional)", where, !f.required, f.required)
			}
		}
		for prop := range s.Properties {
			if !slices.ContainsFunc(fields, func(f jsonField) bool { return f.json == prop }) {
				t.Errorf("components.schemas.%s.properties.%s is described but %s has no such field: remove it, or add the field", name, prop, typ)
			}
		}
	}
	formats := doc.Components.Schemas["Format"].Value.Enum
	var want []any
	for _, f := range content.Formats() {
		want = append(want, string(f))
	}
	assert.Equal(t, want, formats, "components.schemas.Format.enum lists content.Formats() in order")
}

// jsonField is a field as encoding/json writes it.
type jsonField struct {
	json, goName string
	typ          reflect.Type
	required     bool
}

// jsonFields lists a struct's fields as encoding/json sees them, the
// fields of embedded structs included.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		out = append(out, jsonField{json: name, goName: f.Name, typ: f.Type, required: !optional})
	}
	return out
}

// want is how the document should describe a Go type.
func want(t reflect.Type, byType map[reflect.Type]string) string {
	if name, ok := byType[t]; ok {
		return "$ref " + name
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "string/date-time"
	case t.Kind() == reflect.Pointer:
		return want(t.Elem(), byType)
	case t.Kind() == reflect.Slice:
		return "array of " + want(t.Elem(), byType)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		return "object"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	}
	return "a schema of its own for " + t.String()
}

// describe says what a property of the document is, in want's words.
func describe(p *openapi3.SchemaRef) string {
	if p.Ref != "" {
		return "$ref " + strings.TrimPrefix(p.Ref, "#/components/schemas/")
	}
	s := p.Value
	switch {
	case s.Type.Is("array"):
		return "array of " + describe(s.Items)
	case s.Type.Is("string") && s.Format == "date-time":
		return "string/date-time"
	case len(s.Type.Slice()) == 1:
		return s.Type.Slice()[0]
	}
	return fmt.Sprint(s.Type.Slice())
}

// TestRateLimitFieldsAreDescribed holds the document to the answers that
// carry the owner's standing (Handler.standing and tooMany): those that
// admit a job or a run, GET /v1/usage, and every 429.
func TestRateLimitFieldsAreDescribed(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	fields := []string{ratelimit.HeaderPolicy, ratelimit.HeaderLimit}
	for _, name := range fields {
		assert.NotNil(t, doc.Components.Headers[name], "components.headers.%s", name)
	}
	check := func(where string, headers openapi3.Headers) {
		for _, name := range fields {
			h := headers[name]
			if assert.NotNil(t, h, "%s does not describe %s", where, name) {
				assert.Equal(t, "#/components/headers/"+name, h.Ref, where)
			}
		}
	}
	for _, op := range []struct{ method, path, status string }{
		{"POST", "/v1/jobs", "202"},
		{"POST", "/v1/jobs/{id}/steps/{step}:regenerate", "202"},
		{"PUT", "/v1/jobs/{id}/documents/{format}", "202"},
		{"GET", "/v1/usage", "200"},
	} {
		o := doc.Paths.Find(op.path).GetOperation(op.method)
		require.NotNil(t, o, "%s %s", op.method, op.path)
		check(op.method+" "+op.path+" "+op.status, o.Responses.Value(op.status).Value.Headers)
	}
	check("components.responses.TooManyRequests", doc.Components.Responses["TooManyRequests"].Value.Headers)
}

// TestTheCallbackIsDescribedAsItIsDelivered holds createJob's callback to
// the delivery: the headers webhook.Client signs with, required, and the
// job event as its body (TestSchemasAreTheClientsDocuments holds JobEvent
// to pipeline.JobEvent).
func TestTheCallbackIsDescribedAsItIsDelivered(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	cb := doc.Paths.Find("/v1/jobs").Post.Callbacks["jobEvent"]
	require.NotNil(t, cb, "POST /v1/jobs has no jobEvent callback")
	item := cb.Value.Value("{$request.body#/callback_url}")
	require.NotNil(t, item, "the callback is not POSTed to the request's callback_url")
	op := item.Post
	require.NotNil(t, op)
	var described []string
	for _, p := range op.Parameters {
		require.Equal(t, "header", p.Value.In, p.Value.Name)
		assert.True(t, p.Value.Required, p.Value.Name)
		described = append(described, http.CanonicalHeaderKey(p.Value.Name))
	}
	var sent []string
	for name := range webhook.Headers([][]byte{make([]byte, webhook.MinSecretLen)}, "id", time.Unix(1, 0), nil) {
		sent = append(sent, name)
	}
	assert.ElementsMatch(t, sent, described, "the headers a delivery is signed with")
	body := op.RequestBody.Value.Content.Get("application/json")
	require.NotNil(t, body)
	assert.Equal(t, "#/components/schemas/JobEvent", body.Schema.Ref)
}

// problemSources are where the API's problem codes are written.
var problemSources = []string{"*.go", "../../shared/httpx/*.go", "../../shared/ratelimit/*.go", "../../shared/content/request.go"}

func TestEveryProblemCodeIsDescribed(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	var described []string
	for _, c := range doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum {
		described = append(described, c.(string))
	}
	answered := problemCodes(t)
	for _, c := range sortedKeys(answered) {
		if !slices.Contains(described, c) {
			t.Errorf("problem code %q is answered (%s) but not described: add it to components.schemas.Problem.properties.code.enum in functions/api/openapi.json, with its status in the description, and to the components.responses of its status", c, answered[c])
		}
	}
	for _, c := range described {
		if _, ok := answered[c]; !ok {
			t.Errorf("problem code %q is described in openapi.json but never answered: remove it", c)
		}
	}
}

// problemCodes finds the problem codes in the sources: the code argument
// of httpx.Error, and Code fields of Problem, Exceeded and DecodeError
// literals.
func problemCodes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, pattern := range problemSources {
		files, err := filepath.Glob(pattern)
		require.NoError(t, err)
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, 0)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				var lit ast.Expr
				switch n := n.(type) {
				case *ast.CallExpr:
					if isErrorCall(n.Fun) && len(n.Args) == 5 {
						lit = n.Args[3]
					}
				case *ast.CompositeLit:
					if !isProblemType(n.Type) {
						return true
					}
					for _, e := range n.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Code") {
							lit = kv.Value
						}
					}
				}
				if b, ok := lit.(*ast.BasicLit); ok && b.Kind == token.STRING {
					code, _ := strconv.Unquote(b.Value)
					out[code] = fset.Position(b.Pos()).String()
				}
				return true
			})
		}
	}
	return out
}

func isErrorCall(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		return isIdent(f.X, "httpx") && f.Sel.Name == "Error"
	case *ast.Ident:
		return f.Name == "Error" // inside httpx
	}
	return false
}

func isProblemType(typ ast.Expr) bool {
	if s, ok := typ.(*ast.SelectorExpr); ok {
		typ = s.Sel
	}
	id, ok := typ.(*ast.Ident)
	return ok && (id.Name == "Problem" || id.Name == "Exceeded" || id.Name == "DecodeError")
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
