package quality

import (
	"fmt"
	"strconv"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// DefaultThreshold is the score under which a document is sent back with
// its findings (and flagged when it stays under), unless its format has
// its own.
const DefaultThreshold = 0.6

// Thresholds are the scores under which each format's documents are
// repaired and flagged. The zero value holds DefaultThreshold for every
// format.
type Thresholds struct {
	Default float64
	Formats map[content.Format]float64
	set     bool
}

// For returns the threshold of a format.
func (t Thresholds) For(f content.Format) float64 {
	if v, ok := t.Formats[f]; ok {
		return v
	}
	if t.set {
		return t.Default
	}
	return DefaultThreshold
}

// ParseThresholds reads thresholds written as "0.6" (every format) or
// "default=0.6,flashcards=0.7,faqs=0.65": each a number in [0, 1] (0
// turns the repair off), each format a text format. Empty: the defaults.
func ParseThresholds(spec string) (Thresholds, error) {
	t := Thresholds{Default: DefaultThreshold, Formats: map[content.Format]float64{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			name, value = "default", name
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || v < 0 || v > 1 {
			return Thresholds{}, fmt.Errorf("threshold %q: must be a number from 0 to 1", part)
		}
		if name == "default" {
			t.Default, t.set = v, true
			continue
		}
		if spec, ok := content.Lookup(content.Format(name)); !ok || spec.Kind != content.KindText {
			return Thresholds{}, fmt.Errorf("threshold %q: %q is not a text format", part, name)
		}
		t.Formats[content.Format(name)] = v
	}
	t.set = true
	return t, nil
}
