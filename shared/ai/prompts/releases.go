package prompts

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// Released lists the templates of a text format that ship with this
// build, oldest first: "faqs.v1", "faqs.v2", …. Any of them can be
// rendered (Text.Template), so an evaluation can compare a format's
// versions side by side.
func Released(f content.Format) []string {
	prefix := string(f) + ".v"
	entries, err := fs.ReadDir(files, "templates")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".tmpl")
		if n, ok := strings.CutPrefix(name, prefix); ok {
			if _, err := strconv.Atoi(n); err == nil {
				out = append(out, name)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return templateNumber(a) - templateNumber(b) })
	return out
}

func templateNumber(name string) int {
	n, _ := strconv.Atoi(name[strings.LastIndex(name, ".v")+2:])
	return n
}

// Selection is the template to render per text format; a format it does
// not name renders the one in use (Versions).
type Selection map[content.Format]string

// ParseSelection reads a selection of templates: "current" (or empty:
// the ones in use), "previous" (every format's release before the one in
// use, where it has one), or a comma-separated list of template names
// ("faqs.v1,flashcards.v1").
func ParseSelection(spec string) (Selection, error) {
	spec = strings.TrimSpace(spec)
	sel := Selection{}
	switch spec {
	case "", "current":
		return sel, nil
	case "previous":
		for f, cur := range Versions.Formats {
			rel := Released(f)
			if i := slices.Index(rel, cur); i > 0 {
				sel[f] = rel[i-1]
			}
		}
		return sel, nil
	}
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		i := strings.LastIndex(name, ".v")
		if i <= 0 {
			return nil, fmt.Errorf("prompt templates: %q is not a template name such as faqs.v1", name)
		}
		f := content.Format(name[:i])
		if _, ok := Versions.Formats[f]; !ok {
			return nil, fmt.Errorf("prompt templates: %q: %q is not a text format", name, f)
		}
		if !slices.Contains(Released(f), name) {
			return nil, fmt.Errorf("prompt templates: %q is not released (%s: %s)", name, f, strings.Join(Released(f), ", "))
		}
		if prev, dup := sel[f]; dup {
			return nil, fmt.Errorf("prompt templates: %s named twice (%s, %s)", f, prev, name)
		}
		sel[f] = name
	}
	return sel, nil
}

// For returns the template to render for a format: the selected one, or
// empty for the one in use.
func (s Selection) For(f content.Format) string { return s[f] }

// String lists the selection's templates by format, or "current".
func (s Selection) String() string {
	if len(s) == 0 {
		return "current"
	}
	names := make([]string, 0, len(s))
	for _, n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
