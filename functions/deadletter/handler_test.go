package deadletter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/deadletter"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/queue/queuetest"
)

func deadLetter(t *testing.T, id, topic string, data []byte, deliveries string) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	e.SetSource("//pubsub.googleapis.com/projects/p/topics/" + topic)
	attrs := map[string]string{"CloudPubSubDeadLetterSourceDeliveryCount": deliveries}
	require.NoError(t, e.SetData(cloudevents.ApplicationJSON, map[string]any{
		"message": map[string]any{"data": data, "attributes": attrs, "messageId": id, "publishTime": time.Now()},
	}))
	return e
}

// failing fails one step for good, retryably, as a model that keeps
// answering 429 does.
type failing struct{ step content.Format }

func (f failing) Execute(_ context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	if t.Step.Name == f.step {
		return nil, ai.Transient("rate_limited", errors.New("429"))
	}
	return &pipeline.Output{Files: []pipeline.File{{Name: "x.txt", ContentType: "text/plain", Data: []byte("x")}}}, nil
}

func TestDeadLetteredStepFailsAndTheJobEnds(t *testing.T) {
	ctx := context.Background()
	st, pub, events := pipelinetest.NewStore(), &pipelinetest.Publisher{}, &pipelinetest.Events{}
	ports := pipeline.Ports{Store: st, Blobs: pipelinetest.NewBlobs(), Publisher: pub, Events: events}
	jobs := pipeline.NewJobs(ports, pipeline.JobsConfig{Region: "local"})
	runner := pipeline.NewRunner(ports, failing{content.FormatFAQs}, pipeline.RunnerConfig{MaxAttempts: 100})
	rejects := &queuetest.Rejects{}
	h := deadletter.New(jobs, rejects)

	req := content.Request{Topic: "Dead letters", Formats: []content.Format{content.FormatFAQs, content.FormatFlashcards}}
	req.ApplyDefaults()
	job, err := jobs.Submit(ctx, "owner", req, "api")
	require.NoError(t, err)
	var stuck pipeline.StepMessage
	for msgs := pub.Take(); len(msgs) > 0; msgs = pub.Take() {
		for _, env := range msgs {
			if runner.Run(ctx, env) != nil {
				stuck = env
			}
		}
	}
	require.Equal(t, content.FormatFAQs, stuck.Step)

	msg := deadLetter(t, "d1", "text-steps-dead-letter", queue.EnvelopeOf(stuck).Encode(), "5")
	require.NoError(t, h.HandleEvent(ctx, msg))
	require.NoError(t, h.HandleEvent(ctx, msg), "dead-lettered twice")
	for _, env := range pub.Take() {
		require.NoError(t, runner.Run(ctx, env)) // the package
	}
	steps, err := st.Steps(ctx, job.ID)
	require.NoError(t, err)
	for _, s := range steps {
		if s.Name == content.FormatFAQs {
			assert.Equal(t, pipeline.StepFailed, s.Status)
			assert.Equal(t, "dead_lettered", s.Error.Code)
			assert.Contains(t, s.Error.Message, "after 5 deliveries")
		}
	}
	j, err := st.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, pipeline.JobPartial, j.Status, "the job still ended")
	assert.Len(t, events.List(), 1)
	assert.Empty(t, rejects.List())
}

func TestDeadLetteredRequestsAndJunkAreRecorded(t *testing.T) {
	ctx := context.Background()
	ports := pipeline.Ports{Store: pipelinetest.NewStore(), Blobs: pipelinetest.NewBlobs(), Publisher: &pipelinetest.Publisher{}}
	rejects := &queuetest.Rejects{}
	h := deadletter.New(pipeline.NewJobs(ports, pipeline.JobsConfig{}), rejects)

	require.NoError(t, h.HandleEvent(ctx, deadLetter(t, "r1", "content-requests-dead-letter", []byte(`{"topic": "x"}`), "10")))
	require.NoError(t, h.HandleEvent(ctx, deadLetter(t, "r2", "audio-steps-dead-letter", []byte(`not an envelope`), "10")))
	got := rejects.List()
	require.Len(t, got, 2)
	assert.Equal(t, "dead_lettered", got[0].Code)
	assert.Contains(t, got[0].Reason, "10 deliveries")
	assert.Equal(t, "r1", got[0].Msg.ID)
	assert.Equal(t, "poison_message", got[1].Code)
}

func TestDeadLetteredJobEventsAreRecorded(t *testing.T) {
	ctx := context.Background()
	ports := pipeline.Ports{Store: pipelinetest.NewStore(), Blobs: pipelinetest.NewBlobs(), Publisher: &pipelinetest.Publisher{}}
	rejects := &queuetest.Rejects{}
	h := deadletter.New(pipeline.NewJobs(ports, pipeline.JobsConfig{}), rejects)
	require.NoError(t, h.HandleEvent(ctx, deadLetter(t, "e1", "job-events-dead-letter", []byte(`{"id": "j:succeeded"}`), "10")))
	got := rejects.List()
	require.Len(t, got, 1)
	assert.Equal(t, "callback_failed", got[0].Code)
}
