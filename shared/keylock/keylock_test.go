package keylock_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/keylock"
)

func TestOneKeyRunsOneAtATime(t *testing.T) {
	var l keylock.Locks
	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			defer l.Lock("owner-a")()
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			mu.Lock()
			inside--
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, 1, most, "never two holders of one key")
}

func TestGatesLetOneHolderOfAKeyInAndForgetIdleKeys(t *testing.T) {
	var g keylock.Gates
	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			leave, err := g.Enter(context.Background(), "owner-a")
			if !assert.NoError(t, err) {
				return
			}
			defer leave()
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			mu.Lock()
			inside--
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, 1, most, "never two holders of one key")
	assert.Zero(t, g.Len(), "no gate is kept once nobody holds or waits")
}

func TestGatesOfOtherKeysDoNotWait(t *testing.T) {
	var g keylock.Gates
	leaveA, err := g.Enter(context.Background(), "owner-a")
	require.NoError(t, err)
	defer leaveA()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leaveB, err := g.Enter(ctx, "owner-b")
	require.NoError(t, err, "another key's gate is free while owner-a's is held")
	leaveB()
}

func TestGatesWaitUntilTheContextEnds(t *testing.T) {
	var g keylock.Gates
	leave, err := g.Enter(context.Background(), "owner-a")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.Enter(ctx, "owner-a")
	assert.ErrorIs(t, err, context.Canceled)
	leave()
	again, err := g.Enter(context.Background(), "owner-a")
	require.NoError(t, err, "the gate is free once its holder leaves")
	again()
	assert.Zero(t, g.Len())
}
