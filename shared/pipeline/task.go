package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

// Task is one claimed run of a step, with access to what the step is made
// from.
type Task struct {
	Job  *Job
	Step *Step

	store Store
	blobs Blobs
	req   *content.Request
	steps []*Step
}

// Request returns the job's request.
func (t *Task) Request(ctx context.Context) (*content.Request, error) {
	if t.req != nil {
		return t.req, nil
	}
	req, err := t.store.Request(ctx, t.Job.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Permanentf("missing_input", "the request of job %s is gone", t.Job.ID)
	}
	if err != nil {
		return nil, failure.Transient("store_unavailable", fmt.Errorf("load request of job %s: %w", t.Job.ID, err))
	}
	t.req = req
	return req, nil
}

// Instructions are the caller's instructions for this version of the step
// (a regeneration's), or "".
func (t *Task) Instructions() string {
	if n := len(t.Step.Versions); n > 0 && t.Step.Versions[n-1].Version == t.Step.CurrentVersion() {
		return t.Step.Versions[n-1].Instructions
	}
	return ""
}

// Doc returns the JSON document of the current version of a text step of
// this job. A missing document is a permanent failure: its step did not
// succeed.
func (t *Task) Doc(ctx context.Context, f content.Format) ([]byte, error) {
	steps, err := t.Steps(ctx)
	if err != nil {
		return nil, err
	}
	path := ""
	for _, s := range steps {
		if s.Name == f {
			if a, ok := Find([]*Step{s}, DocName(f)); ok {
				path = a.Path
			}
		}
	}
	if path == "" {
		return nil, failure.Permanentf("missing_input", "the %s document is missing", f)
	}
	data, err := t.blobs.Read(ctx, path)
	if errors.Is(err, ErrNotFound) {
		return nil, failure.Permanentf("missing_input", "the %s document is missing", f)
	}
	if err != nil {
		return nil, failure.Transient("storage_unavailable", err)
	}
	return data, nil
}

// Outline returns the job's validated outline.
func (t *Task) Outline(ctx context.Context) (*content.Outline, error) {
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := t.Doc(ctx, content.FormatOutline)
	if err != nil {
		return nil, err
	}
	o, err := content.Decode[content.Outline](content.FormatOutline, raw, content.Expect{Request: req})
	if err != nil {
		return nil, failure.Permanent("invalid_input", fmt.Errorf("stored outline: %w", err))
	}
	return o, nil
}

// Sources returns the job's sources as the sources step read them and
// split them into passages (sources.json), or nil when the request has
// none. A job made before the sources step existed has its text sources
// split here, the same way.
func (t *Task) Sources(ctx context.Context) (*content.SourceSet, error) {
	if !slices.Contains(t.Job.Formats, content.FormatSources) {
		req, err := t.Request(ctx)
		if err != nil {
			return nil, err
		}
		return content.TextSources(req), nil
	}
	raw, err := t.Doc(ctx, content.FormatSources)
	if err != nil {
		return nil, err
	}
	var set content.SourceSet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, failure.Permanent("invalid_input", fmt.Errorf("stored sources: %w", err))
	}
	return &set, nil
}

// Steps returns every step of the job, as stored when first asked.
func (t *Task) Steps(ctx context.Context) ([]*Step, error) {
	if t.steps != nil {
		return t.steps, nil
	}
	steps, err := t.store.Steps(ctx, t.Job.ID)
	if err != nil {
		return nil, failure.Transient("store_unavailable", err)
	}
	t.steps = steps
	return steps, nil
}

// Read returns the bytes of a stored artifact.
func (t *Task) Read(ctx context.Context, a Artifact) ([]byte, error) {
	data, err := t.blobs.Read(ctx, a.Path)
	if err != nil {
		return nil, failure.Transient("storage_unavailable", err)
	}
	return data, nil
}

// Parts keeps intermediate parts of the step (such as each synthesized
// chunk of a narration) under jobs/{id}/{step}/parts/, write-once like
// artifacts, so a retried run can pick up where the last one stopped.
func (t *Task) Parts() ai.PartStore { return taskParts{t} }

type taskParts struct{ t *Task }

func (p taskParts) path(key string) string {
	return ArtifactPath(p.t.Job.ID, p.t.Step.Name, "parts/"+key)
}

func (p taskParts) Get(ctx context.Context, key string) ([]byte, bool, error) {
	data, err := p.t.blobs.Read(ctx, p.path(key))
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

func (p taskParts) Put(ctx context.Context, key string, data []byte, contentType string) error {
	_, err := p.t.blobs.Create(ctx, p.path(key), data, contentType)
	return err
}
