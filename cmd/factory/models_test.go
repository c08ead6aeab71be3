package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/models/liveness"
)

func TestModelsCheckAgainstTheFakes(t *testing.T) {
	t.Parallel()
	vx := vertextest.NewServer(vertextest.Options{Retired: []string{"gemini-2.5-flash"}})
	defer vx.Close()
	sp := ttstest.NewServer(ttstest.Options{})
	defer sp.Close()
	file := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"text":{"steps":{"faqs":{"model":"gemini-2.5-flash"}}}}`), 0o600))
	env := map[string]string{
		"GOOGLE_CLOUD_PROJECT":    "test-project",
		"FACTORY_MODELS":          file,
		"FACTORY_VERTEX_BASE_URL": vx.URL,
		"FACTORY_TTS_ENDPOINT":    sp.Addr,
		"FACTORY_TTS_INSECURE":    "true",
	}
	getenv := func(k string) string { return env[k] }

	var out bytes.Buffer
	err := modelsCommand(t.Context(), &out, getenv, []string{"check"})
	var code exitCode
	require.ErrorAs(t, err, &code, "a retired model fails the check")
	assert.Equal(t, exitCode(1), code)
	table := out.String()
	lines := map[string]string{}
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			lines[f[1]] = l
		}
	}
	assert.Contains(t, lines["gemini-3.8-flash"], " ok ")
	assert.Contains(t, lines["gemini-2.5-flash"], " retired ")
	assert.Contains(t, lines["gemini-2.5-flash"], "text.steps.faqs")
	assert.Contains(t, lines["gemini-2.5-flash"], "set the models file entries text.steps.faqs")
	assert.Contains(t, lines["gemini-3.1-flash-image"], " ok ")
	assert.Contains(t, lines["en-US-Chirp3-HD-Kore"], " ok ")

	out.Reset()
	require.Error(t, modelsCommand(t.Context(), &out, getenv, []string{"check", "--json"}))
	var rs []liveness.Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &rs))
	locales := models.Defaults().TTS.AllLocales()
	assert.Len(t, rs, 2+1+4*len(locales), "two text models, the image model, four voices of every locale")
	assert.Contains(t, lines["ja-JP-Chirp3-HD-Puck"], " ok ", "the voices of every configured language are checked")
	assert.Contains(t, lines["es-ES-Chirp3-HD-Kore"], "tts.locales es ")

	// Without the retired model every check passes.
	require.NoError(t, os.WriteFile(file, []byte(`{}`), 0o600))
	out.Reset()
	require.NoError(t, modelsCommand(t.Context(), &out, getenv, []string{"check"}), out.String())
	assert.NotContains(t, out.String(), "retired")
}

func TestModelsCheckCoversEveryTextBackend(t *testing.T) {
	t.Parallel()
	vx := vertextest.NewServer(vertextest.Options{})
	defer vx.Close()
	cl := gardentest.NewClaude(gardentest.Options{})
	defer cl.Close()
	oa := gardentest.NewOpenAI(gardentest.Options{Retired: []string{"meta/retired-maas"}})
	defer oa.Close()
	sp := ttstest.NewServer(ttstest.Options{})
	defer sp.Close()
	file := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"text":{
		"default":{"fallback":[{"backend":"claude","model":"claude-sonnet-4-5@20250929"}]},
		"steps":{"quiz":{"backend":"openai","model":"meta/retired-maas"}}}}`), 0o600))
	env := map[string]string{
		"GOOGLE_CLOUD_PROJECT":    "test-project",
		"FACTORY_MODELS":          file,
		"FACTORY_VERTEX_BASE_URL": vx.URL,
		"FACTORY_CLAUDE_BASE_URL": cl.URL,
		"FACTORY_OPENAI_BASE_URL": oa.URL,
		"FACTORY_TTS_ENDPOINT":    sp.Addr,
		"FACTORY_TTS_INSECURE":    "true",
	}
	var out bytes.Buffer
	err := modelsCommand(t.Context(), &out, func(k string) string { return env[k] }, []string{"check"})
	var code exitCode
	require.ErrorAs(t, err, &code, "a retired model fails the check")
	lines := map[string][]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(l); len(f) > 4 {
			lines[f[1]] = f
		}
	}
	assert.Equal(t, []string{"text", "gemini-3.8-flash", "gemini"}, lines["gemini-3.8-flash"][:3])
	assert.Equal(t, []string{"text", "claude-sonnet-4-5@20250929", "claude", "text.default.fallback[0]", "ok"}, lines["claude-sonnet-4-5@20250929"][:5])
	assert.Equal(t, []string{"text", "meta/retired-maas", "openai", "text.steps.quiz", "retired"}, lines["meta/retired-maas"][:5])
	assert.Len(t, cl.Requests(), 1)
	assert.Len(t, oa.Requests(), 1)
}
