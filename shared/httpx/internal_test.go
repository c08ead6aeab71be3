package httpx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/httpx"
)

func TestInternalTellsAFailureThatPassesFromABug(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		err        error
		status     int
		code       string
		retryAfter string
	}{
		"contention past the retries": {fmt.Errorf("revise step: %w: lock timeout", failure.ErrConflict), http.StatusServiceUnavailable, "unavailable", "1"},
		"store unavailable":           {failure.Transient("store_unavailable", errors.New("connection refused")), http.StatusServiceUnavailable, "unavailable", "1"},
		"anything else":               {errors.New("nil map"), http.StatusInternalServerError, "internal", ""},
		"a permanent failure":         {failure.Permanent("invalid_output", errors.New("bad")), http.StatusInternalServerError, "internal", ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			httpx.Internal(w, httptest.NewRequest(http.MethodGet, "/v1/jobs/x", nil), c.err)
			assert.Equal(t, c.status, w.Code)
			assert.Equal(t, c.retryAfter, w.Header().Get("Retry-After"))
			var p struct{ Code, Detail string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			assert.Equal(t, c.code, p.Code)
			assert.NotContains(t, p.Detail, c.err.Error(), "the cause stays in the log")
		})
	}
}
