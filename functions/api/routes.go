package api

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"

	"contentfactory.dev/factory/shared/httpx"
)

// operation is one operation of the API, named as the OpenAPI document
// (openapi.json) names it. Adding an endpoint is a line in operations
// and its entry under "paths" in openapi.json; TestEveryRouteIsDescribed
// names whichever is missing. A path ending in "{name}:verb" is an action
// on that resource (POST only), as Google's APIs write custom methods.
type operation struct {
	method, path string
	serve        http.HandlerFunc
	// steer: served only when Options.Steer and Options.Documents are set.
	steer bool
}

// operations is every operation the API serves.
func (h *Handler) operations() []operation {
	return []operation{
		{http.MethodGet, "/healthz", h.health, false},
		{http.MethodGet, "/v1/openapi.json", serveOpenAPI, false},
		{http.MethodGet, "/v1/jobs", h.authed(h.list), false},
		{http.MethodPost, "/v1/jobs", h.authed(h.submit), false},
		{http.MethodGet, "/v1/jobs/{id}", h.authed(h.get), false},
		{http.MethodDelete, "/v1/jobs/{id}", h.authed(h.erase), false},
		{http.MethodPost, "/v1/jobs/{id}:cancel", h.authed(h.cancel), false},
		{http.MethodPost, "/v1/jobs/{id}:approve", h.authed(h.approve), true},
		{http.MethodGet, "/v1/jobs/{id}/events", h.authed(h.events), false},
		{http.MethodGet, "/v1/jobs/{id}/artifacts/{name}", h.authed(h.artifact), false},
		{http.MethodPost, "/v1/jobs/{id}/steps/{step}:regenerate", h.authed(h.regenerate), true},
		{http.MethodGet, "/v1/jobs/{id}/documents/{format}", h.authed(h.getDocument), true},
		{http.MethodPut, "/v1/jobs/{id}/documents/{format}", h.authed(h.putDocument), true},
		{http.MethodGet, "/v1/usage", h.authed(h.usage), false},
	}
}

// route registers the operations on the mux, with a 405 problem naming
// the allowed methods for every other method on their paths.
func (h *Handler) route(ops []operation) {
	var paths []string
	allow := map[string][]string{}
	actions := map[string]map[string]http.HandlerFunc{}
	steer := h.opts.Steer != nil && h.opts.Documents != nil
	for _, op := range ops {
		if op.steer && !steer {
			continue
		}
		path, verb := splitAction(op.path)
		if !slices.Contains(paths, path) {
			paths = append(paths, path)
		}
		if verb != "" {
			if actions[path] == nil {
				actions[path] = map[string]http.HandlerFunc{}
			}
			actions[path][verb] = op.serve
			continue
		}
		h.mux.HandleFunc(op.method+" "+path, op.serve)
		allow[path] = append(allow[path], op.method)
	}
	for _, path := range paths {
		methods := strings.Join(allow[path], ", ")
		if methods == "" {
			methods = http.MethodPost // a resource with actions only
		}
		if verbs := actions[path]; verbs != nil {
			h.mux.HandleFunc(http.MethodPost+" "+path, action(path, methods, verbs))
		}
		h.mux.HandleFunc(path, notAllowed(methods))
	}
}

// splitAction splits "/v1/jobs/{id}:cancel" into "/v1/jobs/{id}" and
// "cancel"; a path without an action has no verb.
func splitAction(path string) (string, string) {
	if i := strings.LastIndex(path, "}:"); i >= 0 && !strings.Contains(path[i:], "/") {
		return path[:i+1], path[i+2:]
	}
	return path, ""
}

// action serves POST on a resource's actions: the last path value holds
// "id:verb".
func action(path, allow string, verbs map[string]http.HandlerFunc) http.HandlerFunc {
	wildcard := path[strings.LastIndex(path, "{")+1 : len(path)-1]
	var names []string
	for v := range verbs {
		names = append(names, path+":"+v)
	}
	slices.Sort(names)
	return func(w http.ResponseWriter, r *http.Request) {
		id, verb, _ := strings.Cut(r.PathValue(wildcard), ":")
		serve, ok := verbs[verb]
		if !ok {
			w.Header().Set("Allow", allow)
			httpx.Error(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "POST is for "+strings.Join(names, ", ")+".")
			return
		}
		r.SetPathValue(wildcard, id)
		serve(w, r)
	}
}

// openAPI is the API's description, the source of truth for its paths,
// parameters, headers, documents and problem codes.
//
//go:embed openapi.json
var openAPI []byte

// serveOpenAPI serves GET /v1/openapi.json, to anyone.
var serveOpenAPI = newAsset("openapi.json", openAPI).serve
