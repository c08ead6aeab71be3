// Package openapitest holds tests to the API's OpenAPI document: a
// transport that checks every answer of the API against the document the
// API serves (GET /v1/openapi.json), with kin-openapi's openapi3filter.
// The handler tests and the end-to-end tests carry their requests
// through it, so an answer the document does not describe (a status, a
// header, a field, a problem code) fails the test that got it.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Load parses an OpenAPI document and checks that it is valid.
func Load(ctx context.Context, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("parse the OpenAPI document: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	return doc, nil
}

// Validator checks the answers of the API at one base URL.
type Validator struct {
	t      testing.TB
	base   http.RoundTripper
	host   string
	once   sync.Once
	err    error
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	// checked counts the answers checked, by "METHOD path-template status".
	checked map[string]int
}

// Transport returns a transport that carries requests over base (nil:
// http.DefaultTransport) and checks every answer from apiURL against the
// document apiURL serves; a mismatch fails t. Requests to other hosts
// (signed storage URLs) are carried unchecked.
func Transport(t testing.TB, apiURL string, base http.RoundTripper) *Validator {
	if base == nil {
		base = http.DefaultTransport
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	return &Validator{t: t, base: base, host: u.Host, checked: map[string]int{}}
}

// Checked returns how many answers were checked, by operation and status.
func (v *Validator) Checked() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.checked))
	for k, n := range v.checked {
		out[k] = n
	}
	return out
}

// load reads the document the API serves, once.
func (v *Validator) load(r *http.Request) error {
	v.once.Do(func() {
		req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodGet, r.URL.Scheme+"://"+r.URL.Host+"/v1/openapi.json", nil)
		if err != nil {
			v.err = err
			return
		}
		resp, err := v.base.RoundTrip(req)
		if err != nil {
			v.err = fmt.Errorf("read /v1/openapi.json: %w", err)
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			v.err = fmt.Errorf("read /v1/openapi.json: %s %v", resp.Status, err)
			return
		}
		if v.doc, v.err = Load(req.Context(), data); v.err != nil {
			return
		}
		// Routes match this server's URL.
		v.doc.Servers = openapi3.Servers{{URL: r.URL.Scheme + "://" + r.URL.Host}}
		v.router, v.err = gorillamux.NewRouter(v.doc)
	})
	return v.err
}

// RoundTrip carries a request and checks its answer.
func (v *Validator) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(r)
	if err != nil || r.URL.Host != v.host {
		return resp, err
	}
	if err := v.load(r); err != nil {
		v.t.Errorf("openapitest: %v", err)
		return resp, nil
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var body []byte
	if mt != "text/event-stream" {
		if body, err = io.ReadAll(resp.Body); err != nil {
			return nil, err
		}
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	what := r.Method + " " + r.URL.Path + " → " + resp.Status
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		// Not an operation of the document: the answer must be a
		// problem (404 not_found, 405 method_not_allowed).
		v.count(r.Method+" (no operation) "+resp.Status[:3], 1)
		problem := v.doc.Components.Schemas["Problem"].Value
		if mt != "application/problem+json" {
			v.t.Errorf("openapitest: %s: an answer outside the document's operations must be a problem, not %q", what, mt)
		} else if err := validateJSON(problem, body); err != nil {
			v.t.Errorf("openapitest: %s: the problem does not match the document's Problem: %v", what, err)
		}
		return resp, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: resp.StatusCode,
		Header: resp.Header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			ExcludeResponseBody:   mt == "text/event-stream",
			MultiError:            true,
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		v.t.Errorf("openapitest: %s does not match openapi.json (%s %s): %s\nbody: %s", what, route.Method, route.Path, err, truncate(body))
	}
	v.count(route.Method+" "+route.Path+" "+resp.Status[:3], 1)
	return resp, nil
}

func (v *Validator) count(key string, n int) {
	v.mu.Lock()
	v.checked[key] += n
	v.mu.Unlock()
}

func validateJSON(s *openapi3.Schema, body []byte) error {
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return err
	}
	return s.VisitJSON(value, openapi3.EnableJSONSchema2020())
}

func truncate(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
