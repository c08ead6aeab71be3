package setup_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/config"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/setup"
)

// The tests set FACTORY_MODELS, so none runs in parallel.

func TestEstimatorPricesWithTheModelsConfiguration(t *testing.T) {
	req := &content.Request{Topic: "Tides"}
	req.ApplyDefaults()
	env := &setup.Env{Config: &config.Config{Project: "p", AI: "offline"}}
	defaults := models.Defaults().Estimate(req)
	require.Positive(t, defaults)

	t.Setenv(models.EnvFile, "")
	assert.InDelta(t, defaults, env.Estimator()(req), 1e-12, "no models file: the embedded prices")

	// Every price ten times higher: so is the estimate.
	file := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"prices": {
		"gemini-3.8-flash": {"input_per_mtok": 5, "output_per_mtok": 30, "cached_per_mtok": 0.5},
		"gemini-3.1-flash-image": {"input_per_mtok": 3, "output_per_mtok": 25, "per_image": 0.39},
		"tts:Chirp3-HD": {"per_mchar": 300}}}`), 0o600))
	t.Setenv(models.EnvFile, file)
	assert.InDelta(t, 10*defaults, env.Estimator()(req), 1e-9)
}

func TestEstimatorFallsBackToTheDefaultPrices(t *testing.T) {
	var logs bytes.Buffer
	env := &setup.Env{Config: &config.Config{Project: "p", AI: "offline"}, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	t.Setenv(models.EnvFile, filepath.Join(t.TempDir(), "missing.json"))
	req := &content.Request{Topic: "Tides"}
	req.ApplyDefaults()
	assert.InDelta(t, models.Defaults().Estimate(req), env.Estimator()(req), 1e-12)
	assert.Contains(t, logs.String(), "missing.json", "the unreadable configuration is reported")
}
