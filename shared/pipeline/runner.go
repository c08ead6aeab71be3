package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/telemetry"
)

// Executor does the work of one kind of step.
type Executor interface {
	Execute(ctx context.Context, t *Task) (*Output, error)
}

// File is one output file of a step: its content is Data, or, when
// Write is set, what Write writes.
type File struct {
	Name        string
	ContentType string
	Data        []byte
	// Write writes the file's content to w, so that a large file (a
	// narration) goes to storage as it is written instead of being held
	// whole. It runs after Execute returns, when the run's files are
	// stored, and may run again when storing them is retried; its error
	// stores nothing under the file's name.
	Write func(ctx context.Context, w io.Writer) error
}

// Output is what a step produced and what producing it cost.
type Output struct {
	Files         []File
	Calls         []ai.Call
	PromptVersion string
	// Model is the model that wrote a text step's document (ai.Made).
	Model *ai.Made
	// Sources is what the sources step read: kept on its step record
	// (counts, hashes and input risk; the text is in its artifact).
	Sources *content.SourcesSummary
	// Quality is what the scorer found in a text step's document;
	// Warnings what the step delivers despite.
	Quality  *content.Quality
	Warnings []StepWarning
}

// RunnerConfig tunes the step runner.
type RunnerConfig struct {
	// Lease is how long a claim is exclusive without being renewed.
	Lease time.Duration
	// Renew is how often a running step renews its lease; zero means a
	// third of Lease. Each renewal is bounded by it too.
	Renew time.Duration
	// Timeout bounds one execution; zero means Lease minus a tenth.
	Timeout time.Duration
	// EndTimeout bounds each transaction that ends or releases a step
	// (default 10s). One that runs out is logged with its counts; the
	// message is delivered again and the next attempt ends the step from
	// the stored result.
	EndTimeout time.Duration
	// MaxAttempts fails a step "attempts_exhausted" after that many claims.
	MaxAttempts int
	// Region is written into the messages the runner publishes.
	Region string
	// Limits are the owners' limits: a job that ends is settled against
	// them (see Rules).
	Limits ratelimit.Policy
	// ReviewTTL is how long a job paused for review waits (see Rules).
	ReviewTTL time.Duration
	// Owner names this instance in leases.
	Owner string
	// Now is the clock (default time.Now); tests move it to expire leases.
	Now func() time.Time
	// CrashAfterCall is the probability that the process exits right after
	// a step's model calls, before its result is stored: fault injection
	// for soak tests only.
	CrashAfterCall float64
	// Crash ends the process (default os.Exit(70)).
	Crash func()
}

// Runner runs steps: claim, execute, store, complete, fan out.
type Runner struct {
	store  Store
	blobs  Blobs
	pub    Publisher
	events Events
	exec   Executor
	cfg    RunnerConfig
	rules  Rules
	now    func() time.Time
}

