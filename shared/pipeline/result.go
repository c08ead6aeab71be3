package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
)

// ResultRecord is the file, beside a step's artifacts, that records a
// finished run once all its artifacts are stored: which files it wrote
// (with their generations and checksums), what its model calls cost and
// which prompt made it. It is written last and write-once, so its presence
// means the run's outputs are complete. It is not an artifact: it is never
// listed or served.
const ResultRecord = "_result.json"

// storedResult is the content of a ResultRecord.
type storedResult struct {
	// Attempt is the attempt that made and stored the result.
	Attempt       int              `json:"attempt"`
	Artifacts     []storedArtifact `json:"artifacts"`
	Calls         []ai.Call        `json:"calls"`
	PromptVersion string           `json:"prompt_version,omitempty"`
	// Model is the model that wrote a text step's document.
	Model *ai.Made `json:"model,omitempty"`
	// Sources is the sources step's summary of what it read.
	Sources *content.SourcesSummary `json:"sources,omitempty"`
	// Quality and Warnings are a text step's.
	Quality  *content.Quality `json:"quality,omitempty"`
	Warnings []StepWarning    `json:"warnings,omitempty"`
}

// storedArtifact is an Artifact as the record keeps it, path included.
type storedArtifact struct {
	Name        string `json:"name"`
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Generation  int64  `json:"generation"`
	MD5         string `json:"md5,omitempty"`
}

func storedArtifacts(arts []Artifact) []storedArtifact {
	out := make([]storedArtifact, len(arts))
	for i, a := range arts {
		out[i] = storedArtifact(a)
	}
	return out
}

func (sr *storedResult) artifacts() []Artifact {
	out := make([]Artifact, len(sr.Artifacts))
	for i, a := range sr.Artifacts {
		out[i] = Artifact(a)
	}
	return out
}

// recordResult stores the record of a run whose artifacts are all stored.
// When a record exists already (another run of the step stored its result
// first), the first is kept.
func (r *Runner) recordResult(ctx context.Context, jobID string, run stepRun, res storedResult) error {
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode the result of step %s: %w", run.name, err)
	}
	if _, err := r.blobs.Create(ctx, VersionPath(jobID, run.name, run.version, ResultRecord), data, "application/json"); err != nil {
		return fmt.Errorf("record the result of step %s: %w", run.name, err)
	}
	return nil
}

// storedResultOf returns the result an earlier run of the step's version
// stored, if
// it is complete: every artifact it lists is stored with the generation
// and checksum it recorded. A missing or incomplete record is (nil, nil):
// the step has to be made.
func (r *Runner) storedResultOf(ctx context.Context, jobID string, run stepRun) (*storedResult, error) {
	name := run.name
	data, err := r.blobs.Read(ctx, VersionPath(jobID, name, run.version, ResultRecord))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the stored result of step %s: %w", name, err)
	}
	var res storedResult
	if err := json.Unmarshal(data, &res); err != nil {
		logging.From(ctx).WarnContext(ctx, "stored result does not decode: the step is made again", "error", err.Error())
		return nil, nil
	}
	for _, a := range res.Artifacts {
		o, err := r.blobs.Stat(ctx, a.Path)
		if errors.Is(err, ErrNotFound) {
			logging.From(ctx).WarnContext(ctx, "stored result names a missing artifact: the step is made again", "artifact", a.Name)
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("check stored artifact %s: %w", a.Name, err)
		}
		if o.Generation != a.Generation || o.Size != a.Size || (a.MD5 != "" && o.MD5 != a.MD5) {
			logging.From(ctx).WarnContext(ctx, "stored artifact differs from the recorded result: the step is made again", "artifact", a.Name)
			return nil, nil
		}
	}
	return &res, nil
}
