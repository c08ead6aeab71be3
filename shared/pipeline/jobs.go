package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/telemetry"
)

// Errors of job operations.
var (
	// ErrMismatch: a job with that id exists but was made from another
	// request (an idempotency key reused with a different body).
	ErrMismatch = errors.New("the job was created from a different request")
	// ErrEnded: the job has ended and cannot be cancelled.
	ErrEnded = errors.New("the job has already ended")
)

// JobsConfig tunes job creation.
type JobsConfig struct {
	// Region is the home region of the jobs created here.
	Region string
	// Retention is how long a job and its artifacts are kept.
	Retention time.Duration
	// Deadline is how long a job may take before the sweep ends it.
	Deadline time.Duration
	// Estimate is what a request is expected to cost (nil: nothing).
	Estimate func(*content.Request) float64
	// Limits are the limits each owner gets: a job is admitted against
	// them in the transaction that creates it, and settled in the one
	// that ends it (see Rules). The zero Policy limits nothing.
	Limits ratelimit.Policy
	// ReviewTTL is how long a job waits for the approval of its review
	// (default 7 days).
	ReviewTTL time.Duration
	// CacheKey names what a request's results depend on besides the
	// request (model IDs, prompt versions) for the result cache; nil, or a
	// CacheTTL of 0, turns the cache off.
	CacheKey func(*content.Request) string
	CacheTTL time.Duration
	// Screen scores a request's untrusted text for prompt injection
	// (guard.Screen); the score and signals are recorded on the job and
	// logged, never used to refuse it. Nil: nothing is recorded.
	Screen func(*content.Request) (float64, []string)
}

// Jobs creates, cancels and erases jobs.
type Jobs struct {
	p     Ports
	cfg   JobsConfig
	rules Rules
	now   func() time.Time
	// batches queues each owner's admissions (see admit).
	batches batcher
}

// NewJobs returns the job service.
func NewJobs(p Ports, cfg JobsConfig) *Jobs {
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 2 * time.Hour
	}
	j := &Jobs{p: p, cfg: cfg, now: time.Now}
	j.rules = Rules{Region: cfg.Region, Limits: cfg.Limits, ReviewTTL: cfg.ReviewTTL, Now: func() time.Time { return j.now() }}
	return j
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a random 128-bit job id in lower-case base32.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToLower(idEncoding.EncodeToString(b))
}

// KeyedID is the job id of an idempotent request: the same scope, owner
// and key always give the same id, so a repeated request finds its job.
func KeyedID(scope, owner, key string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + owner + "\x00" + key))
	return strings.ToLower(idEncoding.EncodeToString(sum[:16]))
}

// Submit creates a job with a random id for an owner from a parsed request
// (see content.ParseRequest). origin says how it came in ("api", "pubsub").
// A random id is new: nothing is read to find a job of that id first.
func (j *Jobs) Submit(ctx context.Context, owner string, req content.Request, origin string) (*Job, error) {
	job, _, err := j.submit(ctx, NewID(), true, owner, req, origin)
	return job, err
}

// SubmitOnce creates the job of that id unless it exists. When it exists
// and was made by the same owner from the same request, it returns it with
// created false; otherwise ErrMismatch. A new job is admitted against its
// owner's limits in the transaction that creates it: a refusal is a
// *ratelimit.Exceeded and creates nothing. A job that exists is found
// before any limit is looked at, so a repeated request is never refused
// for limits. A failed publish does not fail the submission: the job is
// stored and the sweep publishes its queued steps.
func (j *Jobs) SubmitOnce(ctx context.Context, id, owner string, req content.Request, origin string) (*Job, bool, error) {
	return j.submit(ctx, id, false, owner, req, origin)
}