// NewRunner returns a runner for one kind of step.
func NewRunner(p Ports, exec Executor, cfg RunnerConfig) *Runner {
	if cfg.Lease <= 0 {
		cfg.Lease = 6 * time.Minute
	}
	if cfg.Renew <= 0 {
		cfg.Renew = cfg.Lease / 3
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Lease - cfg.Lease/10
	}
	if cfg.EndTimeout <= 0 {
		cfg.EndTimeout = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Crash == nil {
		cfg.Crash = func() { os.Exit(70) }
	}
	return &Runner{store: p.Store, blobs: p.Blobs, pub: p.Publisher, events: p.Events, exec: exec, cfg: cfg, now: cfg.Now,
		rules: Rules{Region: cfg.Region, Limits: cfg.Limits, ReviewTTL: cfg.ReviewTTL, Now: cfg.Now}}
}

// claimVerdict says what a delivery should do with its step.
type claimVerdict int

const (
	verdictClaimed   claimVerdict = iota // run it
	verdictDone                          // ended already, or its job did: ack, do nothing
	verdictGone                          // no such job or step: ack, do nothing
	verdictEarly                         // still waiting for its requirements: ack
	verdictBusy                          // another worker holds a live lease: nack
	verdictExhausted                     // out of attempts: fail it
)

// Run handles one delivery of a step message. It returns nil when the
// message should be acknowledged and an error when it should be delivered
// again (the step is busy elsewhere or failed transiently).
func (r *Runner) Run(ctx context.Context, msg StepMessage) error {
	name := msg.Step
	if _, ok := content.Lookup(name); !ok {
		logging.From(ctx).WarnContext(ctx, "message for an unknown step: dropped", "step", name)
		return nil
	}
	ctx = logging.With(ctx, slog.String("job_id", msg.JobID), slog.String("step", string(name)))
	log := logging.From(ctx)

	job, step, verdict, err := r.claim(ctx, msg.JobID, name, msg.Version)
	if err != nil {
		return fmt.Errorf("claim step %s of job %s: %w", name, msg.JobID, err)
	}
	switch verdict {
	case verdictDone:
		log.InfoContext(ctx, "step already ended: nothing to do", "status", step.Status)
		return nil
	case verdictGone:
		log.WarnContext(ctx, "no such job or step: message dropped")
		return nil
	case verdictEarly:
		log.WarnContext(ctx, "step is still waiting for its requirements: message dropped")
		return nil
	case verdictBusy:
		log.InfoContext(ctx, "step is running elsewhere: delivery postponed", "lease_until", step.LeaseUntil)
		return ErrBusy
	case verdictExhausted:
		// A run that stored its result but could not end the step still
		// counts: resume it rather than fail.
		if stored, err := r.storedResultOf(ctx, msg.JobID, runOf(step)); err == nil && stored != nil {
			return r.end(ctx, msg.JobID, step, stored, time.Time{})
		}
		log.ErrorContext(ctx, "step is out of attempts", "attempt", step.Attempt)
		applied, err := r.finish(ctx, msg.JobID, runOf(step), result{
			status: StepFailed,
			err:    &StepError{Code: "attempts_exhausted", Message: fmt.Sprintf("gave up after %d attempts", step.Attempt)},
		})
		if applied {
			telemetry.StepEnded(ctx, string(name), string(StepFailed), "attempts_exhausted", 0)
		}
		return err
	}

	ctx = logging.With(ctx, slog.Int("attempt", step.Attempt), slog.Int("version", step.CurrentVersion()))
	log = logging.From(ctx)
	started := r.now()
	run := runOf(step)
	c := r.hold(ctx, job.ID, run, step.LeaseUntil)
	defer c.cancel(nil)
	defer c.release()

	// Resume before paying: a result an earlier attempt stored ends the
	// step with no model call.
	stored, err := r.storedResultOf(c.ctx, job.ID, run)
	if err != nil {
		return r.failed(ctx, job, step, nil, failure.Transient("storage_unavailable", err), started)
	}
	if stored != nil {
		log.InfoContext(ctx, "step resumed from the result a previous attempt stored", "stored_by_attempt", stored.Attempt)
		c.release()
		return r.end(ctx, job.ID, step, stored, started)
	}

	log.InfoContext(ctx, "step started")
	out, err := r.execute(c.ctx, job, step)
	if out != nil {
		telemetry.ModelCalls(ctx, out.Calls)
	}
	if lost := c.lost(); lost != nil && err != nil {
		// The run was stopped because its claim went elsewhere; what it
		// paid for is kept on the record of the calls, not the step.
		log.WarnContext(ctx, "step stopped: its claim was lost", "reason", lost.Error(), "error", err.Error())
		return r.lostClaim(lost)
	}
	if err != nil {
		return r.failed(ctx, job, step, out, err, started)
	}
	if r.cfg.CrashAfterCall > 0 && rand.Float64() < r.cfg.CrashAfterCall {
		log.ErrorContext(ctx, "chaos: crashing after the model call, before storing the result")
		r.cfg.Crash()
	}
	// What was paid for is stored even when the claim was lost meanwhile
	// (ctx, not the claim's): the attempt that owns the step now may still
	// resume from it.
	arts, err := r.persist(ctx, job.ID, run, out.Files)
	if err == nil {
		stored = &storedResult{Attempt: step.Attempt, Artifacts: storedArtifacts(arts), Calls: out.Calls, PromptVersion: out.PromptVersion, Model: out.Model,
			Sources: out.Sources, Quality: out.Quality, Warnings: out.Warnings}
		err = r.recordResult(ctx, job.ID, run, *stored)
	}
	if err != nil {
		// Storage errors are transient: the step runs again and its
		// already-written files are kept (write-once names).
		return r.failed(ctx, job, step, out, failure.Transient("storage_unavailable", err), started)
	}
	log.InfoContext(ctx, "step result stored", "artifacts", len(arts))
	c.release()
	if lost := c.lost(); lost != nil {
		log.WarnContext(ctx, "step result stored, but its claim was lost: the attempt that owns the step ends it", "reason", lost.Error())
		return r.lostClaim(lost)
	}
	return r.end(ctx, job.ID, step, stored, started)
}

// stepRun names one attempt at one version of a step: what a claim,
// a lease and a finish are for.
type stepRun struct {
	name             content.Format
	version, attempt int
}

func runOf(s *Step) stepRun { return stepRun{s.Name, s.CurrentVersion(), s.Attempt} }

// owns reports whether the step is still this run's: the same version,
// claimed by the same attempt.
func (r stepRun) owns(s *Step) bool { return s.CurrentVersion() == r.version && s.Attempt == r.attempt }

// lostClaim is what a delivery whose run lost its claim returns: nothing
// to redeliver when a later attempt owns the step; a redelivery when the
// lease merely ran out, since no other attempt may be running.
func (r *Runner) lostClaim(cause error) error {
	if errors.Is(cause, ErrClaimTaken) {
		return nil
	}
	return fmt.Errorf("step stopped: %w", cause)
}

// end ends a claimed step (attempt step.Attempt) with a stored result and
// says truthfully whether it did: a later attempt may own the step by
// then, and only the attempt holding the claim ends it. A transaction that
// fails leaves the step to be resumed by its next delivery.
func (r *Runner) end(ctx context.Context, jobID string, step *Step, stored *storedResult, started time.Time) error {
	log := logging.From(ctx)
	applied, err := r.finish(ctx, jobID, runOf(step), result{
		status:        StepSucceeded,
		artifacts:     stored.artifacts(),
		calls:         stored.Calls,
		promptVersion: stored.PromptVersion,
		model:         stored.Model,
		sources:       stored.Sources,
		quality:       stored.Quality,
		warnings:      stored.Warnings,
	})
	switch {
	case err != nil:
		// The result is stored: put the step back so that its redelivery
		// ends it from that result, without waiting for the lease to end.
		log.WarnContext(ctx, "end the step failed; its stored result is kept for the next attempt", "error", err.Error())
		se := &StepError{Code: "unavailable", Message: "ending the step failed: " + err.Error(), Retryable: true}
		if rerr := r.release(ctx, jobID, runOf(step), se, nil); rerr != nil {
			log.WarnContext(ctx, "release the step failed; it is claimed again when its lease ends", "error", rerr.Error())
		}
		return err
	case applied:
		attrs := []any{"artifacts", len(stored.Artifacts), "stored_by_attempt", stored.Attempt}
		var took time.Duration
		if !started.IsZero() {
			took = r.now().Sub(started)
			attrs = append(attrs, "duration_ms", took.Milliseconds())
		}
		log.InfoContext(ctx, "step succeeded", attrs...)
		telemetry.StepEnded(ctx, string(step.Name), string(StepSucceeded), "", took)
	default:
		log.WarnContext(ctx, "step result dropped: a later attempt owns the step, or it ended without this run")
	}
	return nil
}

func (r *Runner) execute(ctx context.Context, job *Job, step *Step) (out *Output, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			logging.Panic(ctx, p, debug.Stack())
			err = ai.Permanentf("internal", "step panicked: %v", p)
		}
	}()
	t := &Task{Job: job, Step: step, store: r.store, blobs: r.blobs}
	out, err = r.exec.Execute(ctx, t)
	if err == nil && out == nil {
		err = ai.Permanentf("internal", "executor returned no output")
	}
	if err != nil && ctx.Err() != nil {
		if _, ok := ai.AsError(err); !ok {
			err = ai.Transient("timeout", fmt.Errorf("step ran past %s: %w", r.cfg.Timeout, err))
		}
	}
	return out, err
}

