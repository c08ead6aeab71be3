package content

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Cited is the piece of the schema that ties what an item says to the
// job's passages. Embed it in every item type that states facts (an
// outline section, a key concept, a takeaway, a paragraph, an FAQ, a
// flashcard, a podcast turn, and any format added later: a quiz item, a
// timeline event); its fields then appear in the item's JSON object and
// schema, the validator checks its ids against the job's passages
// (ValidateText with Expect.Passages), the bundles render them as
// numbered links to the passage text, and the grounding check reads the
// item's claims through CitedItems. What an item claims is the text of
// its fields tagged claim:"" (a string or a list of strings), or what its
// ClaimTexts method returns when it has one.
type Cited struct {
	// Citations are the ids of the passages ("p3") the item's statements
	// come from, most important first.
	Citations []string `json:"citations,omitempty" items:"0-8" len:"2-12" pattern:"^p[1-9][0-9]*$" cite:"ids" desc:"Ids of the numbered passages (p1, p2, …) this item's statements come from, most important first; empty when it states nothing from the sources."`
	// Grounding is the verdict of the grounding check on the item's claims
	// (its worst): set by the pipeline after the check, never by a writer.
	Grounding string `json:"grounding,omitempty" enum:"supported|partial|unsupported" model:"omit" desc:"The grounding check's verdict on the item's claims (its worst): supported, partial or unsupported. Set by the check, never by the writer."`
}

// The verdicts of the grounding check on a claim (and on an item, its
// worst claim's).
const (
	Supported   = "supported"
	Partial     = "partial"
	Unsupported = "unsupported"
)

// WorseVerdict returns the worse of two verdicts ("" counts as none).
func WorseVerdict(a, b string) string {
	rank := func(v string) int { return slices.Index([]string{"", Supported, Partial, Unsupported}, v) }
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// PassageSet is the set of passage ids a job's documents may cite. A nil
// set means ids are not checked; an empty one that the job has no
// sources, so a document may cite nothing.
type PassageSet map[string]bool

// PassagesOf returns the ids of a source set's passages (empty, not nil,
// for a job without sources).
func PassagesOf(set *SourceSet) PassageSet {
	out := PassageSet{}
	if set != nil {
		for _, p := range set.Passages {
			out[p.ID] = true
		}
	}
	return out
}

// IDs returns the set's ids in passage order (p1, p2, … p10).
func (s PassageSet) IDs() []string {
	out := make([]string, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	slices.SortFunc(out, comparePassageIDs)
	return out
}

// comparePassageIDs orders passage ids by their number.
func comparePassageIDs(a, b string) int {
	x, errA := strconv.Atoi(strings.TrimPrefix(a, "p"))
	y, errB := strconv.Atoi(strings.TrimPrefix(b, "p"))
	if errA != nil || errB != nil || x == y {
		return strings.Compare(a, b)
	}
	return x - y
}

// CitedItem is one item of a document that embeds Cited: where it is (a
// JSON Pointer), what it states, and its Cited part (a pointer into the
// document, so a check can record its verdict there).
type CitedItem struct {
	Path  string
	Texts []string
	Cited *Cited
}

// claimer is implemented by items whose claims are not simply their
// claim-tagged fields (a cloze flashcard states its front with the gap
// filled).
type claimer interface {
	ClaimTexts() []string
}

var citedType = reflect.TypeFor[Cited]()

// CitedItems returns every item of a decoded document (a pointer to a
// format's struct) that embeds Cited, in document order.
func CitedItems(doc any) []CitedItem {
	v := reflect.ValueOf(doc)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	var out []CitedItem
	walkCited(v.Elem(), "", &out)
	return out
}

func walkCited(v reflect.Value, path string, out *[]CitedItem) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkCited(v.Elem(), path, out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkCited(v.Index(i), path+"/"+strconv.Itoa(i), out)
		}
	case reflect.Struct:
		t := v.Type()
		var item *CitedItem
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type == citedType {
				item = &CitedItem{Path: path, Cited: v.Field(i).Addr().Interface().(*Cited)}
				break
			}
		}
		if item != nil {
			item.Texts = claimTexts(v)
			*out = append(*out, *item)
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Type == citedType {
				continue
			}
			if k := f.Type.Kind(); k == reflect.Struct || k == reflect.Pointer || (k == reflect.Slice && f.Type.Elem().Kind() != reflect.String) {
				walkCited(v.Field(i), path+"/"+jsonName(f), out)
			}
		}
	}
}

// claimTexts is what a Cited item states: its ClaimTexts, or the texts of
// its claim-tagged fields.
func claimTexts(v reflect.Value) []string {
	if v.CanAddr() {
		if c, ok := v.Addr().Interface().(claimer); ok {
			return c.ClaimTexts()
		}
	}
	var out []string
	t := v.Type()
	for i := range t.NumField() {
		if _, ok := t.Field(i).Tag.Lookup("claim"); !ok {
			continue
		}
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			out = append(out, fv.String())
		case reflect.Slice:
			for j := range fv.Len() {
				out = append(out, fv.Index(j).String())
			}
		}
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// Citations returns every passage id a document cites, each once, in
// passage order.
func Citations(doc any) []string {
	seen := PassageSet{}
	for _, it := range CitedItems(doc) {
		for _, id := range it.Cited.Citations {
			seen[id] = true
		}
	}
	return seen.IDs()
}

// ClearGrounding removes every verdict from a document: what a writer
// (or an editor) put there is never taken as checked.
func ClearGrounding(doc any) {
	for _, it := range CitedItems(doc) {
		it.Cited.Grounding = ""
	}
}

var passageIDPattern = regexp.MustCompile(`^p[1-9][0-9]*$`)

// checkCitations reports citations of passages the job does not have,
// repeated ones, and any at all in a job without sources.
func checkCitations(doc any, passages PassageSet) Violations {
	if passages == nil {
		return nil
	}
	var vs Violations
	for _, it := range CitedItems(doc) {
		seen := map[string]bool{}
		for i, id := range it.Cited.Citations {
			at := fmt.Sprintf("%s/citations/%d", it.Path, i)
			switch {
			case len(passages) == 0:
				vs = append(vs, Violation{Path: at, Message: "the job has no sources, so there is no passage to cite"})
			case !passageIDPattern.MatchString(id) || !passages[id]:
				vs = append(vs, Violation{Path: at, Message: fmt.Sprintf("%q is not a passage of the job's sources", id)})
			case seen[id]:
				vs = append(vs, Violation{Path: at, Message: fmt.Sprintf("cites %s twice", id)})
			}
			seen[id] = true
		}
	}
	return vs
}

// Claim is one statement of a document the grounding check judges: a
// sentence of a cited item, with the passages its item cites.
type Claim struct {
	// ID names the claim within one check ("c1", "c2", …).
	ID string `json:"id"`
	// Path is the JSON Pointer of the item it belongs to.
	Path string `json:"path"`
	Text string `json:"text"`
	// Citations are the passages its item cites (none: the claim is
	// uncited and is not checked).
	Citations []string `json:"citations"`
}

// Verdict is the grounding check's judgement of one claim.
type Verdict struct {
	Claim   string `json:"claim"`
	Verdict string `json:"verdict"`
	// Reason says briefly why, in the checker's words.
	Reason string `json:"reason,omitempty"`
}
