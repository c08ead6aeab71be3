package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

const imageModel = "gemini-3.1-flash-image"

// deliveries counts the runs of a job's step, from the worker's log.
func deliveries(t *testing.T, s *stacktest.Stack, function, jobID, step string) int {
	t.Helper()
	return len(s.Logged(t, function, func(l map[string]any) bool {
		return l["job_id"] == jobID && l["step"] == step && l["message"] == "step started"
	}))
}

func stepOf(j *client.Job, name content.Format) (status client.StepStatus, code string) {
	st, _ := j.Step(name)
	if st.Error != nil {
		code = st.Error.Code
	}
	return st.Status, code
}

// TestFailureClassesThroughPubSub runs failing steps through the real
// Pub/Sub emulator: a permanent failure is acknowledged after one
// delivery; a transient one is delivered again until the subscription's
// attempts run out, then dead-lettered and recorded as failed.
func TestFailureClassesThroughPubSub(t *testing.T) {
	const attempts = 5 // the least Pub/Sub allows
	s := stacktest.Start(t, devstack.Options{
		AI: "vertex", FakeAI: true, MaxDeliveryAttempts: attempts, MaxBackoff: 2 * time.Second,
		// The runner would give up on its own after FACTORY_MAX_ATTEMPTS
		// claims; let Pub/Sub give up first.
		Env: []string{"FACTORY_MAX_ATTEMPTS=50"},
	})

	t.Run("a permanent failure is acknowledged after one delivery", func(t *testing.T) {
		s.Stack.Vertex.ClearFaults()
		s.Stack.Vertex.AddFault(vertextest.Fault{Kind: vertextest.BadRequest, Model: imageModel})
		id := s.Submit(t, map[string]any{"topic": "Permanent failures", "formats": []string{"image"}})
		j := s.Wait(t, id, time.Minute)
		status, code := stepOf(j, "image")
		assert.Equal(t, client.StepFailed, status)
		assert.Equal(t, "invalid_request", code)
		assert.Equal(t, client.JobPartial, j.Status, "the outline was delivered, the image not")
		time.Sleep(3 * time.Second) // a nack would have been redelivered by now
		assert.Equal(t, 1, deliveries(t, s, "GenerateImage", id, "image"))
	})

	t.Run("a transient failure is dead-lettered after the configured attempts", func(t *testing.T) {
		s.Stack.Vertex.ClearFaults()
		s.Stack.Vertex.AddFault(vertextest.Fault{Kind: vertextest.ServerError, Model: imageModel})
		id := s.Submit(t, map[string]any{"topic": "Transient failures", "formats": []string{"faqs", "image"}})
		j := s.Wait(t, id, 3*time.Minute)
		status, code := stepOf(j, "image")
		require.Equal(t, client.StepFailed, status, stacktest.Describe(j))
		assert.Equal(t, "dead_lettered", code)
		faqs, _ := stepOf(j, "faqs")
		assert.Equal(t, client.StepSucceeded, faqs)
		assert.Equal(t, client.JobPartial, j.Status, "the job still ended")
		assert.Equal(t, attempts, deliveries(t, s, "GenerateImage", id, "image"), "exactly the configured attempts")
		assert.Equal(t, 1, len(s.Logged(t, "DeadLetter", func(l map[string]any) bool {
			return l["job_id"] == id && l["message"] == "step failed: its message was dead-lettered"
		})))
	})
	s.Stack.Vertex.ClearFaults()
}
