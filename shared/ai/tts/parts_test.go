package tts_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
)

func TestARetriedNarrationOnlyPaysForMissingParts(t *testing.T) {
	srv := newFake(t, ttstest.Options{})
	s := newSynth(t, srv, nil, &fastRetry)
	script := thirtyMinuteScript()
	store := &aitest.Parts{}
	req := ai.SpeechRequest{JobID: "j1", Script: script, Language: "en-US", Parts: store}

	// The first run dies part way: the service keeps refusing after a while.
	srv.AddFault(ttstest.Fault{Code: codes.Unavailable, Probability: 0.5})
	_, err := s.Synthesize(context.Background(), req)
	require.Error(t, err)
	kept := store.Len()
	require.NotZero(t, kept, "the parts that were made are kept")
	firstRun := len(srv.Requests())

	srv.ClearFaults()
	res, err := s.Synthesize(context.Background(), req)
	require.NoError(t, err)
	assert.Len(t, res.Calls, store.Len()-kept, "only the parts still missing are synthesized and paid for")
	assert.Greater(t, len(srv.Requests()), firstRun)

	again, err := s.Synthesize(context.Background(), req)
	require.NoError(t, err)
	assert.Empty(t, again.Calls, "a third run synthesizes nothing")
	assert.Equal(t, aitest.AudioBytes(t, res), aitest.AudioBytes(t, again), "and stitches the same audio")
	assert.Equal(t, res.Duration, again.Duration)
}

func TestSpeechConformance(t *testing.T) {
	t.Parallel()
	aitest.SpeechConformance(t, func(t *testing.T) ai.Synthesizer { return newSynth(t, newFake(t, ttstest.Options{}), nil, nil) },
		aitest.SpeechTraits{MIMEType: "audio/mpeg", KeepsParts: true})
}
