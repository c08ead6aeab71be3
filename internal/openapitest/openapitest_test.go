package openapitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/openapitest"
)

// recorder is a testing.TB that keeps what would fail the test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

const doc = `{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
  "/v1/thing": {"get": {"responses": {"200": {"description": "a thing", "content": {"application/json": {"schema": {
    "type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}, "additionalProperties": false}}}}}}}},
  "components": {"schemas": {"Problem": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "enum": ["not_found"]}}}}}}`

func TestAnswersTheDocumentDoesNotDescribeFail(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path + "?" + r.URL.RawQuery {
		case "/v1/openapi.json?":
			io.WriteString(w, doc)
		case "/v1/thing?ok":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"n": 1}`)
		case "/v1/thing?extra":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"n": 1, "m": 2}`)
		case "/v1/thing?teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/nowhere?":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"code": "not_found"}`)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"code": "no_such_code"}`)
		}
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		path, want string
	}{
		{"/v1/thing?ok", ""},
		{"/nowhere", ""},
		{"/v1/thing?extra", "additional properties 'm' not allowed"},
		{"/v1/thing?teapot", "418"},
		{"/elsewhere", "the problem does not match the document's Problem"},
	} {
		rec := &recorder{TB: t}
		hc := &http.Client{Transport: openapitest.Transport(rec, srv.URL, nil)}
		resp, err := hc.Get(srv.URL + c.path)
		require.NoError(t, err)
		resp.Body.Close()
		if c.want == "" {
			assert.Empty(t, rec.errors, c.path)
			continue
		}
		require.Len(t, rec.errors, 1, c.path)
		assert.Contains(t, rec.errors[0], c.want, c.path)
		assert.True(t, strings.HasPrefix(rec.errors[0], "openapitest: "), rec.errors[0])
	}
}
