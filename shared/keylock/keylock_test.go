package keylock_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

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
