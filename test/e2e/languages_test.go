package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/assemble"
	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

// TestJobsInSpanishAndJapanese runs a job in Spanish and one in Japanese,
// every format, on the offline backends: each succeeds, its documents
// pass their validators (questions with their language's marks), and no
// document, transcript or bundle holds a phrase of the offline backend's
// English table.
func TestJobsInSpanishAndJapanese(t *testing.T) {
	s := stacktest.Start(t, devstack.Options{})
	ids := map[string]string{}
	for _, name := range []string{"fotosintesis-es", "kougousei-ja"} {
		ids[name] = s.Submit(t, stacktest.Fixture(t, name+".json"))
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			j := s.Wait(t, id, 3*time.Minute)
			require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
			lang := stacktest.Fixture(t, name+".json")["language"].(string)
			assert.Equal(t, lang, j.Language, "the job shows its language")
			checkArtifacts(t, s, id, false)
			checkInLanguage(t, s, id, lang)
		})
	}
}

// checkInLanguage reads every text an offline job wrote in a language
// and finds none of the English table's phrases in it.
func checkInLanguage(t *testing.T, s *stacktest.Stack, id, lang string) {
	t.Helper()
	steps, err := store.New(s.Stack.Firestore).Steps(context.Background(), id)
	require.NoError(t, err)
	read := 0
	for _, step := range steps {
		if step.Status != pipeline.StepSucceeded {
			continue
		}
		for _, a := range step.Artifacts {
			data := s.Object(t, id, string(step.Name), a.Name)
			var text string
			switch {
			case a.Name == pipeline.DocName(step.Name) && step.Kind == content.KindText:
				text = strings.Join(jsonStrings(t, data, "level", "difficulty"), "\n")
			case a.Name == "transcript.vtt", a.Name == assemble.BundleMarkdown:
				text = string(data)
			case a.Name == "audio.json":
				var info map[string]any
				require.NoError(t, json.Unmarshal(data, &info))
				t.Logf("%s audio: %v minutes measured, %v–%v asked, voices %v", lang, info["measured_minutes"], info["min_minutes"], info["max_minutes"], info["voices"])
				continue
			case a.Name == assemble.BundleHTML:
				assert.Contains(t, string(data), `<html lang="`+lang+`" dir="ltr">`, "the page carries the job's language")
				continue
			default:
				continue
			}
			read++
			assert.Empty(t, extract.EnglishIn(lang, text), "%s/%s holds English phrases of the offline backend", step.Name, a.Name)
		}
	}
	assert.GreaterOrEqual(t, read, len(content.TextFormats())-1, "every document (the timeline may not apply) and the transcript were read")
}

// jsonStrings are the string values of a JSON document, but those of the
// named keys (values of the schema, such as a level, not phrases).
func jsonStrings(t *testing.T, data []byte, skip ...string) []string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if !slices.Contains(skip, k) {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return out
}