// failed decides what a failed run (started at started) means: a retryable
// failure puts the step back in the queue and asks for redelivery (until
// attempts run out); any other fails the step for good and is
// acknowledged.
func (r *Runner) failed(ctx context.Context, job *Job, step *Step, out *Output, err error, started time.Time) error {
	log := logging.From(ctx)
	var calls []ai.Call
	if out != nil {
		calls = out.Calls
	}
	if na, ok := failure.AsNotApplicable(err); ok {
		return r.notApplicable(ctx, job, step, calls, na.Reason)
	}
	se := &StepError{Code: "internal", Message: err.Error()}
	if e, ok := ai.AsError(err); ok {
		se.Code, se.Retryable = e.Code, e.Retryable
	}
	if se.Retryable && step.Attempt < r.cfg.MaxAttempts {
		log.WarnContext(ctx, "step failed transiently: will retry", "code", se.Code, "error", err.Error())
		if rerr := r.release(ctx, job.ID, runOf(step), se, calls); rerr != nil {
			return fmt.Errorf("release step %s: %w (after: %v)", step.Name, rerr, err)
		}
		return fmt.Errorf("step %s: %w", step.Name, err)
	}
	if se.Retryable {
		se.Message = fmt.Sprintf("gave up after %d attempts: %s", step.Attempt, se.Message)
		se.Code, se.Retryable = "attempts_exhausted", false
	}
	applied, ferr := r.finish(ctx, job.ID, runOf(step), result{status: StepFailed, err: se, calls: calls})
	switch {
	case ferr != nil:
		log.WarnContext(ctx, "end the failed step failed; it is tried again", "code", se.Code, "error", err.Error(), "end_error", ferr.Error())
	case applied:
		log.ErrorContext(ctx, "step failed", "code", se.Code, "error", err.Error())
		telemetry.StepEnded(ctx, string(step.Name), string(StepFailed), se.Code, r.now().Sub(started))
	default:
		log.WarnContext(ctx, "step failure dropped: a later attempt owns the step, or it ended without this run", "code", se.Code, "error", err.Error())
	}
	return ferr
}

