package deploy

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/pipeline"
)

// jsonPath reads the analytics views' paths into the job event:
// JSON_VALUE(data, '$.usage.cost_usd'), JSON_QUERY_ARRAY(data,
// '$.step_details'), and JSON_VALUE(s, '$.step') for a step detail.
var jsonPath = regexp.MustCompile(`JSON_(?:VALUE|QUERY_ARRAY)\((data|s), '\$\.([a-z_.]+)'\)`)

// hasJSONPath reports whether a dotted path of json field names leads
// somewhere in a type.
func hasJSONPath(t reflect.Type, path string) bool {
	for name := range strings.SplitSeq(path, ".") {
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		found := false
		for i := range t.NumField() {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if tag == name {
				t, found = t.Field(i).Type, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestAnalyticsReadTheJobEventsFields: every field the BigQuery views read
// from a job event is one pipeline.JobEvent (or its StepDetail) has, so a
// renamed field cannot leave a view reading nulls.
func TestAnalyticsReadTheJobEventsFields(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tfDir(), "analytics.tf"))
	require.NoError(t, err)
	refs := jsonPath.FindAllStringSubmatch(string(b), -1)
	require.NotEmpty(t, refs, "analytics.tf reads no field of the job events")
	types := map[string]reflect.Type{"data": reflect.TypeFor[pipeline.JobEvent](), "s": reflect.TypeFor[pipeline.StepDetail]()}
	read := map[string]bool{}
	for _, r := range refs {
		read[r[1]+"."+r[2]] = true
		assert.True(t, hasJSONPath(types[r[1]], r[2]), "analytics.tf reads %s.%s, which the job event does not have", r[1], r[2])
	}
	for _, want := range []string{"data.id", "data.job_id", "data.owner", "data.run", "data.created_at", "data.finished_at", "data.usage.cost_usd",
		"data.step_details", "s.step", "s.status", "s.prompt_version", "s.duration_seconds", "s.cost_usd"} {
		assert.True(t, read[want], "the views do not read %s", want)
	}
}
