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
	Republish(ctx context.Context, s *pipeline.Step, stale time.Duration) (bool, error)
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

// Options tune a sweep.
type Options struct {
	// Stale is how long a step may sit queued, or an ended job's event
	// unpublished, before it is published again.
	Stale time.Duration
	// Limit bounds the items of each pass per run.
	Limit int
}

// Handler sweeps: it publishes again the steps whose message was lost
// (queued and never claimed) or whose worker died (lease expired with no
// redelivery), ends jobs past their deadline, publishes job events a crash
// left unpublished, and deletes jobs past retention, what late workers
// wrote for erased jobs, and uploads past their time (the file, then its
// record). Every pass is idempotent, so sweeps may overlap.
type Handler struct {
	store Store
	jobs  Jobs
	blobs Blobs
	opts  Options
	now   func() time.Time
}

// New returns the sweep handler.
func New(st Store, jobs Jobs, blobs Blobs, opts Options) *Handler {
	if opts.Stale <= 0 {
		opts.Stale = 10 * time.Minute
	}
	if opts.Limit <= 0 {
		opts.Limit = 500
	}
	return &Handler{store: st, jobs: jobs, blobs: blobs, opts: opts, now: time.Now}
}

// Report counts what a sweep did.
type Report struct {
	RepublishedQueued  int      `json:"republished_queued"`
	RepublishedExpired int      `json:"republished_expired_leases"`
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
	rep := h.Sweep(r.Context())
	status := http.StatusOK
	if len(rep.Errors) > 0 {
		status = http.StatusInternalServerError
	}
	httpx.JSON(w, status, rep)
}

// Sweep runs every pass once.
func (h *Handler) Sweep(ctx context.Context) Report {
	var rep Report
	now := h.now().UTC()
	fail := func(pass string, err error) { rep.Errors = append(rep.Errors, pass+": "+err.Error()) }

	if steps, err := h.store.QueuedBefore(ctx, now.Add(-h.opts.Stale), h.opts.Limit); err != nil {
		fail("queued", err)
	} else {
		for _, s := range steps {
			if done, err := h.jobs.Republish(ctx, s, h.opts.Stale); err != nil {
				fail("queued", err)
			} else if done {
				rep.RepublishedQueued++
			}
		}
	}
	if steps, err := h.store.LeaseExpiredBefore(ctx, now, h.opts.Limit); err != nil {
		fail("leases", err)
	} else {
		for _, s := range steps {
			if done, err := h.jobs.Republish(ctx, s, h.opts.Stale); err != nil {
				fail("leases", err)
			} else if done {
				rep.RepublishedExpired++
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
		log.InfoContext(ctx, "sweep finished", "republished_queued", rep.RepublishedQueued, "republished_expired_leases", rep.RepublishedExpired, "queued_pending", rep.QueuedPending,
			"ended_past_deadline", rep.EndedPastDeadline, "expired_reviews", rep.ExpiredReviews, "events_published", rep.EventsPublished, "erased", rep.Erased, "erasures_cleaned", rep.ErasuresCleaned,
			"uploads_expired", rep.UploadsExpired)
	}
	return rep
}