// CodeNotApplicable is the error code of a step that ended
// not_applicable; its message is the reason.
const CodeNotApplicable = "not_applicable"

// notApplicable ends a step whose work does not apply to its job: it made
// nothing, and says why. A finish that fails is tried again by the next
// delivery, which finds the same.
func (r *Runner) notApplicable(ctx context.Context, job *Job, step *Step, calls []ai.Call, reason string) error {
	log := logging.From(ctx)
	se := &StepError{Code: CodeNotApplicable, Message: reason}
	applied, err := r.finish(ctx, job.ID, runOf(step), result{status: StepNotApplicable, err: se, calls: calls})
	switch {
	case err != nil:
		log.WarnContext(ctx, "end the step that does not apply failed; it is tried again", "reason", reason, "end_error", err.Error())
	case applied:
		log.InfoContext(ctx, "step does not apply to this job", "reason", reason)
	}
	return err
}

// claim takes the step for this delivery, under a lease, if it can run. A
// message for another version of the step than its current one (version
// 0: any) has nothing to do.
func (r *Runner) claim(ctx context.Context, jobID string, name content.Format, version int) (*Job, *Step, claimVerdict, error) {
	var (
		job     *Job
		step    *Step
		verdict claimVerdict
	)
	err := transact(ctx, r.store, "claim step", jobID, func(ctx context.Context, tx Tx) error {
		job, step, verdict = nil, nil, verdictGone
		j, err := tx.Job()
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		steps, err := tx.Steps(name)
		if err != nil {
			return err
		}
		s, ok := steps[name]
		if !ok {
			return nil
		}
		job, step = j, s
		now := r.now()
		switch {
		case s.Status.Terminal() || j.Status.Terminal() || (version != 0 && version != s.CurrentVersion()):
			verdict = verdictDone
		case s.Status == StepPending:
			verdict = verdictEarly
		case s.Status == StepRunning && now.Before(s.LeaseUntil):
			verdict = verdictBusy
		case s.Attempt >= r.cfg.MaxAttempts:
			verdict = verdictExhausted
		default:
			verdict = verdictClaimed
			s.Status = StepRunning
			s.Attempt++
			s.Republished = 0
			s.LeaseOwner = r.cfg.Owner
			s.LeaseUntil = now.Add(r.cfg.Lease)
			if s.StartedAt.IsZero() {
				s.StartedAt = now
			}
			s.UpdatedAt = now
			tx.SaveStep(s)
			if j.Status == JobQueued {
				j.Status = JobRunning
				j.StartedAt = now
				j.UpdatedAt = now
				tx.SaveJob(j)
			}
		}
		return nil
	})
	return job, step, verdict, err
}