// submit is SubmitOnce; fresh says the id is a new random one.
func (j *Jobs) submit(ctx context.Context, id string, fresh bool, owner string, req content.Request, origin string) (*Job, bool, error) {
	// Firestore keeps microseconds: the job answered now must read back the same.
	now := j.now().UTC().Truncate(time.Microsecond)
	job := &Job{
		ID:          id,
		Owner:       owner,
		Topic:       req.Topic,
		Language:    req.Language,
		Formats:     req.Formats,
		Status:      JobQueued,
		Origin:      origin,
		Region:      j.cfg.Region,
		Fingerprint: req.Fingerprint(),
		Review:      req.Review,
		Run:         1,
		CreatedAt:   now,
		UpdatedAt:   now,
		Deadline:    now.Add(j.cfg.Deadline),
		ExpireAt:    now.Add(j.cfg.Retention),
	}
	if j.cfg.Estimate != nil {
		job.EstimateUSD = j.cfg.Estimate(&req)
	}
	if j.cfg.Screen != nil {
		job.InjectionScore, job.InjectionSignals = j.cfg.Screen(&req)
	}
	if j.cfg.CacheKey != nil && req.Cached() {
		job.CacheKey = j.cfg.CacheKey(&req)
	}
	steps, err := j.cachedSteps(ctx, job, fresh, now)
	if err != nil {
		return nil, false, err
	}
	if steps == nil {
		steps = Plan(id, req.Formats, now)
	}
	if j.rules.Limits.Enabled() {
		err = j.admit(ctx, job, &req, steps)
	} else {
		// Without limits nothing is read: one commit, and concurrent
		// creations of one id do not contend (all but one fail ErrExists).
		err = j.p.Store.Create(ctx, job, &req, steps)
	}
	var old *Job
	if errors.Is(err, ErrExists) {
		old, err = j.p.Store.Job(ctx, id)
	}
	var exceeded *ratelimit.Exceeded
	switch {
	case errors.As(err, &exceeded):
		return nil, false, exceeded
	case err != nil:
		return nil, false, fmt.Errorf("create job %s: %w", id, err)
	case old != nil && !old.Made(owner, &req):
		return old, false, ErrMismatch
	case old != nil:
		return old, false, nil
	}
	log := logging.From(ctx)
	log.InfoContext(ctx, "job created", "job_id", id, "origin", origin, "steps", len(steps),
		"injection_score", job.InjectionScore, "injection_signals", job.InjectionSignals)
	if job.InjectionScore >= guard.Threshold {
		// Recorded for monitoring, not acted on: see guard's package doc.
		log.WarnContext(ctx, "request text looks like a prompt injection", "job_id", id, "owner", owner,
			"injection_score", job.InjectionScore, "injection_signals", job.InjectionSignals)
	}
	var first []*Step
	for _, s := range steps {
		if s.Status == StepQueued {
			first = append(first, s)
		}
	}
	publishReady(ctx, j.p.Publisher, id, j.cfg.Region, first)
	return job, true, nil
}

// cachedSteps fills a new job from the result cache, unless the job
// exists already (a repeated submission finds it instead); a fresh random
// id cannot exist, and is not looked for.
func (j *Jobs) cachedSteps(ctx context.Context, job *Job, fresh bool, now time.Time) ([]*Step, error) {
	if job.CacheKey == "" || j.p.Results == nil {
		return nil, nil
	}
	if !fresh {
		if _, err := j.p.Store.Job(ctx, job.ID); err == nil {
			return nil, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("create job %s: %w", job.ID, err)
		}
	}
	return j.fromCache(ctx, job, now)
}

// Cancel ends a job "cancelled": steps that have not started are skipped,
// running ones finish without starting others. Cancelling a cancelled job
// returns it; cancelling a job that ended otherwise is ErrEnded.
func (j *Jobs) Cancel(ctx context.Context, id string) (*Job, error) {
	var (
		job   *Job
		ended []*Step // the steps it ended with, when this call ended it
	)
	err := transact(ctx, j.p.Store, "cancel job", id, func(ctx context.Context, tx Tx) error {
		job, ended = nil, nil
		jb, err := tx.Job()
		if err != nil {
			return err
		}
		job = jb
		if jb.Status == JobCancelled {
			return nil
		}
		if jb.Status.Terminal() {
			return ErrEnded
		}
		steps, err := tx.Steps(jb.Formats...)
		if err != nil {
			return err
		}
		now := j.now().UTC()
		list := make([]*Step, 0, len(steps))
		for _, f := range jb.Formats {
			s, ok := steps[f]
			if !ok {
				continue
			}
			if s.Status == StepPending || s.Status == StepQueued {
				s.Status = StepSkipped
				s.Error = &StepError{Code: "cancelled", Message: "the job was cancelled"}
				s.FinishedAt, s.UpdatedAt = now, now
				tx.SaveStep(s)
			}
			list = append(list, s)
		}
		if err := j.rules.end(tx, jb, JobCancelled, list, now); err != nil {
			return err
		}
		ended = list
		return nil
	})
	if err != nil {
		return job, fmt.Errorf("cancel job %s: %w", id, err)
	}
	if ended != nil {
		logging.From(ctx).InfoContext(ctx, "job cancelled", "job_id", id)
		measureEnd(ctx, job)
		announce(ctx, j.p.Store, j.p.Events, job, ended)
	}
	return job, nil
}

