package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
)

// Results finds earlier jobs whose results may answer a request again:
// the result cache.
type Results interface {
	// Cached returns the newest job of an owner made under a cache key
	// that succeeded, created after since; ErrNotFound when there is none.
	Cached(ctx context.Context, owner, key string, since time.Time) (*Job, error)
}

// fromCache fills a new job's steps from an earlier job that answered the
// same request (same owner, cache key, within the cache's time): every
// content step's artifacts are copied (so erasing either job leaves the
// other whole) and the step succeeds at once, with no model call and no
// cost (a step that did not apply ends not_applicable again); the package is made again for the new job. It returns nil when no
// earlier job answers.
func (j *Jobs) fromCache(ctx context.Context, job *Job, now time.Time) ([]*Step, error) {
	if j.p.Results == nil || job.CacheKey == "" || j.cfg.CacheTTL <= 0 {
		return nil, nil
	}
	src, err := j.p.Results.Cached(ctx, job.Owner, job.CacheKey, now.Add(-j.cfg.CacheTTL))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up the result cache: %w", err)
	}
	if src.ID == job.ID {
		return nil, nil
	}
	old, err := j.p.Store.Steps(ctx, src.ID)
	if err != nil {
		return nil, fmt.Errorf("read the steps of cached job %s: %w", src.ID, err)
	}
	byName := map[content.Format]*Step{}
	for _, s := range old {
		byName[s.Name] = s
	}
	steps := Plan(job.ID, job.Formats, now)
	for _, s := range steps {
		if s.Name == content.FormatPackage {
			s.Status, s.QueuedAt = StepQueued, now
			continue
		}
		o := byName[s.Name]
		if o == nil || !o.Status.Fine() {
			return nil, nil // not a whole answer after all
		}
		if o.Status == StepNotApplicable {
			// It did not apply to the same request then, nor does it now.
			s.Status, s.Error = StepNotApplicable, o.Error
			s.QueuedAt, s.StartedAt, s.FinishedAt = now, now, now
			s.Versions = []StepVersion{{Version: 1, Made: MadeCached, Status: StepNotApplicable, Artifacts: []Artifact{}, Error: o.Error,
				CreatedAt: now, FinishedAt: now}}
			continue
		}
		arts := make([]Artifact, 0, len(o.Artifacts))
		for _, a := range o.Artifacts {
			obj, err := j.p.Blobs.Copy(ctx, a.Path, ArtifactPath(job.ID, s.Name, a.Name))
			if err != nil {
				return nil, fmt.Errorf("copy %s of cached job %s: %w", a.Name, src.ID, err)
			}
			arts = append(arts, Artifact{Name: a.Name, Path: obj.Path, ContentType: obj.ContentType, Size: obj.Size, Generation: obj.Generation, MD5: obj.MD5})
		}
		s.Status, s.Artifacts, s.PromptVersion, s.Model = StepSucceeded, arts, o.PromptVersion, o.Model
		s.Quality, s.Warnings = o.Quality, o.Warnings
		s.QueuedAt, s.StartedAt, s.FinishedAt = now, now, now
		s.Versions = []StepVersion{{Version: 1, Made: MadeCached, Status: StepSucceeded, PromptVersion: o.PromptVersion,
			Model: o.Model, Artifacts: arts, CreatedAt: now, FinishedAt: now}}
	}
	job.CachedFrom = src.ID
	job.EstimateUSD = 0
	job.Status, job.StartedAt = JobRunning, now
	job.Progress = Progress(steps)
	logging.From(ctx).InfoContext(ctx, "job filled from the result cache", "job_id", job.ID, "cached_from", src.ID)
	return steps, nil
}