// release puts a step that failed transiently back in the queue, unless
// a later attempt owns it. The transaction is bounded by EndTimeout.
func (r *Runner) release(ctx context.Context, jobID string, run stepRun, se *StepError, calls []ai.Call) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.EndTimeout)
	defer cancel()
	return transact(ctx, r.store, "release step", jobID, func(ctx context.Context, tx Tx) error {
		steps, err := tx.Steps(run.name)
		if err != nil {
			return err
		}
		s, ok := steps[run.name]
		if !ok || s.Status != StepRunning || !run.owns(s) {
			return nil // someone else has it now
		}
		now := r.now()
		s.Status = StepQueued
		s.QueuedAt = now
		s.LeaseOwner, s.LeaseUntil = "", time.Time{}
		s.Error = se
		v := s.current(now)
		for _, c := range calls {
			v.Usage.Add(c)
		}
		addCalls(s, calls)
		s.UpdatedAt = now
		tx.SaveStep(s)
		return nil
	})
}

// result is how a run ended.
type result struct {
	status        StepStatus
	artifacts     []Artifact
	calls         []ai.Call
	promptVersion string
	model         *ai.Made
	sources       *content.SourcesSummary
	quality       *content.Quality
	warnings      []StepWarning
	err           *StepError
}

// finish ends a step with a run's result and reports whether it did: a
// run whose claim was taken over (a later attempt) changes nothing. The
// ending transaction is bounded by EndTimeout.
func (r *Runner) finish(ctx context.Context, jobID string, run stepRun, res result) (bool, error) {
	ports := Ports{Store: r.store, Publisher: r.pub, Events: r.events}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.EndTimeout)
	defer cancel()
	applied, err := endStep(ctx, ports, r.rules, jobID, run.name,
		func(_ *Job, s *Step, _ time.Time) bool { return run.owns(s) },
		func(s *Step, now time.Time) {
			s.Status = res.status
			s.Artifacts = res.artifacts
			s.Error = res.err
			s.PromptVersion, s.Model = res.promptVersion, res.model
			s.Sources = res.sources
			s.Quality, s.Warnings = res.quality, res.warnings
			v := s.current(now)
			for _, c := range res.calls {
				v.Usage.Add(c)
			}
			addCalls(s, res.calls)
		})
	if errors.Is(err, ErrNotFound) {
		logging.From(ctx).WarnContext(ctx, "the job was erased while its step ran: result dropped")
		return false, nil
	}
	return applied, err
}

