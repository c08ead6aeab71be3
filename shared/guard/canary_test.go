package guard

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanaryIsPerJobAndPerSecret(t *testing.T) {
	t.Parallel()
	local := Canary{}
	require.True(t, local.Local())
	c := local.For("job-1")
	assert.Regexp(t, `^canary-[0-9a-f]{32}$`, c)
	assert.Equal(t, c, NewCanary("").For("job-1"), "every process derives the same canary for a job")
	assert.NotEqual(t, c, local.For("job-2"))
	prod := NewCanary("a production secret")
	assert.False(t, prod.Local())
	assert.NotEqual(t, c, prod.For("job-1"), "the secret changes every canary")
	assert.Equal(t, prod.For("job-1"), NewCanary("a production secret").For("job-1"))
}

func TestLeakedFindsTheCanaryInDisguise(t *testing.T) {
	t.Parallel()
	c := Canary{}.For("job-42")
	hexPart := strings.TrimPrefix(c, CanaryPrefix)
	spaced := strings.Join(strings.Split(c, ""), " ")
	zw := strings.Join(strings.Split(c, ""), "\u200b")
	fullwidth := strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r + 0xFEE0
		}
		return r
	}, c)
	cyrillic := strings.NewReplacer("a", "а", "c", "с", "e", "е").Replace(c)
	escaped, _ := json.Marshal(map[string]string{"overview": "marker " + strings.ToUpper(c)})
	jsonEscaped := `{"overview":"` + strings.ReplaceAll(c, "a", `\u0061`) + `"}`
	split := `{"a":"` + c[:20] + `","b":"` + c[20:] + `"}`
	cases := map[string]string{
		"plain":               "The marker is " + c + ".",
		"upper case":          strings.ToUpper(c),
		"hex only":            "ref " + hexPart,
		"spaced":              spaced,
		"zero-width":          zw,
		"dashed groups":       hexPart[:8] + "-" + hexPart[8:16] + "-" + hexPart[16:],
		"full-width":          fullwidth,
		"look-alikes":         cyrillic,
		"in JSON":             string(escaped),
		"JSON escapes":        jsonEscaped,
		"split over fields":   split,
		"first half":          "partial: " + hexPart[:16],
		"last half":           "partial: " + hexPart[16:],
		"base64":              "data " + base64.StdEncoding.EncodeToString([]byte("leak: "+c)),
		"hex encoded":         "data " + hex.EncodeToString([]byte(c)),
		"newlines in between": strings.Join(strings.Split(hexPart, ""), "\n"),
	}
	for name, answer := range cases {
		assert.True(t, Leaked([]byte(answer), c), name)
	}
	assert.True(t, LeakedText("alt: "+c, c))
}

func TestLeakedIgnoresOtherText(t *testing.T) {
	t.Parallel()
	c := Canary{}.For("job-42")
	other := Canary{}.For("job-43")
	hexPart := strings.TrimPrefix(c, CanaryPrefix)
	for name, answer := range map[string]string{
		"another job's canary": other,
		"a short piece":        "id " + hexPart[:12],
		"the word canary":      "The canary-yellow bird sang; canaries were used in coal mines.",
		"plain document":       `{"title":"Photosynthesis","overview":"Plants turn light into sugar."}`,
		"a hash":               "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	} {
		assert.False(t, Leaked([]byte(answer), c), name)
	}
	assert.False(t, Leaked([]byte(c), ""), "no canary, no leak")
}
