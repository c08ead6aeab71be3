package api

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"
	"sync"

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
	// needs is the part of Options the operation is served with.
	needs feature
}

// feature is an optional part of the API, served when its Options are set.
type feature int

const (
	always   feature = iota
	steering         // Options.Steer and Options.Documents
	uploads          // Options.Uploads and Options.UploadFiles
)

// served reports whether the options serve f.
func (o *Options) served(f feature) bool {
	switch f {
	case steering:
		return o.Steer != nil && o.Documents != nil
	case uploads:
		return o.Uploads != nil && o.UploadFiles != nil
	}
	return true
}

// operations is every operation the API serves.
func (h *Handler) operations() []operation {
	return []operation{
		{http.MethodGet, "/healthz", h.health, always},
		{http.MethodGet, "/v1/openapi.json", serveOpenAPI, always},
		{http.MethodGet, "/v1/jobs", h.authed(h.list), always},
		{http.MethodPost, "/v1/jobs", h.authed(h.submit), always},
		{http.MethodGet, "/v1/jobs/{id}", h.authed(h.get), always},
		{http.MethodDelete, "/v1/jobs/{id}", h.authed(h.erase), always},
		{http.MethodPost, "/v1/jobs/{id}:cancel", h.authed(h.cancel), always},
		{http.MethodPost, "/v1/jobs/{id}:approve", h.authed(h.approve), steering},
		{http.MethodGet, "/v1/jobs/{id}/events", h.authed(h.events), always},
		{http.MethodGet, "/v1/jobs/{id}/artifacts/{name}", h.authed(h.artifact), always},
		{http.MethodPost, "/v1/jobs/{id}/steps/{step}:regenerate", h.authed(h.regenerate), steering},
		{http.MethodGet, "/v1/jobs/{id}/documents/{format}", h.authed(h.getDocument), steering},
		{http.MethodPut, "/v1/jobs/{id}/documents/{format}", h.authed(h.putDocument), steering},
		{http.MethodGet, "/v1/usage", h.authed(h.usage), always},
		{http.MethodPost, "/v1/uploads", h.authed(h.createUpload), uploads},
		{http.MethodGet, "/v1/uploads/{id}", h.authed(h.getUpload), uploads},
		{http.MethodDelete, "/v1/uploads/{id}", h.authed(h.deleteUpload), uploads},
	}
}

// route registers the operations on the mux, with a 405 problem naming
// the allowed methods for every other method on their paths.
func (h *Handler) route(ops []operation) {
	var paths []string
	allow := map[string][]string{}
	actions := map[string]map[string]http.HandlerFunc{}
	for _, op := range ops {
		if !h.opts.served(op.needs) {
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
		// The route is the action's, not its resource's: the server's span
		// is named by it (httpx.Middleware reads the pattern matched).
		r.Pattern = http.MethodPost + " " + path + ":" + verb
		serve(w, r)
	}
}

// openAPI is the API's description, the source of truth for its paths,
// parameters, headers, documents and problem codes.
//
//go:embed openapi.json
var openAPI []byte

// serveOpenAPI serves GET /v1/openapi.json, to anyone.
var serveOpenAPI = lazyAsset(sync.OnceValue(func() asset { return newAsset("openapi.json", openAPI) })).serve