// Erase deletes a job, its steps, its request and every artifact; a job
// that had not ended is settled with what it spent, freeing its place. A
// worker still running one of its steps may write a file after this; the
// sweep deletes it (the store keeps a record of the erasure until then).
// It fails with ErrNotFound when there is no such job.
func (j *Jobs) Erase(ctx context.Context, id string) error {
	err := transact(ctx, j.p.Store, "erase job", id, func(ctx context.Context, tx Tx) error {
		jb, err := tx.Job()
		if err != nil {
			return err
		}
		steps, err := tx.Steps(jb.Formats...)
		if err != nil {
			return err
		}
		if !jb.Status.Terminal() {
			list := make([]*Step, 0, len(steps))
			for _, s := range steps {
				list = append(list, s)
			}
			j.rules.settle(tx, jb, TotalUsage(list).CostUSD-jb.RunCostUSD, j.now())
		}
		tx.EraseJob(jb, jb.Formats)
		return nil
	})
	if err != nil {
		return fmt.Errorf("erase job %s: %w", id, err)
	}
	n, err := j.p.Blobs.DeletePrefix(ctx, JobPrefix(id))
	if err != nil {
		return fmt.Errorf("erase artifacts of job %s: %w", id, err)
	}
	logging.From(ctx).InfoContext(ctx, "job erased", "job_id", id, "objects", n)
	return nil
}

// JobPrefix is the folder of a job's artifacts.
func JobPrefix(id string) string { return "jobs/" + id + "/" }

