package tts_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/shared/ai"
)

type parts struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (p *parts) Get(_ context.Context, key string) ([]byte, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.m[key]
	return d, ok, nil
}

func (p *parts) Put(_ context.Context, key string, data []byte, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[key] = data
	return nil
}

func TestARetriedNarrationOnlyPaysForMissingParts(t *testing.T) {
	srv := newFake(t, ttstest.Options{})
	s := newSynth(t, srv, nil, &fastRetry)
	script := thirtyMinuteScript()
	store := &parts{m: map[string][]byte{}}
	req := ai.SpeechRequest{JobID: "j1", Script: script, Language: "en-US", Parts: store}

	// The first run dies part way: the service keeps refusing after a while.
	srv.AddFault(ttstest.Fault{Code: codes.Unavailable, Probability: 0.5})
	_, err := s.Synthesize(context.Background(), req)
	require.Error(t, err)
	kept := len(store.m)
	require.NotZero(t, kept, "the parts that were made are kept")
	firstRun := len(srv.Requests())

	srv.ClearFaults()
	res, err := s.Synthesize(context.Background(), req)
	require.NoError(t, err)
	assert.Len(t, res.Calls, len(store.m)-kept, "only the parts still missing are synthesized and paid for")
	assert.Greater(t, len(srv.Requests()), firstRun)

	again, err := s.Synthesize(context.Background(), req)
	require.NoError(t, err)
	assert.Empty(t, again.Calls, "a third run synthesizes nothing")
	assert.Equal(t, res.Audio, again.Audio, "and stitches the same audio")
	assert.Equal(t, res.Duration, again.Duration)
}
