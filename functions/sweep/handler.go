package sweep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"contentfactory.dev/factory/shared/httpx"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/store"
)

// Name is the function's entry point.
const Name = "Sweep"

// Store finds what needs sweeping.
type Store interface {
	QueuedBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Step, error)
	LeaseExpiredBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Step, error)
	PendingBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Step, error)
	PastDeadline(ctx context.Context, now time.Time, limit int) ([]*pipeline.Job, error)
	ReviewPast(ctx context.Context, now time.Time, limit int) ([]*pipeline.Job, error)
	EventPendingBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Job, error)
	Expired(ctx context.Context, now time.Time, limit int) ([]*pipeline.Job, error)
	// ErasuresToClean returns the ids of erased jobs past their grace.
	ErasuresToClean(ctx context.Context, now time.Time, limit int) ([]string, error)
	DeleteErasure(ctx context.Context, jobID string) error
	// ExpiredUploads returns uploads whose time ran out.
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]*sources.Upload, error)
	DeleteUpload(ctx context.Context, id string) error
}

// Jobs acts on what was found.
type Jobs interface {
	Republish(ctx context.Context, s *pipeline.Step, stale time.Duration) (pipeline.Republished, error)
	Promote(ctx context.Context, s *pipeline.Step) (bool, error)
	Expire(ctx context.Context, id string) (bool, error)
	ExpireReview(ctx context.Context, id string) (bool, error)
	Announce(ctx context.Context, id string)
	Erase(ctx context.Context, id string) error
}

// Blobs deletes what erased jobs' late workers wrote, and expired
// uploads.
type Blobs interface {
	DeletePrefix(ctx context.Context, prefix string) (int, error)
	Delete(ctx context.Context, path string) error
}

// Leases lets one sweep run at a time, whichever region it runs in
// (*store.Store is one).
type Leases interface {
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (store.Lease, bool, error)
	Release(ctx context.Context, name, holder string) error
}

// LeaseName is the lease every region's sweep takes before it runs.
const LeaseName = "sweep"

// Options tune a sweep.
type Options struct {
	// Stale is how long a step may sit queued, or an ended job's event
	// unpublished, before it is published again.
	Stale time.Duration
	// Limit bounds the items of each pass per run.
	Limit int
	// Holder names this sweep to the others (its region and instance).
	Holder string
	// LeaseTTL is how long a running sweep holds the lease: longer than a
	// sweep may run (the function's timeout), so a sweep that died lets
	// the next one in after it (default 6 minutes).
	LeaseTTL time.Duration
}

// Handler sweeps: it publishes again the steps whose message was lost
// (queued and never claimed) or whose worker died (lease expired with no
// redelivery), into their job's home region (or, when that region left
// them unclaimed, into its own: pipeline.Jobs.Republish), queues pending
// steps a crash left unqueued, ends jobs past their deadline, publishes
// job events a crash left unpublished, and deletes jobs past retention,
// what late workers wrote for erased jobs, and uploads past their time
// (the file, then its record). Every region runs one; a Firestore lease
// lets one run at a time, and each covers every region's jobs. Every pass
// is idempotent.
type Handler struct {
	store  Store
	jobs   Jobs
	blobs  Blobs
	leases Leases
	opts   Options
	now    func() time.Time
}

// New returns the sweep handler.
func New(st Store, jobs Jobs, blobs Blobs, leases Leases, opts Options) *Handler {
	if opts.Stale <= 0 {
		opts.Stale = 10 * time.Minute
	}
	if opts.Limit <= 0 {
		opts.Limit = 500
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 6 * time.Minute
	}
	if opts.Holder == "" {
		opts.Holder = "sweep"
	}
	return &Handler{store: st, jobs: jobs, blobs: blobs, leases: leases, opts: opts, now: time.Now}
}

// Report counts what a sweep did.
type Report struct {
	// Holder is the sweep that ran, or Skipped says which one held the
	// lease instead (nothing else was done).
	Holder             string   `json:"holder,omitempty"`
	Skipped            string   `json:"skipped,omitempty"`
	RepublishedQueued  int      `json:"republished_queued"`
	RepublishedExpired int      `json:"republished_expired_leases"`
	Rehomed            int      `json:"rehomed"`
	QueuedPending      int      `json:"queued_pending"`
	EndedPastDeadline  int      `json:"ended_past_deadline"`
	ExpiredReviews     int      `json:"expired_reviews"`
	EventsPublished    int      `json:"events_published"`
	Erased             int      `json:"erased_past_retention"`
	ErasuresCleaned    int      `json:"erasures_cleaned"`
	UploadsExpired     int      `json:"uploads_expired"`
	Errors             []string `json:"errors,omitempty"`
}

// ServeHTTP runs one sweep (Cloud Scheduler POSTs here).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpx.Error(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "POST to run a sweep.")
		return
	}
	rep, err := h.Run(r.Context())
	if err != nil {
		httpx.Internal(w, r, err)
		return
	}
	status := http.StatusOK
	if len(rep.Errors) > 0 {
		status = http.StatusInternalServerError
	}
	httpx.JSON(w, status, rep)
}

