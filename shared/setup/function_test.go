package setup

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTheFunctionThisProcessServesIsBuiltAtStart: the handler of the
// function named by FUNCTION_TARGET starts building before any request,
// once; a function the process merely links is not built.
func TestTheFunctionThisProcessServesIsBuiltAtStart(t *testing.T) {
	t.Setenv("FUNCTION_TARGET", "Served")
	builds := make(chan string, 4)
	lazyFor := func(name string) *Lazy[built[http.Handler]] {
		return NewLazy(func(context.Context) (built[http.Handler], error) {
			builds <- name
			return built[http.Handler]{h: http.NotFoundHandler()}, nil
		})
	}
	served, linked := lazyFor("Served"), lazyFor("Linked")
	startEarly("Served", served)
	startEarly("Linked", linked)
	select {
	case name := <-builds:
		assert.Equal(t, "Served", name)
	case <-time.After(30 * time.Second):
		t.Fatal("the served function was not built without a request")
	}
	b, err := served.Get(t.Context())
	require.NoError(t, err)
	assert.NotNil(t, b.h)
	assert.Empty(t, builds, "the first request built again, or the linked function was built")
}