// endStep ends a step that has not ended, if accept agrees, in one
// transaction that writes only that step (and, when it did not succeed,
// the steps made from it, which are skipped): apply sets its outcome. The
// package's end ends the job. After the commit the steps made from it that
// can now run are queued and published (promote), and the job's event is
// published. It reports whether it ended the step.
func endStep(ctx context.Context, p Ports, rules Rules, jobID string, name content.Format,
	accept func(*Job, *Step, time.Time) bool, apply func(*Step, time.Time)) (bool, error) {
	var (
		formats    []content.Format
		ended      *Job
		paused     *Job
		endedSteps []*Step
		done       bool
	)
	err := transact(ctx, p.Store, "end step", jobID, func(ctx context.Context, tx Tx) error {
		formats, ended, paused, endedSteps, done = nil, nil, nil, nil, false
		j, err := tx.Job()
		if err != nil {
			return err
		}
		formats = j.Formats
		names := []content.Format{name}
		if name == content.FormatPackage {
			// The package requires every other step: its end ends the job,
			// which the outcome of every step decides.
			names = j.Formats
		}
		steps, err := tx.Steps(names...)
		if err != nil {
			return err
		}
		now := rules.now()
		s, ok := steps[name]
		if !ok || s.Status.Terminal() || !accept(j, s, now) {
			return nil
		}
		apply(s, now)
		if s.Artifacts == nil {
			s.Artifacts = []Artifact{}
		}
		s.record(now)
		s.LeaseOwner, s.LeaseUntil = "", time.Time{}
		s.FinishedAt, s.UpdatedAt = now, now
		tx.SaveStep(s)
		done = true
		if s.Status != StepSucceeded && name != content.FormatPackage {
			down, err := tx.Steps(Downstream(name, j.Formats)...)
			if err != nil {
				return err
			}
			down[name] = s
			for _, skipped := range skipDownstream(name, j.Formats, down, now) {
				tx.SaveStep(skipped)
			}
		}
		if rules.pauses(j, s) {
			rules.pause(tx, j, now)
			paused = j
		}
		if name != content.FormatPackage || j.Status.Terminal() {
			return nil
		}
		endedSteps = make([]*Step, 0, len(j.Formats))
		for _, f := range j.Formats {
			if st := steps[f]; st != nil {
				endedSteps = append(endedSteps, st)
			}
		}
		if err := rules.end(tx, j, Outcome(endedSteps), endedSteps, now); err != nil {
			return err
		}
		ended = j
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("end step %s: %w", name, err)
	}
	if ended != nil {
		logging.From(ctx).InfoContext(ctx, "job ended", "status", ended.Status, "cost_usd", ended.Usage.CostUSD)
		measureEnd(ctx, ended)
		announce(ctx, p.Store, p.Events, ended, endedSteps)
	}
	if paused != nil {
		logging.From(ctx).InfoContext(ctx, "job awaits the review of its "+paused.Review, "review_until", paused.ReviewUntil)
		announcePending(ctx, p.Store, p.Events, jobID)
	}
	if done && name != content.FormatPackage {
		for _, d := range Dependents(name, formats) {
			if _, err := promote(ctx, p, rules, jobID, d); err != nil {
				// The sweep queues it: a pending step that can run is found.
				logging.From(ctx).WarnContext(ctx, "queue a step that can run failed; the sweep will", "ready_step", d, "error", err.Error())
			}
		}
	}
	return done, nil
}

// promote queues a pending step of a job, and publishes it, when it can
// run: every step it is made from has ended (and succeeded, but for the
// package) and the job is not waiting for a review. It reports whether it
// queued the step.
//
// It decides from a plain (strongly consistent) read of the job and its
// steps, and queues with one write conditional on the step being as read:
// no transaction holds the requirements while the siblings still running
// write them as they end, and the siblings that end at once and all see
// the step ready do not lock it against each other (one write applies,
// the others find it changed). Every end commits before its promote
// reads, so the promote of whichever requirement ends last sees them all
// ended. A change since the read (a regeneration, a cancellation, an
// erasure) changes the step, so the write does not apply. The step goes
// to the topics of the job's home region, whichever region queues it (the
// sweep's Promote may run in another).
func promote(ctx context.Context, p Ports, rules Rules, jobID string, name content.Format) (bool, error) {
	s, region, err := promotable(ctx, p.Store, rules.Region, jobID, name)
	if err != nil || s == nil {
		return false, err
	}
	now := rules.now()
	s.Status, s.QueuedAt, s.UpdatedAt = StepQueued, now, now
	if n := len(s.Versions); n > 0 && s.Versions[n-1].Version == s.CurrentVersion() {
		s.Versions[n-1].Status = StepQueued
	}
	queued, err := p.Store.QueueStep(ctx, jobID, s)
	if err != nil {
		return false, failure.Transient("store_unavailable", err)
	}
	if !queued {
		return false, nil
	}
	publishReady(ctx, p.Publisher, jobID, region, []*Step{s})
	return true, nil
}

// promotable reads a job and its steps, outside a transaction, and returns
// the named step when it can run now (nil when it cannot, or the job is
// gone).
func promotable(ctx context.Context, st Store, region, jobID string, name content.Format) (*Step, string, error) {
	j, err := st.Job(ctx, jobID)
	if errors.Is(err, ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", failure.Transient("store_unavailable", err)
	}
	if j.Status.Terminal() || j.Status == JobAwaitingReview {
		return nil, "", nil
	}
	if j.Region != "" {
		region = j.Region
	}
	list, err := st.Steps(ctx, jobID)
	if err != nil {
		return nil, "", failure.Transient("store_unavailable", err)
	}
	steps := make(map[content.Format]*Step, len(list))
	for _, s := range list {
		steps[s.Name] = s
	}
	if s := steps[name]; s != nil && canRun(s, j.Formats, steps) {
		return s, region, nil
	}
	return nil, "", nil
}

// publishReady publishes the steps that became ready. A step whose
// publish fails stays queued in the store; the sweep publishes it again.
func publishReady(ctx context.Context, pub Publisher, jobID, region string, ready []*Step) {
	for _, s := range ready {
		msg := StepMessage{JobID: jobID, Step: s.Name, Version: s.CurrentVersion(), Attempt: s.Attempt, Region: region}
		if err := pub.PublishStep(ctx, s.Kind, msg); err != nil {
			logging.From(ctx).ErrorContext(ctx, "publish a ready step failed; the sweep will publish it", "ready_step", s.Name, "error", err.Error())
		}
	}
}

// maxCalls bounds the call records kept on a step document.
const maxCalls = 20

func addCalls(s *Step, calls []ai.Call) {
	for _, c := range calls {
		s.Usage.Add(c)
	}
	s.Calls = append(s.Calls, calls...)
	if len(s.Calls) > maxCalls {
		s.Calls = s.Calls[len(s.Calls)-maxCalls:]
	}
}

// persist writes a run's files under the deterministic names of its
// step's version.
func (r *Runner) persist(ctx context.Context, jobID string, run stepRun, files []File) ([]Artifact, error) {
	arts := make([]Artifact, 0, len(files))
	for _, f := range files {
		path := VersionPath(jobID, run.name, run.version, f.Name)
		var obj Object
		var err error
		if f.Write != nil {
			obj, err = r.blobs.CreateFrom(ctx, path, f.ContentType, f.Write)
		} else {
			obj, err = r.blobs.Create(ctx, path, f.Data, f.ContentType)
		}
		if err != nil {
			return nil, err
		}
		if !obj.Created {
			logging.From(ctx).InfoContext(ctx, "artifact was already stored: kept the first copy", "artifact", f.Name)
		}
		arts = append(arts, Artifact{
			Name: f.Name, Path: obj.Path, ContentType: obj.ContentType,
			Size: obj.Size, Generation: obj.Generation, MD5: obj.MD5,
		})
	}
	return arts, nil
}
