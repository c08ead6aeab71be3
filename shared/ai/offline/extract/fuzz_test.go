package extract_test

import (
	"context"
	"encoding/json"
	"testing"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
)

// FuzzTextContract generates every format from arbitrary topics and
// sources: whatever ParseRequest accepts, the backend must answer within
// the content contract (it validates its own output and would fail with
// "invalid_output").
func FuzzTextContract(f *testing.F) {
	for _, fx := range aitest.Fixtures(f) {
		f.Add(fx.Request.Topic, fx.Request.SourceText, fx.Request.Language, fx.Request.Audience)
	}
	f.Add("Tides", "# A\n\n## B\n\n- x. y? z!\n\n1) one\n\n***\n\nC:\n\nThe Moon is a satellite.", "fr-FR", "x")
	f.Fuzz(func(t *testing.T, topic, source, lang, audience string) {
		body, err := json.Marshal(map[string]any{"topic": topic, "source_text": source, "language": lang, "audience": audience})
		if err != nil {
			t.Skip()
		}
		req, err := content.ParseRequest(body)
		if err != nil {
			t.Skip()
		}
		gen := extract.Text{}
		res, err := gen.GenerateText(context.Background(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
		if err != nil {
			t.Fatalf("outline: %v", err)
		}
		var o content.Outline
		if err := json.Unmarshal(res.JSON, &o); err != nil {
			t.Fatal(err)
		}
		for _, format := range content.TextFormats()[1:] {
			if _, err := gen.GenerateText(context.Background(), ai.TextRequest{Format: format, Request: &req, Outline: &o}); err != nil && !aitest.NotApplicable(format, err) {
				t.Fatalf("%s: %v\ntopic %q\nsource %q", format, err, topic, source)
			}
		}
	})
}