// Expire ends a job that is still going past its deadline: every step that
// has not ended fails "deadline_exceeded" (a worker still running one finds
// it ended and changes nothing), and the job ends partial or failed by what
// was delivered. It reports whether it ended the job.
func (j *Jobs) Expire(ctx context.Context, id string) (bool, error) {
	var (
		job     *Job
		ended   []*Step
		expired []content.Format // the steps it failed
	)
	err := transact(ctx, j.p.Store, "expire job", id, func(ctx context.Context, tx Tx) error {
		job, ended, expired = nil, nil, nil
		jb, err := tx.Job()
		if err != nil {
			return err
		}
		now := j.now().UTC()
		if jb.Status.Terminal() || now.Before(jb.Deadline) {
			return nil
		}
		steps, err := tx.Steps(jb.Formats...)
		if err != nil {
			return err
		}
		list := make([]*Step, 0, len(steps))
		for _, f := range jb.Formats {
			s, ok := steps[f]
			if !ok {
				continue
			}
			if !s.Status.Terminal() {
				expired = append(expired, s.Name)
				s.Status = StepFailed
				s.Error = &StepError{Code: "deadline_exceeded", Message: "the job ran past its deadline"}
				s.LeaseOwner, s.LeaseUntil = "", time.Time{}
				s.FinishedAt, s.UpdatedAt = now, now
				tx.SaveStep(s)
			}
			list = append(list, s)
		}
		if err := j.rules.end(tx, jb, Outcome(list), list, now); err != nil {
			return err
		}
		job, ended = jb, list
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("expire job %s: %w", id, err)
	}
	if ended == nil {
		return false, nil
	}
	logging.From(ctx).WarnContext(ctx, "job ran past its deadline and was ended", "job_id", id)
	for _, s := range expired {
		telemetry.StepEnded(ctx, string(s), string(StepFailed), "deadline_exceeded", 0)
	}
	measureEnd(ctx, job)
	announce(ctx, j.p.Store, j.p.Events, job, ended)
	return true, nil
}

// Announce publishes the event of an ended job whose event is pending.
func (j *Jobs) Announce(ctx context.Context, id string) {
	announcePending(ctx, j.p.Store, j.p.Events, id)
}

// Republish publishes again the message of a step whose message was
// lost (queued since before stale ago) or whose worker died (running
// under a lease that has ended), and marks it queued now, in one
// transaction: a step is published again at most once per stale period,
// so a backlog is never multiplied by the sweeps that run while it
// drains. A step that was claimed, ended or published again meanwhile is
// left alone. It reports where it published. A duplicate message is
// harmless: the claim decides.
//
// The message goes to the topics of the job's home region, wherever the
// sweep runs, so each region keeps its own jobs. A step its home region
// left unclaimed for a stale period after one such publish is re-homed:
// the job's home becomes this Jobs's region, and the step is published
// here (a region that is down no longer holds its jobs).
func (j *Jobs) Republish(ctx context.Context, s *Step, stale time.Duration) (Republished, error) {
	var ready *Step
	var out Republished
	err := transact(ctx, j.p.Store, "republish step", s.JobID, func(ctx context.Context, tx Tx) error {
		ready, out = nil, Republished{}
		job, err := tx.Job()
		if errors.Is(err, ErrNotFound) {
			return nil // erased meanwhile
		}
		if err != nil {
			return err
		}
		steps, err := tx.Steps(s.Name)
		if err != nil {
			return err
		}
		st, ok := steps[s.Name]
		now := j.now().UTC()
		switch {
		case !ok:
			return nil
		case st.Status == StepQueued && st.QueuedAt.Before(now.Add(-stale)):
		case st.Status == StepRunning && !now.Before(st.LeaseUntil):
			// Its worker is gone: the step waits for a delivery again. A
			// late finish by that worker is still its attempt's to make.
			st.Status = StepQueued
			st.LeaseOwner, st.LeaseUntil = "", time.Time{}
		default:
			return nil
		}
		out.Region = job.Region
		if st.Republished > 0 && job.Region != j.cfg.Region {
			job.Region, job.UpdatedAt = j.cfg.Region, now
			tx.SaveJob(job)
			out.Region, out.Rehomed = j.cfg.Region, true
		}
		st.Republished++
		st.QueuedAt, st.UpdatedAt = now, now
		tx.SaveStep(st)
		ready = st
		return nil
	})
	if err != nil || ready == nil {
		return Republished{}, err
	}
	if out.Rehomed {
		logging.From(ctx).WarnContext(ctx, "step left unclaimed in its home region: the job moves here", "job_id", s.JobID, "step", ready.Name, "region", out.Region)
	}
	msg := StepMessage{JobID: s.JobID, Step: ready.Name, Version: ready.CurrentVersion(), Attempt: ready.Attempt, Region: out.Region}
	if err := j.p.Publisher.PublishStep(ctx, ready.Kind, msg); err != nil {
		return Republished{}, fmt.Errorf("publish step %s of job %s again: %w", ready.Name, s.JobID, err)
	}
	out.Done = true
	return out, nil
}

// Republished says what Republish did: whether it published, to which
// region's topics, and whether it moved the job there.
type Republished struct {
	Done    bool
	Region  string
	Rehomed bool
}

// Promote queues and publishes a pending step that can run (every step it
// is made from has ended) when no one did: the end of its last requirement
// queues it right after its commit, and a crash in between leaves it to
// the sweep. It reports whether it queued the step.
func (j *Jobs) Promote(ctx context.Context, s *Step) (bool, error) {
	return promote(ctx, j.p, j.rules, s.JobID, s.Name)
}

// DeadLetter fails a step whose message Pub/Sub gave up delivering, so its
// job still ends (recorded as a step failed "dead_lettered"). A step that ended, or that a worker is running under a
// live lease (its duplicate was what ran out of deliveries), is left
// alone. Dead-lettering the same message twice changes nothing.
func (j *Jobs) DeadLetter(ctx context.Context, msg StepMessage, deliveries int) (bool, error) {
	name := msg.Step
	if _, ok := content.Lookup(name); !ok {
		return false, nil
	}
	failed, err := endStep(ctx, j.p, j.rules, msg.JobID, name,
		func(_ *Job, s *Step, now time.Time) bool {
			return s.Status != StepRunning || !now.Before(s.LeaseUntil)
		},
		func(s *Step, _ time.Time) {
			msg := fmt.Sprintf("its message was dead-lettered after %d deliveries", deliveries)
			if s.Error != nil {
				msg += "; last error: " + s.Error.Code + ": " + s.Error.Message
			}
			s.Status = StepFailed
			s.Error = &StepError{Code: "dead_lettered", Message: msg}
		})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if failed {
		telemetry.StepEnded(ctx, string(name), string(StepFailed), "dead_lettered", 0)
	}
	return failed, err
}
