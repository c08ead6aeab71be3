package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// An action's request carries the action's route as its pattern, which
// names the server's span (httpx.Middleware): POST /v1/jobs/{id}:cancel,
// not the resource's POST /v1/jobs/{id}, which every action shares.
func TestAnActionIsNamedByItsRoute(t *testing.T) {
	t.Parallel()
	var id string
	ok := func(w http.ResponseWriter, r *http.Request) { id = r.PathValue("id") }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/jobs/{id}", action("/v1/jobs/{id}", http.MethodPost,
		map[string]http.HandlerFunc{"cancel": ok, "approve": ok}))
	for _, verb := range []string{"cancel", "approve"} {
		req := httptest.NewRequest(http.MethodPost, "/v1/jobs/j1:"+verb, nil)
		mux.ServeHTTP(httptest.NewRecorder(), req)
		assert.Equal(t, "POST /v1/jobs/{id}:"+verb, req.Pattern)
		assert.Equal(t, "j1", id)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/jobs/j1:unknown", nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "POST /v1/jobs/{id}", req.Pattern, "no action: the resource's route")
}
