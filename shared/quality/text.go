package quality

import (
	"reflect"
	"strconv"
	"strings"
)

// field is one text field of a document: where it is and what it says.
type field struct {
	path string
	name string // its JSON name
	text string
}

// labels are fields that name or tag rather than say something: they take
// no part in reading grades or repetition (a quiz question's objective is
// the outline's, copied as the outline words it).
var labels = map[string]bool{
	"title": true, "term": true, "category": true, "section": true, "speaker": true, "name": true, "role": true,
	"audience": true, "level": true, "difficulty": true, "citations": true, "grounding": true, "further_reading": true,
	"references": true, "front": true, "question": true, "objective": true,
}

// fields returns every text field of a decoded document, in order, with
// the fields of labels left out unless all is set.
func fields(doc any, all bool) []field {
	var out []field
	var walk func(v reflect.Value, path, name string)
	walk = func(v reflect.Value, path, name string) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path, name)
			}
		case reflect.String:
			if all || !labels[name] {
				out = append(out, field{path: path, name: name, text: v.String()})
			}
		case reflect.Slice:
			if name == "citations" {
				return
			}
			for i := range v.Len() {
				walk(v.Index(i), path+"/"+strconv.Itoa(i), name)
			}
		case reflect.Struct:
			t := v.Type()
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					continue
				}
				if f.Anonymous {
					walk(v.Field(i), path, name)
					continue
				}
				n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if n == "" {
					n = f.Name
				}
				walk(v.Field(i), path+"/"+n, n)
			}
		}
	}
	walk(reflect.ValueOf(doc), "", "")
	return out
}

// sentence is one sentence of a document and the field it is in.
type sentence struct {
	path string
	text string
}

// sentences returns the sentences of a document's text fields.
func sentences(doc any, lang string) []sentence {
	var out []sentence
	for _, f := range fields(doc, false) {
		for _, s := range sentencesOf(f.text, lang) {
			out = append(out, sentence{path: f.path, text: s})
		}
	}
	return out
}

// norm is a sentence as repetition compares it: lower case, words only.
func norm(s string) string {
	var b strings.Builder
	for _, t := range tokenize(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToLower(t))
	}
	return b.String()
}
