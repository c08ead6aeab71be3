package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/queue"
)

// Jobs creates jobs: the job document, its request and its planned steps
// in one transaction, then the messages of the steps that can start.
type Jobs struct {
	store     Store
	pub       Publisher
	region    string
	retention time.Duration
	now       func() time.Time
}

// NewJobs returns a job creator. Jobs are kept for retention after they
// are created.
func NewJobs(store Store, pub Publisher, region string, retention time.Duration) *Jobs {
	return &Jobs{store: store, pub: pub, region: region, retention: retention, now: time.Now}
}

// NewID returns a random 128-bit job id in lower-case base32.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Submit creates a job for an owner from a parsed request (see
// content.ParseRequest). origin says how it came in ("api", "pubsub").
// A failed publish does not fail the submission: the job is stored and
// the sweep publishes its queued steps.
func (j *Jobs) Submit(ctx context.Context, owner string, req content.Request, origin string) (*Job, error) {
	return j.SubmitWithID(ctx, NewID(), owner, req, origin)
}

// SubmitWithID is Submit with a chosen id; it fails with ErrExists when
// that job exists.
func (j *Jobs) SubmitWithID(ctx context.Context, id, owner string, req content.Request, origin string) (*Job, error) {
	now := j.now().UTC()
	job := &Job{
		ID:          id,
		Owner:       owner,
		Topic:       req.Topic,
		Formats:     req.Formats,
		Status:      JobQueued,
		Origin:      origin,
		Region:      j.region,
		Fingerprint: req.Fingerprint(),
		CreatedAt:   now,
		UpdatedAt:   now,
		ExpireAt:    now.Add(j.retention),
	}
	steps := Plan(id, req.Formats, now)
	if err := j.store.CreateJob(ctx, job, &req, steps); err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	log := logging.From(ctx)
	log.InfoContext(ctx, "job created", "job_id", id, "owner", owner, "origin", origin, "steps", len(steps))
	for _, s := range steps {
		if s.Status != StepQueued {
			continue
		}
		env := queue.Envelope{V: queue.Version, JobID: id, Step: string(s.Name), Region: j.region}
		if err := j.pub.PublishStep(ctx, s.Kind, env); err != nil {
			log.ErrorContext(ctx, "publish the first step failed; the sweep will publish it", "job_id", id, "step", s.Name, "error", err.Error())
		}
	}
	return job, nil
}
