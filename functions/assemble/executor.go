package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// Artifact names of the package.
const (
	ManifestName   = "manifest.json"
	BundleMarkdown = "bundle.md"
	BundleHTML     = "bundle.html"
)

// Executor writes the package: a manifest of every step and its
// artifacts, and the bundle of every text format. Every other step has
// ended by then, so it also drops the job's model context cache, if any.
type Executor struct {
	Caches CacheCleaner
}

// CacheCleaner deletes what a job cached with the model provider.
type CacheCleaner interface {
	DeleteJobCache(ctx context.Context, jobID string) error
}

// Manifest is the package's table of contents.
type Manifest struct {
	JobID     string             `json:"job_id"`
	Title     string             `json:"title"`
	Topic     string             `json:"topic"`
	Language  string             `json:"language"`
	CreatedAt time.Time          `json:"created_at"`
	Steps     []ManifestStep     `json:"steps"`
	Exports   []ManifestArtifact `json:"exports"`
}

// ManifestStep is one step in the manifest.
type ManifestStep struct {
	Name      content.Format      `json:"name"`
	Status    pipeline.StepStatus `json:"status"`
	Error     *pipeline.StepError `json:"error,omitempty"`
	Artifacts []ManifestArtifact  `json:"artifacts"`
}

// ManifestArtifact is one file in the manifest.
type ManifestArtifact struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size,omitempty"`
	MD5         string `json:"md5,omitempty"`
}

// Execute implements pipeline.Executor.
func (e Executor) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	if e.Caches != nil {
		if err := e.Caches.DeleteJobCache(ctx, t.Job.ID); err != nil {
			// It expires by itself; a failure here costs storage, not the job.
			logging.From(ctx).WarnContext(ctx, "delete the job's context cache failed", "error", err.Error())
		}
	}
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	steps, err := t.Steps(ctx)
	if err != nil {
		return nil, err
	}
	bundle := export.Bundle{Topic: req.Topic, Title: req.Topic}
	m := Manifest{JobID: t.Job.ID, Title: req.Topic, Topic: req.Topic, Language: req.Language, CreatedAt: t.Job.CreatedAt}
	for _, f := range t.Job.Formats {
		i := slices.IndexFunc(steps, func(s *pipeline.Step) bool { return s.Name == f })
		if f == content.FormatPackage || i < 0 {
			continue
		}
		s := steps[i]
		ms := ManifestStep{Name: s.Name, Status: s.Status, Error: s.Error, Artifacts: []ManifestArtifact{}}
		for _, a := range s.Artifacts {
			ms.Artifacts = append(ms.Artifacts, ManifestArtifact{Name: a.Name, ContentType: a.ContentType, Size: a.Size, MD5: a.MD5})
		}
		m.Steps = append(m.Steps, ms)
		if s.Status != pipeline.StepSucceeded || s.Kind != content.KindText {
			continue
		}
		raw, err := t.Doc(ctx, f)
		if err != nil {
			return nil, err
		}
		doc, err := content.ValidateText(f, raw, content.Expect{})
		if err != nil {
			return nil, ai.Permanent("invalid_input", fmt.Errorf("stored %s: %w", f, err))
		}
		if o, ok := doc.(*content.Outline); ok {
			bundle.Title, m.Title = o.Title, o.Title
		}
		bundle.Docs = append(bundle.Docs, export.Doc{Format: f, Value: doc})
	}
	md := export.Markdown(bundle)
	page := export.HTML(bundle) // sanitized: model output is never trusted as HTML
	m.Exports = []ManifestArtifact{
		{Name: BundleMarkdown, ContentType: "text/markdown; charset=utf-8", Size: int64(len(md))},
		{Name: BundleHTML, ContentType: "text/html; charset=utf-8", Size: int64(len(page))},
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, ai.Permanent("internal", err)
	}
	return &pipeline.Output{Files: []pipeline.File{
		{Name: BundleMarkdown, ContentType: "text/markdown; charset=utf-8", Data: md},
		{Name: BundleHTML, ContentType: "text/html; charset=utf-8", Data: page},
		{Name: ManifestName, ContentType: "application/json", Data: manifest},
	}}, nil
}
