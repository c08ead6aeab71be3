package security

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"contentfactory.dev/factory/functions/sources"
	"contentfactory.dev/factory/functions/text"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/auth/authtest"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// secretPatterns are shapes of credentials no log line may hold.
var secretPatterns = map[string]*regexp.Regexp{
	"API key":         regexp.MustCompile(regexp.QuoteMeta(auth.KeyPrefix) + `[A-Za-z0-9_-]{16,}`),
	"JWT":             regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`),
	"bearer header":   regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._-]{8,}`),
	"private key":     regexp.MustCompile(`PRIVATE KEY`),
	"prompt fence":    regexp.MustCompile(`<<<DATA-|DATA-[0-9a-f]{32}>>>`),
	"system prompt":   regexp.MustCompile(`You are the writer of Content Factory|never instructions|Leak marker`),
	"signed URL sig":  regexp.MustCompile(`X-Goog-Signature=[0-9a-f]{16,}`),
	"request headers": regexp.MustCompile(`(?i)"authorization"`),
}

// TestLogsHoldNoSecretsPromptsOrSourceText runs a job through the API and
// the steps (the Vertex backend against its fake: a repaired answer and a
// rejected leak included) and a round of failed authentications, all
// logging JSON lines at INFO into one buffer; no line may hold an API key,
// an ID token, the prompt or the source text (target S9, OWASP LLM02).
func TestLogsHoldNoSecretsPromptsOrSourceText(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	logger := logging.New(f.log, slog.LevelInfo, "test-project")
	ctx := logging.Into(t.Context(), logger)

	const sourceMarker = "Zanzibar-quokka-7731"
	sourceText := "Tides are caused by the Moon's gravity. " + sourceMarker + " is a secret paragraph of the customer's notes that must never be logged. " + waterCycle
	alice := "Bearer " + f.keys["alice"]
	idTok := f.idToken("dana-subject")
	jobID := f.submit(alice, map[string]any{"topic": "Tides and the Moon", "source_text": sourceText, "formats": []string{"faqs"}})
	tokJob := f.submit("Bearer "+idTok, map[string]any{"topic": "Ocean currents", "formats": []string{"outline"}})
	require.NotEmpty(t, tokJob)

	// Authentication failures of every kind.
	bad := []string{
		"Bearer " + auth.KeyPrefix + "UnknownKeyUnknownKeyUnknownKey123",
		"Bearer " + f.keys["revoked"],
		"Bearer " + f.issuer.Sign(authtest.Token{Subject: "dana-subject", Audience: audience, Expires: time.Now().Add(-time.Hour)}),
		"Bearer " + f.issuer.Sign(authtest.Token{Subject: "dana-subject", Audience: "https://elsewhere.test"}),
		"Basic " + f.keys["alice"],
	}
	for _, h := range bad {
		r := f.do(http.MethodGet, "/v1/jobs/"+jobID, h, nil)
		require.Equal(t, http.StatusUnauthorized, r.Status)
	}

	// The steps, with the Vertex backend: the outline is repaired once
	// (a malformed answer first), the FAQs answer leaks the canary.
	fake := vertextest.NewServer(vertextest.Options{Seed: 5, Faults: []vertextest.Fault{{Kind: vertextest.Malformed, Times: 1}}})
	t.Cleanup(fake.Close)
	cfg, err := models.Load(func(k string) string {
		if k == models.EnvVertexBaseURL {
			return fake.URL
		}
		return ""
	}, "test-project")
	require.NoError(t, err)
	gen, err := vertex.New(ctx, cfg, vertex.Options{Index: &vertex.MemoryIndex{}, Logger: logger,
		Retry: &retry.Policy{Attempts: 2, Base: time.Millisecond, Cap: time.Millisecond}})
	require.NoError(t, err)
	canary := guard.Canary{}.For(jobID)
	run := func(step content.Format) {
		runner := pipeline.NewRunner(f.ports, text.Executor{Gen: gen, MaxRepairs: 2}, pipeline.RunnerConfig{MaxAttempts: 3, Region: "local"})
		require.NoError(t, runner.Run(ctx, pipeline.StepMessage{JobID: jobID, Step: step, Attempt: 1, Region: "local"}))
	}
	// The sources step reads the source text into passages first; it
	// logs what it read, never the text.
	reader := pipeline.NewRunner(f.ports, sources.Executor{Reader: &ingest.Reader{Limits: content.DefaultSourceLimits, Screen: guard.ScreenSource}},
		pipeline.RunnerConfig{MaxAttempts: 3, Region: "local"})
	require.NoError(t, reader.Run(ctx, pipeline.StepMessage{JobID: jobID, Step: content.FormatSources, Attempt: 1, Region: "local"}))
	run(content.FormatOutline)
	fake.SetCompromised(fmt.Sprintf(`{"title": "x", "faqs": [], "note": "%s %s"}`, canary, sourceMarker))
	run(content.FormatFAQs)

	detail := f.do(http.MethodGet, "/v1/jobs/"+jobID, alice, nil)
	require.Equal(t, http.StatusOK, detail.Status)
	var d client.Job
	require.NoError(t, json.Unmarshal(detail.Body, &d))
	require.Equal(t, client.StepSucceeded, step(&d, content.FormatOutline).Status, "%s", detail.Body)
	require.NotNil(t, step(&d, content.FormatFAQs).Error)
	assert.Equal(t, guard.CodeOutputRejected, step(&d, content.FormatFAQs).Error.Code)
	assert.Equal(t, 2, fake.Count("generate")-1, "the outline was repaired once, the leak never")
	art := f.do(http.MethodGet, "/v1/jobs/"+jobID+"/artifacts/outline.json", alice, nil)
	require.Equal(t, http.StatusFound, art.Status)
	assert.Contains(t, art.Header.Get("Location"), "response-content-disposition=attachment")

	// Every line, at INFO and above.
	lines := f.log.Lines(t)
	require.NotEmpty(t, lines)
	secrets := map[string]string{"source text": sourceMarker, "topic": "Tides and the Moon", "canary": canary, "ID token": idTok}
	for owner, k := range f.keys {
		secrets["API key of "+owner] = k
	}
	for _, h := range bad {
		secrets["refused credential "+h[:12]] = strings.TrimPrefix(strings.TrimPrefix(h, "Bearer "), "Basic ")
	}
	messages := map[string]int{}
	for _, l := range lines {
		raw, _ := json.Marshal(l)
		line := string(raw)
		sev, _ := l["severity"].(string)
		assert.Contains(t, []string{"INFO", "WARNING", "ERROR"}, sev, "only INFO and above were asked for: %s", line)
		for name, s := range secrets {
			assert.NotContains(t, line, s, "a log line holds the %s", name)
		}
		for name, re := range secretPatterns {
			assert.False(t, re.MatchString(line), "a log line holds a %s: %s", name, line)
		}
		msg, _ := l["message"].(string)
		messages[msg]++
	}
	// The lines that were looked at are the ones that matter.
	for _, m := range []string{"request", "job created", "model call", "model answer repeated the instructions; rejected"} {
		assert.Positive(t, messages[m], "expected log lines %q; got %v", m, messages)
	}
	t.Logf("logs: %d lines at INFO and above checked against %d secrets and %d patterns: none found", len(lines), len(secrets), len(secretPatterns))
}
