package content

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Schema is the subset of JSON Schema the content contract uses. It is
// derived from a Go type by SchemaFor, marshals to the JSON Schema a model
// receives as its response schema, and validates decoded JSON, so the
// model's instructions and the validator can never disagree.
type Schema struct {
	Type                 string             `json:"type"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	PropertyOrdering     []string           `json:"propertyOrdering,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	MaxLength            *int               `json:"maxLength,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`

	pattern *regexp.Regexp
	// modelOmit leaves the property out of the schema a model answers to
	// (tag model:"omit"): the pipeline sets it, a writer never does.
	modelOmit bool
	// citations marks a list of passage ids (tag cite:"ids").
	citations bool
}

// Violation is one way a document fails its schema or its content rules.
// Path is a JSON Pointer into the document ("" for the whole document).
type Violation struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (v Violation) String() string {
	if v.Path == "" {
		return v.Message
	}
	return v.Path + ": " + v.Message
}

// Violations is a list of violations that reads as one error.
type Violations []Violation

func (vs Violations) Error() string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, "; ")
}

var schemaCache sync.Map // reflect.Type → *Schema

// SchemaFor derives the schema of a Go struct type from its field tags:
//
//	json:"name"          property name; required unless ",omitempty"
//	desc:"..."           description given to the model
//	len:"3-200"          string length in characters (for []string: of each element)
//	items:"3-10"         number of array elements
//	enum:"a|b|c"         allowed string values
//	pattern:"\\?$"       regular expression a string must match
//	range:"1-120"        inclusive bounds of a number
//	model:"omit"         left out of the schema a model answers to
//	cite:"ids"           a list of passage ids (pinned to the job's, see Spec.SchemaFor)
//
// An embedded struct without a json name (such as Cited) adds its fields
// to the object, as encoding/json does.
//
// Objects never allow extra properties. SchemaFor panics on a tag it cannot
// parse: the contract is fixed at compile time, and a test derives every
// schema.
func SchemaFor(t reflect.Type) *Schema {
	if s, ok := schemaCache.Load(t); ok {
		return s.(*Schema)
	}
	s := structSchema(t)
	schemaCache.Store(t, s)
	return s
}

func structSchema(t reflect.Type) *Schema {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("content: schema of %s: not a struct", t))
	}
	no := false
	s := &Schema{Type: "object", Properties: map[string]*Schema{}, AdditionalProperties: &no}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			inner := SchemaFor(f.Type)
			for _, k := range inner.PropertyOrdering {
				s.Properties[k] = inner.Properties[k].clone()
				s.PropertyOrdering = append(s.PropertyOrdering, k)
			}
			s.Required = append(s.Required, inner.Required...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := fieldSchema(f.Type, f.Tag)
		p.Description = f.Tag.Get("desc")
		p.modelOmit = f.Tag.Get("model") == "omit"
		p.citations = f.Tag.Get("cite") == "ids"
		s.Properties[name] = p
		s.PropertyOrdering = append(s.PropertyOrdering, name)
		if !strings.Contains(opts, "omitempty") {
			s.Required = append(s.Required, name)
		}
	}
	return s
}

func fieldSchema(t reflect.Type, tag reflect.StructTag) *Schema {
	switch t.Kind() {
	case reflect.String:
		return stringSchema(tag)
	case reflect.Int, reflect.Int32, reflect.Int64:
		s := &Schema{Type: "integer"}
		s.Minimum, s.Maximum = floatRange(tag.Get("range"))
		return s
	case reflect.Float32, reflect.Float64:
		s := &Schema{Type: "number"}
		s.Minimum, s.Maximum = floatRange(tag.Get("range"))
		return s
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Slice:
		s := &Schema{Type: "array"}
		s.MinItems, s.MaxItems = intRange(tag.Get("items"))
		if t.Elem().Kind() == reflect.String {
			s.Items = stringSchema(tag)
		} else {
			s.Items = SchemaFor(t.Elem())
		}
		return s
	case reflect.Struct, reflect.Pointer:
		return SchemaFor(t)
	}
	panic(fmt.Sprintf("content: no schema for %s", t))
}

func stringSchema(tag reflect.StructTag) *Schema {
	s := &Schema{Type: "string"}
	s.MinLength, s.MaxLength = intRange(tag.Get("len"))
	if e := tag.Get("enum"); e != "" {
		s.Enum = strings.Split(e, "|")
	}
	if p := tag.Get("pattern"); p != "" {
		s.Pattern = p
		s.pattern = regexp.MustCompile(p)
	}
	return s
}

func intRange(spec string) (lo, hi *int) {
	if spec == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(spec, "-")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || x > y {
		panic(fmt.Sprintf("content: bad range %q", spec))
	}
	return &x, &y
}

func floatRange(spec string) (lo, hi *float64) {
	a, b := intRange(spec)
	if a == nil {
		return nil, nil
	}
	x, y := float64(*a), float64(*b)
	return &x, &y
}

// Validate checks a JSON document against the schema and returns every
// violation found (nil when the document conforms).
func (s *Schema) Validate(raw []byte) Violations {
	var doc any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return Violations{{Message: "not valid JSON: " + err.Error()}}
	}
	if dec.More() {
		return Violations{{Message: "not valid JSON: data after the document"}}
	}
	var vs Violations
	s.check(doc, "", &vs)
	return vs
}

func (s *Schema) check(v any, path string, vs *Violations) {
	add := func(format string, args ...any) {
		*vs = append(*vs, Violation{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	switch s.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			add("must be an object")
			return
		}
		for _, name := range s.Required {
			if _, ok := obj[name]; !ok {
				add("missing required property %q", name)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p, ok := s.Properties[k]
			if !ok {
				add("unknown property %q", k)
				continue
			}
			p.check(obj[k], path+"/"+escapePointer(k), vs)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			add("must be an array")
			return
		}
		if s.MinItems != nil && len(arr) < *s.MinItems {
			add("must have at least %d items, has %d", *s.MinItems, len(arr))
		}
		if s.MaxItems != nil && len(arr) > *s.MaxItems {
			add("must have at most %d items, has %d", *s.MaxItems, len(arr))
		}
		for i, e := range arr {
			s.Items.check(e, path+"/"+strconv.Itoa(i), vs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			add("must be a string")
			return
		}
		n := utf8.RuneCountInString(strings.TrimSpace(str))
		if s.MinLength != nil && n < *s.MinLength {
			add("must be at least %d characters, is %d", *s.MinLength, n)
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			add("must be at most %d characters, is %d", *s.MaxLength, n)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			add("must be one of %s", strings.Join(s.Enum, ", "))
		}
		if s.pattern != nil && !s.pattern.MatchString(str) {
			add("must match %s", s.Pattern)
		}
	case "integer", "number":
		num, ok := v.(json.Number)
		if !ok {
			add("must be a number")
			return
		}
		f, err := num.Float64()
		if err != nil {
			add("must be a number")
			return
		}
		if s.Type == "integer" {
			if _, err := num.Int64(); err != nil {
				add("must be an integer")
				return
			}
		}
		if s.Minimum != nil && f < *s.Minimum {
			add("must be at least %v", *s.Minimum)
		}
		if s.Maximum != nil && f > *s.Maximum {
			add("must be at most %v", *s.Maximum)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			add("must be true or false")
		}
	}
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// clone returns a deep copy of the schema.
func (s *Schema) clone() *Schema {
	if s == nil {
		return nil
	}
	c := *s
	if s.Properties != nil {
		c.Properties = make(map[string]*Schema, len(s.Properties))
		for k, p := range s.Properties {
			c.Properties[k] = p.clone()
		}
	}
	c.Items = s.Items.clone()
	c.PropertyOrdering = slices.Clone(s.PropertyOrdering)
	c.Required = slices.Clone(s.Required)
	c.Enum = slices.Clone(s.Enum)
	return &c
}

// pin restricts a string to the given values (ignoring empty ones).
func (s *Schema) pin(values ...string) {
	var vs []string
	for _, v := range values {
		if v != "" && !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	if s != nil && len(vs) > 0 {
		s.Enum = vs
	}
}
