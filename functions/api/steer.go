package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

// Steering: approve a review, regenerate a step, edit a document, read a
// version of one.

// Steerer changes jobs that exist.
type Steerer interface {
	Revise(ctx context.Context, ch pipeline.Change) (*pipeline.Job, *pipeline.Step, bool, error)
	Approve(ctx context.Context, id string) (*pipeline.Job, error)
}

// Documents reads and stores job documents.
type Documents interface {
	Read(ctx context.Context, path string) ([]byte, error)
	Create(ctx context.Context, path string, data []byte, contentType string) (pipeline.Object, error)
}

// MaxInstructions bounds a regeneration's instructions, in characters.
const MaxInstructions = 2000

// approve serves POST /v1/jobs/{id}:approve.
func (h *Handler) approve(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	job, ok := h.ownJob(w, r, p)
	if !ok {
		return
	}
	job, err := h.opts.Steer.Approve(r.Context(), job.ID)
	if err != nil {
		h.steerProblem(w, r, job, err)
		return
	}
	httpx.JSON(w, http.StatusOK, h.summary(h.base(r), job))
}

// regenerate serves POST /v1/jobs/{id}/steps/{step}:regenerate, with an
// optional body {"instructions": "..."}.
func (h *Handler) regenerate(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	step := r.PathValue("step") // the action's verb is routes.go's
	body, ok := httpx.ReadBody(w, r, h.opts.MaxBodyBytes)
	if !ok {
		return
	}
	var in struct {
		Instructions string `json:"instructions"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if !httpx.RequireJSON(w, r) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || !utf8.Valid(body) {
			httpx.Error(w, r, http.StatusBadRequest, "invalid_json", "The body must be a JSON object {\"instructions\": \"...\"} in UTF-8.")
			return
		}
	}
	in.Instructions = content.CleanText(in.Instructions)
	if n := utf8.RuneCountInString(in.Instructions); n > MaxInstructions {
		httpx.WriteProblem(w, r, client.Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_request",
			Detail: "The request has invalid fields; see errors.", Errors: []content.FieldError{{Field: "instructions", Code: "too_long",
				Message: fmt.Sprintf("must be at most %d characters, is %d", MaxInstructions, n)}}})
		return
	}
	if spec, ok := content.Lookup(content.Format(step)); ok && spec.Kind != content.KindText && in.Instructions != "" {
		httpx.WriteProblem(w, r, client.Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_request",
			Detail: "The request has invalid fields; see errors.", Errors: []content.FieldError{{Field: "instructions", Code: "not_supported",
				Message: "only text steps take instructions; regenerate " + step + " without them"}}})
		return
	}
	key, ok := h.idempotencyKey(w, r)
	if !ok {
		return
	}
	score, _ := guard.Screen(&content.Request{SourceText: in.Instructions})
	h.revise(w, r, p, pipeline.Change{Step: content.Format(step), Made: pipeline.MadeRegenerated,
		Instructions: in.Instructions, InjectionScore: score, Key: key, Fingerprint: fingerprint("regenerate", step, in.Instructions)})
}

// putDocument serves PUT /v1/jobs/{id}/documents/{format}: the body is the
// whole document, checked as a generated one would be.
func (h *Handler) putDocument(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !httpx.RequireJSON(w, r) {
		return
	}
	body, ok := httpx.ReadBody(w, r, h.opts.MaxBodyBytes)
	if !ok {
		return
	}
	key, ok := h.idempotencyKey(w, r)
	if !ok {
		return
	}
	job, ok := h.ownJob(w, r, p)
	if !ok {
		return
	}
	f := content.Format(r.PathValue("format"))
	if spec, ok := content.Lookup(f); !ok || spec.Doc == nil || !slices.Contains(job.Formats, f) {
		httpx.Error(w, r, http.StatusNotFound, "document_not_found", "Job "+job.ID+" has no document "+strconv.Quote(string(f))+" to edit.")
		return
	}
	if !utf8.Valid(body) {
		httpx.Error(w, r, http.StatusBadRequest, "invalid_json", "The document is not valid UTF-8.")
		return
	}
	exp, err := h.expect(r.Context(), job, f)
	if err != nil {
		h.steerProblem(w, r, job, err)
		return
	}
	doc, err := content.ValidateText(f, body, exp)
	var vs content.Violations
	switch {
	case errors.As(err, &vs):
		fields := make([]content.FieldError, len(vs))
		for i, v := range vs {
			fields[i] = content.FieldError{Field: strings.TrimPrefix(v.Path, "/"), Code: "invalid_value", Message: v.Message}
		}
		httpx.WriteProblem(w, r, client.Problem{Status: http.StatusUnprocessableEntity, Code: "invalid_document",
			Detail: "The " + string(f) + " document does not pass its checks; see errors.", Errors: fields})
		return
	case err != nil:
		httpx.Internal(w, r, err)
		return
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	// An edit is stored under a name made from its content: the same edit
	// twice is one object, two edits never share one.
	sum := sha256.Sum256(data)
	name := pipeline.DocName(f)
	path := pipeline.ArtifactPath(job.ID, f, "edit-"+hex.EncodeToString(sum[:12])+"/"+name)
	obj, err := h.opts.Documents.Create(r.Context(), path, data, "application/json")
	if err != nil {
		httpx.Internal(w, r, fmt.Errorf("store the edited %s: %w", f, err))
		return
	}
	art := pipeline.Artifact{Name: name, Path: obj.Path, ContentType: obj.ContentType, Size: obj.Size, Generation: obj.Generation, MD5: obj.MD5}
	h.revise(w, r, p, pipeline.Change{Step: f, Made: pipeline.MadeEdited, Artifacts: []pipeline.Artifact{art},
		Key: key, Fingerprint: fingerprint("edit", string(f), hex.EncodeToString(sum[:]))})
}

// expect is what an edited document of a job must agree with: its request
// and, for a document made from the outline, the current outline.
func (h *Handler) expect(ctx context.Context, job *pipeline.Job, f content.Format) (content.Expect, error) {
	req, err := h.reader.Request(ctx, job.ID)
	if err != nil {
		return content.Expect{}, err
	}
	exp := content.Expect{Request: req}
	if f == content.FormatOutline {
		return exp, nil
	}
	steps, err := h.reader.Steps(ctx, job.ID)
	if err != nil {
		return exp, err
	}
	a, ok := pipeline.Find(onlyStep(steps, content.FormatOutline), pipeline.DocName(content.FormatOutline))
	if !ok {
		return exp, errNoOutline
	}
	raw, err := h.opts.Documents.Read(ctx, a.Path)
	if err != nil {
		return exp, err
	}
	if exp.Outline, err = content.Decode[content.Outline](content.FormatOutline, raw, content.Expect{Request: req}); err != nil {
		return exp, fmt.Errorf("stored outline of job %s: %w", job.ID, err)
	}
	return exp, nil
}

var errNoOutline = errors.New("the job has no outline yet")

// revise applies a change to the caller's job and answers 202 with the
// job, or replays the answer to the same change asked before.
func (h *Handler) revise(w http.ResponseWriter, r *http.Request, p auth.Principal, ch pipeline.Change) {
	job, ok := h.ownJob(w, r, p)
	if !ok {
		return
	}
	// The run a change starts is admitted against the owner's limits in
	// the transaction that makes it (a replay is not charged again).
	// Changes of one job are made one at a time in this instance: a retry
	// that arrives while the first call runs waits and replays it, instead
	// of contending with it (a change reads and writes every step).
	unlock := h.steering.Lock(job.ID)
	defer unlock()
	ch.JobID = job.ID
	job, _, created, err := h.opts.Steer.Revise(r.Context(), ch)
	if err != nil {
		h.steerProblem(w, r, job, err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	h.standing(w, job.Standing)
	steps, err := h.reader.Steps(r.Context(), job.ID)
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	job, err = h.reader.Job(r.Context(), job.ID)
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	base := h.base(r)
	w.Header().Set("Location", base+jobPath(job.ID))
	httpx.JSON(w, http.StatusAccepted, h.detail(base, job, steps))
}

// getDocument serves GET /v1/jobs/{id}/documents/{format}[?version=N]: the
// current version of a document, or the one asked for.
func (h *Handler) getDocument(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	job, steps, ok := h.ownJobSteps(w, r, p)
	if !ok {
		return
	}
	f := content.Format(r.PathValue("format"))
	var step *pipeline.Step
	if s := onlyStep(steps, f); len(s) == 1 {
		step = s[0]
	}
	if spec, ok := content.Lookup(f); !ok || spec.Doc == nil || step == nil {
		httpx.Error(w, r, http.StatusNotFound, "document_not_found", "Job "+job.ID+" has no document "+strconv.Quote(string(f))+".")
		return
	}
	arts, version := step.Artifacts, step.CurrentVersion()
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			httpx.Error(w, r, http.StatusBadRequest, "invalid_version", "version must be a whole number from 1.")
			return
		}
		i := slices.IndexFunc(step.Versions, func(sv pipeline.StepVersion) bool { return sv.Version == n })
		if i < 0 {
			httpx.Error(w, r, http.StatusNotFound, "version_not_found", fmt.Sprintf("The %s of job %s has no version %d.", f, job.ID, n))
			return
		}
		if n != version {
			arts, version = step.Versions[i].Artifacts, n
		}
	}
	a, ok := pipeline.Find([]*pipeline.Step{{Artifacts: arts}}, pipeline.DocName(f))
	if !ok {
		httpx.Error(w, r, http.StatusNotFound, "document_not_found", fmt.Sprintf("Version %d of the %s of job %s is not made (yet).", version, f, job.ID))
		return
	}
	data, err := h.opts.Documents.Read(r.Context(), a.Path)
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Version", strconv.Itoa(version))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// steerProblem answers a change the pipeline refused.
func (h *Handler) steerProblem(w http.ResponseWriter, r *http.Request, job *pipeline.Job, err error) {
	var ex *ratelimit.Exceeded
	id := ""
	if job != nil {
		id = job.ID
	}
	switch {
	case errors.As(err, &ex):
		h.tooMany(w, r, ex)
	case errors.Is(err, pipeline.ErrMismatch):
		httpx.Error(w, r, http.StatusConflict, "idempotency_key_reused",
			"This Idempotency-Key was used with a different change; use a new key for a new change.")
	case errors.Is(err, pipeline.ErrJobBusy):
		httpx.Error(w, r, http.StatusConflict, "job_running", "Job "+id+" is running; change its steps once it has ended.")
	case errors.Is(err, pipeline.ErrEnded):
		httpx.Error(w, r, http.StatusConflict, "job_already_ended", "Job "+id+" has ended ("+string(job.Status)+") and can no longer change.")
	case errors.Is(err, pipeline.ErrNotRevisable):
		detail := "That step of job " + id + " cannot be changed that way."
		if job != nil && job.Status == pipeline.JobAwaitingReview {
			detail = "Job " + id + " awaits the review of its " + job.Review + ": only that may change until it is approved."
		}
		httpx.Error(w, r, http.StatusConflict, "not_revisable", detail)
	case errors.Is(err, pipeline.ErrNoReview):
		httpx.Error(w, r, http.StatusConflict, "no_review", "Job "+id+" did not ask for a review.")
	case errors.Is(err, errNoOutline):
		httpx.Error(w, r, http.StatusConflict, "job_running", "Job "+id+" has no outline yet; edit its documents once they are made.")
	case errors.Is(err, pipeline.ErrNotFound):
		httpx.Error(w, r, http.StatusNotFound, "job_not_found", "There is no job "+strconv.Quote(id)+".")
	default:
		httpx.Internal(w, r, err)
	}
}

// idempotencyKey reads an optional Idempotency-Key, answering 400 for a
// malformed one.
func (h *Handler) idempotencyKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	key := r.Header.Get(client.IdempotencyKeyHeader)
	if key != "" && !validKey(key) {
		httpx.Error(w, r, http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters.")
		return "", false
	}
	return key, true
}

// fingerprint names what a change asked, to tell a replay from a reuse.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func onlyStep(steps []*pipeline.Step, f content.Format) []*pipeline.Step {
	for _, s := range steps {
		if s.Name == f {
			return []*pipeline.Step{s}
		}
	}
	return nil
}
