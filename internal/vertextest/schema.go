package vertextest

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Schema is the subset of JSON Schema the fake answers to: the subset the
// content contract sends (type, properties, required, items, min/maxItems,
// min/maxLength, enum, pattern, minimum/maximum).
type Schema struct {
	Type             string             `json:"type"`
	Properties       map[string]*Schema `json:"properties,omitempty"`
	PropertyOrdering []string           `json:"propertyOrdering,omitempty"`
	Required         []string           `json:"required,omitempty"`
	Items            *Schema            `json:"items,omitempty"`
	MinItems         *int               `json:"minItems,omitempty"`
	MaxItems         *int               `json:"maxItems,omitempty"`
	MinLength        *int               `json:"minLength,omitempty"`
	MaxLength        *int               `json:"maxLength,omitempty"`
	Pattern          string             `json:"pattern,omitempty"`
	Enum             []string           `json:"enum,omitempty"`
	Minimum          *float64           `json:"minimum,omitempty"`
	Maximum          *float64           `json:"maximum,omitempty"`
}

// Generate returns a JSON document that conforms to the schema, varied by
// the random source: strings of real-looking words, unique within each
// array (per property for arrays of objects), and enums inside arrays
// cycled by index, so every pinned speaker speaks and every pinned section
// is asked about.
func Generate(s *Schema, rng *rand.Rand) ([]byte, error) {
	g := &generator{rng: rng}
	v, err := g.value(s, "", -1, nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

type generator struct {
	rng *rand.Rand
}

// scope holds the strings already given inside one array, per property
// of its items ("" for the items themselves).
type scope map[string]map[string]bool

func (sc scope) set(name string) map[string]bool {
	if sc == nil {
		return nil
	}
	if sc[name] == nil {
		sc[name] = map[string]bool{}
	}
	return sc[name]
}

// value generates a value; index is its position in the nearest
// enclosing array (-1 outside arrays) and used the strings it must not
// repeat.
func (g *generator) value(s *Schema, path string, index int, used map[string]bool) (any, error) {
	if s == nil {
		return nil, fmt.Errorf("%s: no schema", path)
	}
	switch s.Type {
	case "object":
		return g.object(s, path, index, nil)
	case "array":
		return g.array(s, path)
	case "string":
		return g.str(s, index, used), nil
	case "integer":
		lo, hi := bounds(s, 1, 100)
		a, b := int64(math.Ceil(lo)), int64(math.Floor(hi))
		return a + g.rng.Int64N(max(0, b-a)+1), nil
	case "number":
		lo, hi := bounds(s, 0, 100)
		v := math.Round((lo+g.rng.Float64()*(hi-lo))*10) / 10
		return math.Max(lo, math.Min(hi, v)), nil
	case "boolean":
		return g.rng.IntN(2) == 0, nil
	}
	return nil, fmt.Errorf("%s: unsupported schema type %q", path, s.Type)
}

func bounds(s *Schema, lo, hi float64) (float64, float64) {
	if s.Minimum != nil {
		lo = *s.Minimum
		hi = max(hi, lo)
	}
	if s.Maximum != nil {
		hi = *s.Maximum
		lo = min(lo, hi)
	}
	return lo, hi
}

// object generates every property in schema order; sc is the scope of the
// array it is an item of, if any.
func (g *generator) object(s *Schema, path string, index int, sc scope) (map[string]any, error) {
	names := s.PropertyOrdering
	if len(names) == 0 {
		for k := range s.Properties {
			names = append(names, k)
		}
		slices.Sort(names)
	}
	out := make(map[string]any, len(names))
	for _, name := range names {
		p, ok := s.Properties[name]
		if !ok {
			continue
		}
		var v any
		var err error
		if p.Type == "string" {
			v = g.str(p, index, sc.set(name))
		} else {
			v, err = g.value(p, path+"/"+name, index, nil)
		}
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func (g *generator) array(s *Schema, path string) ([]any, error) {
	lo, hi := 0, 5
	if s.MinItems != nil {
		lo = *s.MinItems
		hi = lo + 5
	}
	if s.MaxItems != nil {
		hi = min(hi, *s.MaxItems)
	}
	hi = max(lo, hi)
	n := lo + g.rng.IntN(hi-lo+1)
	if s.Items != nil && s.Items.Type == "string" && len(s.Items.Enum) > 0 {
		n = min(n, max(lo, len(s.Items.Enum)))
	}
	sc := scope{}
	out := make([]any, 0, n)
	for i := range n {
		ipath := fmt.Sprintf("%s/%d", path, i)
		var v any
		var err error
		switch {
		case s.Items == nil:
			return nil, fmt.Errorf("%s: array without items", path)
		case s.Items.Type == "object":
			v, err = g.object(s.Items, ipath, i, sc)
		default:
			v, err = g.value(s.Items, ipath, i, sc.set(""))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// str generates a string within the schema's bounds, unique in used.
func (g *generator) str(s *Schema, index int, used map[string]bool) string {
	if len(s.Enum) > 0 {
		if index >= 0 {
			return s.Enum[index%len(s.Enum)]
		}
		return s.Enum[g.rng.IntN(len(s.Enum))]
	}
	lo, hi := 1, 200
	if s.MinLength != nil {
		lo = *s.MinLength
	}
	if s.MaxLength != nil {
		hi = *s.MaxLength
	}
	hi = max(hi, lo)
	question := strings.HasSuffix(s.Pattern, `?$`) || strings.HasSuffix(s.Pattern, `?？؟]$`) // a question mark of any script
	var out string
	for try := 0; ; try++ {
		out = g.text(lo, hi, question)
		key := strings.ToLower(strings.Join(strings.Fields(out), " "))
		if used == nil || !used[key] {
			if used != nil {
				used[key] = true
			}
			return out
		}
		if try > 20 {
			// Vanishingly rare: make it unique by its position.
			out = fitLen(fmt.Sprintf("%s %d", out, index+try), lo, hi, question)
			used[strings.ToLower(out)] = true
			return out
		}
	}
}

// text makes words or sentences of a length in [lo, hi] characters.
func (g *generator) text(lo, hi int, question bool) string {
	target := lo
	switch {
	case hi <= 60:
		target = lo + g.rng.IntN(max(1, min(hi, lo+30)-lo+1))
	case hi <= 600:
		target = max(lo, 40+g.rng.IntN(140))
	default:
		target = max(lo, 150+g.rng.IntN(500))
	}
	target = min(target, hi)
	var b strings.Builder
	short := hi <= 120
	for utf8.RuneCountInString(b.String()) < target {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if short {
			b.WriteString(g.word())
			continue
		}
		b.WriteString(g.sentence())
	}
	s := b.String()
	if short {
		s = capitalize(s)
	}
	return fitLen(s, lo, hi, question)
}

func (g *generator) word() string {
	return vocabulary[g.rng.IntN(len(vocabulary))]
}

func (g *generator) sentence() string {
	n := 6 + g.rng.IntN(9)
	words := make([]string, n)
	for i := range words {
		if i > 0 && i < n-1 && g.rng.IntN(4) == 0 {
			words[i] = connectors[g.rng.IntN(len(connectors))]
			continue
		}
		words[i] = g.word()
	}
	return capitalize(strings.Join(words, " ")) + "."
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// fitLen cuts s to at most hi characters at a word boundary, pads it to at
// least lo, and ends it with "?" when asked.
func fitLen(s string, lo, hi int, question bool) string {
	extra := 0
	if question {
		extra = 1
	}
	limit := max(1, hi-extra)
	if r := []rune(s); len(r) > limit {
		cut := limit
		for cut > 0 && r[cut] != ' ' {
			cut--
		}
		if cut < lo {
			cut = limit
		}
		s = strings.TrimRight(string(r[:cut]), " ,;:")
	}
	if question {
		s = strings.TrimRight(s, " .,;:")
	}
	for utf8.RuneCountInString(s)+extra < lo {
		s += "s"
	}
	if question {
		s += "?"
	}
	return s
}
