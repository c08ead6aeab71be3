package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"contentfactory.dev/factory/shared/httpx"
)

// The web app (/, /app/…) and the API explorer (/docs, /docs/…) are
// static files embedded in the function. They call the same public API
// as every other client. Their pages get a Content-Security-Policy of
// their own, which allows scripts and styles from this origin only (no
// inline script, no inline style); the API's answers keep the strict one
// httpx.Secure sets.

//go:embed web
var webFiles embed.FS

// asset is an embedded file, served with a strong ETag so that browsers
// revalidate it instead of downloading it again.
type asset struct {
	data        []byte
	contentType string
	etag        string
}

func newAsset(name string, data []byte) asset {
	sum := sha256.Sum256(data)
	typ := mime.TypeByExtension(path.Ext(name))
	if typ == "" {
		typ = "application/octet-stream"
	}
	return asset{data: data, contentType: typ, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

func (a asset) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// serveWeb registers the web app and the explorer.
func (h *Handler) serveWeb() {
	app := h.pagePolicy(appPolicy)
	docs := h.pagePolicy(docsPolicy)
	files := assets("web/app")
	audience := []byte(html.EscapeString(h.opts.IDTokenAudience))
	files["index.html"] = embedded("web/app/index.html", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("{{ID_TOKEN_AUDIENCE}}"), audience)
	})
	h.mux.Handle("GET /{$}", app(files["index.html"].serve))
	h.mux.Handle("GET /app/{file...}", app(fileServer(files)))
	docFiles := assets("web/docs")
	h.mux.Handle("GET /docs", docs(docFiles["index.html"].serve))
	h.mux.Handle("GET /docs/{file...}", docs(fileServer(docFiles)))
}

// lazyAsset is an embedded file read and hashed on its first request,
// not when the instance starts: the explorer's files alone are 1.9 MB,
// and hashing them held up every cold start's first answer.
type lazyAsset func() asset

// embedded is the lazy asset of the embedded file at p, changed by edit
// (if not nil) before it is hashed.
func embedded(p string, edit func([]byte) []byte) lazyAsset {
	return sync.OnceValue(func() asset {
		b, err := webFiles.ReadFile(p)
		if err != nil {
			// Only paths listed from webFiles itself are ever read.
			panic(fmt.Sprintf("embedded web file %s: %v", p, err))
		}
		if edit != nil {
			b = edit(b)
		}
		return newAsset(path.Base(p), b)
	})
}

func (l lazyAsset) serve(w http.ResponseWriter, r *http.Request) { l().serve(w, r) }

// assets lists the embedded files under dir, by their path below it.
func assets(dir string) map[string]lazyAsset {
	out := map[string]lazyAsset{}
	_ = fs.WalkDir(webFiles, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		out[strings.TrimPrefix(p, dir+"/")] = embedded(p, nil)
		return nil
	})
	return out
}

func fileServer(files map[string]lazyAsset) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := files[r.PathValue("file")]
		if !ok {
			httpx.Error(w, r, http.StatusNotFound, "not_found", "There is nothing at this path.")
			return
		}
		a.serve(w, r)
	}
}

// appPolicy lets the app's pages run their own scripts and styles, call
// the API, and fetch, show and play artifacts from the storage signed
// URLs lead to (STORAGE).
const appPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' STORAGE; " +
	"media-src STORAGE; connect-src 'self' STORAGE; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsPolicy is the explorer's (Swagger UI). Swagger UI writes style
// attributes from its scripts (React) and shows icons and images as data:
// URLs in its stylesheet; 'unsafe-inline' is allowed for style attributes
// only (style-src-attr), never for <style> elements or scripts: a style
// attribute cannot run code, and the page shows only this API's own
// description.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// pagePolicy wraps a page handler to answer with a page's policy instead
// of the API's.
func (h *Handler) pagePolicy(policy string) func(http.HandlerFunc) http.Handler {
	storage := h.opts.StorageOrigin
	if storage == "" {
		storage = "https://storage.googleapis.com"
	}
	policy = strings.ReplaceAll(policy, "STORAGE", storage)
	return func(next http.HandlerFunc) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", policy)
			next(w, r)
		})
	}
}
