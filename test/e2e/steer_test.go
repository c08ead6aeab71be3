package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

// generateCalls counts the model answers the Vertex fake gave for a job's
// step, from the labels every call carries.
func generateCalls(s *stacktest.Stack, jobID, step string) int {
	n := 0
	for _, r := range s.Stack.Vertex.Requests() {
		if r.Kind != "generate" || r.Status != 200 {
			continue
		}
		var body struct {
			Labels map[string]string `json:"labels"`
		}
		if json.Unmarshal(r.Body, &body) == nil && body.Labels["job"] == jobID && (step == "" || body.Labels["step"] == step) {
			n++
		}
	}
	return n
}

// waitStatus polls a job until it has a status, for at most limit.
func waitStatus(t *testing.T, s *stacktest.Stack, id string, want client.JobStatus, limit time.Duration) *client.Job {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		j := s.Get(t, id)
		if j.Status == want {
			return j
		}
		require.False(t, j.Status.Terminal() && want != j.Status, "job %s ended %s, not %s: %s", id, j.Status, want, stacktest.Describe(j))
		require.True(t, time.Now().Before(deadline), "job %s is %s after %s, not %s", id, j.Status, limit, want)
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSteering runs each way of steering a job through the local stack
// with the production backends against the fakes of Vertex AI and
// Text-to-Speech, whose counters show what was paid for.
func TestSteering(t *testing.T) {
	s := stacktest.Start(t, devstack.Options{AI: "vertex", FakeAI: true})
	ctx := t.Context()
	source := "The Moon pulls the oceans toward it. High tide comes twice a day. Spring tides follow the full and new moon. Neap tides come at the quarter moons."

	t.Run("review, edit the outline, approve", func(t *testing.T) {
		id := s.Submit(t, map[string]any{"topic": "Tides under review", "source_text": source, "formats": []string{"faqs"}, "review": "outline"})
		waitStatus(t, s, id, client.JobAwaitingReview, 2*time.Minute)
		raw, err := s.API.Document(ctx, id, content.FormatOutline, 0)
		require.NoError(t, err)
		var outline map[string]any
		require.NoError(t, json.Unmarshal(raw, &outline))
		outline["overview"] = "An overview the reviewer wrote: how the Moon and the Sun move the seas."
		edited, _ := json.Marshal(outline)
		_, err = s.API.PutDocument(ctx, id, content.FormatOutline, edited, "")
		require.NoError(t, err)
		assert.Equal(t, client.JobAwaitingReview, s.Get(t, id).Status)
		calls := generateCalls(s, id, "outline")

		_, err = s.API.Approve(ctx, id)
		require.NoError(t, err)
		j := s.Wait(t, id, 2*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
		st, _ := j.Step(content.FormatOutline)
		assert.Equal(t, 2, st.Version)
		assert.Equal(t, calls, generateCalls(s, id, "outline"), "the edited outline was not generated again")
		faqs, _ := j.Step(content.FormatFAQs)
		assert.Equal(t, 1, faqs.Version, "the FAQs were made once, after the approval")
		assert.Equal(t, int(faqs.Usage.Calls), generateCalls(s, id, "faqs")+generateCalls(s, id, "faqs-check"),
			"every call for the FAQs (the document, its repairs, its grounding checks) is theirs")
	})

	t.Run("regenerate a derived format", func(t *testing.T) {
		id := s.Submit(t, map[string]any{"topic": "Tides regenerated", "source_text": source, "formats": []string{"faqs", "flashcards"}})
		j := s.Wait(t, id, 2*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
		before := generateCalls(s, id, "")
		faqsBefore := generateCalls(s, id, "faqs") + generateCalls(s, id, "faqs-check")

		_, err := s.API.Regenerate(ctx, id, content.FormatFlashcards, "Harder cards, please.", "regen-flashcards")
		require.NoError(t, err)
		again, err := s.API.Regenerate(ctx, id, content.FormatFlashcards, "Harder cards, please.", "regen-flashcards")
		require.NoError(t, err, "a retry with the same key replays")
		st, _ := again.Step(content.FormatFlashcards)
		assert.Equal(t, 2, st.Version, "one new version")
		j = s.Wait(t, id, 2*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
		assert.Equal(t, 2, j.Run)
		st, _ = j.Step(content.FormatFlashcards)
		require.Len(t, st.Versions, 2)
		assert.Equal(t, "Harder cards, please.", st.Versions[1].Instructions)
		assert.Positive(t, st.Versions[1].Usage.Calls)
		assert.Equal(t, before+int(st.Versions[1].Usage.Calls), generateCalls(s, id, ""), "the calls of the flashcards' new version, no other")
		assert.Equal(t, faqsBefore, generateCalls(s, id, "faqs")+generateCalls(s, id, "faqs-check"), "the FAQs were not made again")
		faqs, _ := j.Step(content.FormatFAQs)
		assert.Equal(t, 1, faqs.Version)

		_, err = s.API.Regenerate(ctx, "nosuchjob0000", content.FormatFAQs, "", "")
		assert.Equal(t, "job_not_found", client.ErrorCode(err))
	})

	t.Run("edit the script: only the audio and the package are made again, only the changed turn is spoken", func(t *testing.T) {
		id := s.Submit(t, map[string]any{"topic": "Tides narrated", "source_text": source, "formats": []string{"audio"},
			"podcast": map[string]any{"target_minutes": 1}})
		j := s.Wait(t, id, 3*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
		spoken := len(s.Stack.TTS.Requests())
		calls := generateCalls(s, id, "")

		raw, err := s.API.Document(ctx, id, content.FormatPodcastScript, 0)
		require.NoError(t, err)
		var script content.PodcastScript
		require.NoError(t, json.Unmarshal(raw, &script))
		require.NotEmpty(t, script.Turns)
		script.Turns[0].Text = "Before we start: the Moon is why the sea comes in twice a day."
		edited, _ := json.Marshal(script)
		_, err = s.API.PutDocument(ctx, id, content.FormatPodcastScript, edited, "edit-1")
		require.NoError(t, err)
		j = s.Wait(t, id, 3*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))

		assert.Equal(t, calls, generateCalls(s, id, ""), "no model call: nothing but the audio and the package re-ran")
		assert.Equal(t, 1, len(s.Stack.TTS.Requests())-spoken, "one synthesis: the changed turn; every other part was reused")
		for _, f := range []content.Format{content.FormatOutline} {
			st, _ := j.Step(f)
			assert.Equal(t, 1, st.Version, "%s", f)
		}
		for _, f := range []content.Format{content.FormatPodcastScript, content.FormatAudio, content.FormatPackage} {
			st, _ := j.Step(f)
			assert.Equal(t, 2, st.Version, "%s", f)
		}
	})

	t.Run("the same request again makes no model call", func(t *testing.T) {
		req := map[string]any{"topic": "Tides cached", "source_text": source, "formats": []string{"faqs", "image"}}
		first := s.Submit(t, req)
		j := s.Wait(t, first, 2*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
		total := s.Stack.Vertex.Count("generate")

		second := s.Submit(t, req)
		j = s.Wait(t, second, 2*time.Minute)
		require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
		assert.Equal(t, first, j.CachedFrom)
		assert.Equal(t, total, s.Stack.Vertex.Count("generate"), "zero model calls (the package only lists the job's context caches to drop them)")
		assert.Zero(t, j.Usage.CostUSD)
		a := s.Artifact(t, first, "faqs.json")
		b := s.Artifact(t, second, "faqs.json")
		assert.Equal(t, a, b)

		req["cache"] = false
		third := s.Submit(t, req)
		j = s.Wait(t, third, 2*time.Minute)
		assert.Empty(t, j.CachedFrom)
		assert.Greater(t, s.Stack.Vertex.Count("generate"), total, "cache: false runs the job")
	})
}
