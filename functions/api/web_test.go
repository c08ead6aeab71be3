package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPagesHaveTheirOwnPolicyAndTheAPIKeepsItsOwn(t *testing.T) {
	t.Parallel()
	h := New(nil, nil, nil, nil, Options{StorageOrigin: "http://127.0.0.1:4443", IDTokenAudience: `https://x.example/"><script>`})
	get := func(path string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	app := get("/")
	require.Equal(t, http.StatusOK, app.Code)
	assert.Equal(t, "text/html; charset=utf-8", app.Header().Get("Content-Type"))
	csp := app.Header().Get("Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'self'; style-src 'self';")
	assert.Contains(t, csp, "media-src http://127.0.0.1:4443;")
	assert.Contains(t, csp, "connect-src 'self' http://127.0.0.1:4443;")
	assert.NotContains(t, csp, "unsafe")
	assert.Contains(t, app.Body.String(), `content="https://x.example/&#34;&gt;&lt;script&gt;"`, "the audience is escaped into the page")
	assert.NotContains(t, app.Body.String(), "<script>")
	assert.Equal(t, "nosniff", app.Header().Get("X-Content-Type-Options"))

	css := get("/app/app.css")
	require.Equal(t, http.StatusOK, css.Code)
	assert.Equal(t, "text/css; charset=utf-8", css.Header().Get("Content-Type"))
	assert.Equal(t, "no-cache", css.Header().Get("Cache-Control"))
	again := get("/app/app.css", "If-None-Match", css.Header().Get("ETag"))
	assert.Equal(t, http.StatusNotModified, again.Code, "revalidated, not downloaded again")

	js := get("/app/js/main.js")
	assert.Equal(t, "text/javascript; charset=utf-8", js.Header().Get("Content-Type"))
	missing := get("/app/nope.js")
	assert.Equal(t, http.StatusNotFound, missing.Code)
	assert.Equal(t, "application/problem+json", missing.Header().Get("Content-Type"))

	docs := get("/docs")
	require.Equal(t, http.StatusOK, docs.Code)
	assert.Contains(t, docs.Header().Get("Content-Security-Policy"), "style-src-attr 'unsafe-inline'")
	assert.NotContains(t, docs.Header().Get("Content-Security-Policy"), "script-src 'self' 'unsafe")
	assert.Equal(t, http.StatusOK, get("/docs/vendor/swagger-ui-bundle.js").Code)

	spec := get("/v1/openapi.json")
	require.Equal(t, http.StatusOK, spec.Code, "served without credentials")
	assert.Equal(t, "application/json", spec.Header().Get("Content-Type"))
	assert.Equal(t, "default-src 'none'; frame-ancestors 'none'", spec.Header().Get("Content-Security-Policy"), "the API's own policy")
	assert.True(t, strings.HasPrefix(spec.Body.String(), "{"))
}
