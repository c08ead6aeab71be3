package setup

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTheServedFunctionIsBuiltAtStartWithoutARequest(t *testing.T) {
	t.Setenv("FUNCTION_TARGET", "API")
	builds := make(chan string, 2)
	lazy := func(name string) *Lazy[built[struct{}]] {
		return NewLazy(func(context.Context) (built[struct{}], error) {
			builds <- name
			return built[struct{}]{}, nil
		})
	}
	warm("Sweep", lazy("Sweep"))
	api := lazy("API")
	warm("API", api)
	select {
	case name := <-builds:
		assert.Equal(t, "API", name, "only the function this process serves is built")
	case <-time.After(10 * time.Second):
		t.Fatal("the served function was not built at start")
	}
	_, err := api.Get(context.Background())
	assert.NoError(t, err)
	assert.Empty(t, builds, "the first request finds it built: no second build")
}
