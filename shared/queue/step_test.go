package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/queue/queuetest"
)

type runs struct {
	mu   sync.Mutex
	msgs []pipeline.StepMessage
	err  error
}

func (r *runs) Run(_ context.Context, msg pipeline.StepMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
	return r.err
}

func pushEvent(t *testing.T, id string, data []byte) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	e.SetSource("//pubsub.googleapis.com/projects/p/topics/text-steps")
	require.NoError(t, e.SetData(cloudevents.ApplicationJSON, map[string]any{"message": map[string]any{"data": data, "messageId": id}}))
	return e
}

func TestStepHandlerRunsTheStepOfAMessage(t *testing.T) {
	r := &runs{}
	h := queue.StepHandler{Runner: r}
	msg := pipeline.StepMessage{JobID: "abcdefgh12", Step: content.FormatFAQs, Attempt: 2, Region: "europe-west1"}
	require.NoError(t, h.HandleEvent(context.Background(), pushEvent(t, "m1", queue.EnvelopeOf(msg).Encode())))
	assert.Equal(t, []pipeline.StepMessage{msg}, r.msgs)

	r.err = pipeline.ErrBusy
	assert.ErrorIs(t, h.HandleEvent(context.Background(), pushEvent(t, "m2", queue.EnvelopeOf(msg).Encode())), pipeline.ErrBusy,
		"a step that is busy elsewhere is delivered again")
}

func TestPoisonMessagesAreAcknowledgedAndRecorded(t *testing.T) {
	r, rej := &runs{}, &queuetest.Rejects{}
	h := queue.StepHandler{Runner: r, Rejects: rej}
	for i, data := range []string{`not json`, `{"v": 9, "job_id": "abcdefgh", "step": "faqs"}`, `{"v": 1, "job_id": "../etc", "step": "faqs"}`} {
		assert.NoError(t, h.HandleEvent(context.Background(), pushEvent(t, fmt.Sprint("poison-", i), []byte(data))), "acknowledged, never retried")
	}
	assert.Empty(t, r.msgs, "nothing ran")
	require.Len(t, rej.List(), 3)
	for _, g := range rej.List() {
		assert.Equal(t, "poison_message", g.Code)
		assert.Equal(t, "projects/p/topics/text-steps", g.Msg.Topic)
		assert.NotEmpty(t, g.Reason)
	}
}
