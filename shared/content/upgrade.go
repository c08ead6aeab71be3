package content

import (
	"bytes"
	"encoding/json"
	"strings"
)

// upgrade rewrites a document of an earlier shape of its format into the
// current one, so that documents stored before a change (and edits sent
// in the old shape) still validate: a one-pager's key takeaways were
// plain strings, and a detailed reading's sections held their text as one
// Markdown "content" instead of paragraphs. Anything else, and anything it
// cannot read, is returned as it is (the schema then says what is wrong).
func upgrade(f Format, raw []byte) []byte {
	var changed bool
	var doc map[string]any
	switch f {
	case FormatOnePager:
		if !bytes.Contains(raw, []byte(`"key_takeaways"`)) || json.Unmarshal(raw, &doc) != nil {
			return raw
		}
		items, _ := doc["key_takeaways"].([]any)
		for i, it := range items {
			if s, ok := it.(string); ok {
				items[i] = map[string]any{"text": s}
				changed = true
			}
		}
	case FormatDetailedReading:
		if !bytes.Contains(raw, []byte(`"content"`)) || json.Unmarshal(raw, &doc) != nil {
			return raw
		}
		sections, _ := doc["sections"].([]any)
		for _, it := range sections {
			sec, ok := it.(map[string]any)
			text, isText := sec["content"].(string)
			if !ok || !isText || sec["paragraphs"] != nil {
				continue
			}
			var paras []any
			for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					paras = append(paras, map[string]any{"text": p})
				}
			}
			delete(sec, "content")
			sec["paragraphs"] = paras
			changed = true
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw
	}
	return out
}