// Run sweeps once if it can take the lease, and gives it up when done; it
// reports whose sweep ran, or whose held the lease.
func (h *Handler) Run(ctx context.Context) (Report, error) {
	lease, held, err := h.leases.Acquire(ctx, LeaseName, h.opts.Holder, h.opts.LeaseTTL)
	if err != nil {
		return Report{}, err
	}
	if !held {
		logging.From(ctx).InfoContext(ctx, "another sweep runs: skipped", "holder", lease.Holder, "until", lease.Until)
		return Report{Skipped: fmt.Sprintf("%s holds the lease until %s", lease.Holder, lease.Until.Format(time.RFC3339))}, nil
	}
	// The sweep stops before its lease could run out under it.
	sctx, cancel := context.WithDeadline(ctx, lease.Until)
	defer cancel()
	rep := h.Sweep(sctx)
	rep.Holder = h.opts.Holder
	if err := h.leases.Release(context.WithoutCancel(ctx), LeaseName, h.opts.Holder); err != nil {
		logging.From(ctx).WarnContext(ctx, "give the sweep's lease up failed; the next sweep waits for it to run out", "error", err.Error())
	}
	return rep, nil
}

// Sweep runs every pass once (Run takes the lease first).
func (h *Handler) Sweep(ctx context.Context) Report {
	var rep Report
	now := h.now().UTC()
	fail := func(pass string, err error) { rep.Errors = append(rep.Errors, pass+": "+err.Error()) }

	if steps, err := h.store.QueuedBefore(ctx, now.Add(-h.opts.Stale), h.opts.Limit); err != nil {
		fail("queued", err)
	} else {
		for _, s := range steps {
			if res, err := h.jobs.Republish(ctx, s, h.opts.Stale); err != nil {
				fail("queued", err)
			} else if res.Done {
				rep.RepublishedQueued++
				rep.Rehomed += b2i(res.Rehomed)
			}
		}
	}
	if steps, err := h.store.LeaseExpiredBefore(ctx, now, h.opts.Limit); err != nil {
		fail("leases", err)
	} else {
		for _, s := range steps {
			if res, err := h.jobs.Republish(ctx, s, h.opts.Stale); err != nil {
				fail("leases", err)
			} else if res.Done {
				rep.RepublishedExpired++
				rep.Rehomed += b2i(res.Rehomed)
			}
		}
	}
	if steps, err := h.store.PendingBefore(ctx, now.Add(-h.opts.Stale), h.opts.Limit); err != nil {
		fail("pending", err)
	} else {
		for _, s := range steps {
			if done, err := h.jobs.Promote(ctx, s); err != nil {
				fail("pending", err)
			} else if done {
				rep.QueuedPending++
			}
		}
	}
	if jobs, err := h.store.PastDeadline(ctx, now, h.opts.Limit); err != nil {
		fail("deadline", err)
	} else {
		for _, j := range jobs {
			ended, err := h.jobs.Expire(ctx, j.ID)
			if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
				fail("deadline", err)
			}
			if ended {
				rep.EndedPastDeadline++
			}
		}
	}
	if jobs, err := h.store.ReviewPast(ctx, now, h.opts.Limit); err != nil {
		fail("reviews", err)
	} else {
		for _, j := range jobs {
			ended, err := h.jobs.ExpireReview(ctx, j.ID)
			if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
				fail("reviews", err)
			}
			if ended {
				rep.ExpiredReviews++
			}
		}
	}
	if jobs, err := h.store.EventPendingBefore(ctx, now.Add(-h.opts.Stale), h.opts.Limit); err != nil {
		fail("events", err)
	} else {
		for _, j := range jobs {
			h.jobs.Announce(ctx, j.ID)
			rep.EventsPublished++
		}
	}
	if jobs, err := h.store.Expired(ctx, now, h.opts.Limit); err != nil {
		fail("retention", err)
	} else {
		for _, j := range jobs {
			if err := h.jobs.Erase(ctx, j.ID); err != nil && !errors.Is(err, pipeline.ErrNotFound) {
				fail("retention", err)
				continue
			}
			rep.Erased++
		}
	}
	if erasures, err := h.store.ErasuresToClean(ctx, now, h.opts.Limit); err != nil {
		fail("erasures", err)
	} else {
		for _, id := range erasures {
			if _, err := h.blobs.DeletePrefix(ctx, pipeline.JobPrefix(id)); err != nil {
				fail("erasures", err)
				continue
			}
			if err := h.store.DeleteErasure(ctx, id); err != nil {
				fail("erasures", err)
				continue
			}
			rep.ErasuresCleaned++
		}
	}
	if ups, err := h.store.ExpiredUploads(ctx, now, h.opts.Limit); err != nil {
		fail("uploads", err)
	} else {
		for _, u := range ups {
			// The file first: a record is never gone while its file stays.
			if err := h.blobs.Delete(ctx, u.Path); err != nil {
				fail("uploads", err)
				continue
			}
			if err := h.store.DeleteUpload(ctx, u.ID); err != nil {
				fail("uploads", err)
				continue
			}
			rep.UploadsExpired++
		}
	}
	log := logging.From(ctx)
	if len(rep.Errors) > 0 {
		log.ErrorContext(ctx, "sweep finished with errors", "report", fmt.Sprintf("%+v", rep))
	} else if rep.RepublishedQueued+rep.RepublishedExpired+rep.QueuedPending+rep.EndedPastDeadline+rep.ExpiredReviews+rep.EventsPublished+rep.Erased+rep.ErasuresCleaned+rep.UploadsExpired > 0 {
		log.InfoContext(ctx, "sweep finished", "republished_queued", rep.RepublishedQueued, "republished_expired_leases", rep.RepublishedExpired, "rehomed", rep.Rehomed,
			"queued_pending", rep.QueuedPending, "ended_past_deadline", rep.EndedPastDeadline, "expired_reviews", rep.ExpiredReviews, "events_published", rep.EventsPublished,
			"erased", rep.Erased, "erasures_cleaned", rep.ErasuresCleaned, "uploads_expired", rep.UploadsExpired)
	}
	return rep
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
