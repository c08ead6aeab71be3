package pipeline

import (
	"context"
	"errors"
	"io"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/ratelimit"
)

// Errors the ports return and callers branch on. Adapters map their
// SDK's errors to the portable kinds of package failure.
var (
	// ErrNotFound: no such job, step or object (failure.ErrNotFound).
	ErrNotFound = failure.ErrNotFound
	// ErrExists: the job being created exists already (failure.ErrExists).
	ErrExists = failure.ErrExists
	// ErrBusy: the step is running under another worker's live lease;
	// its message should be delivered again later.
	ErrBusy = errors.New("step is running under a live lease")
	// ErrBadPageToken: a page token of a job listing that the store did
	// not issue.
	ErrBadPageToken = errors.New("bad page token")
)

// Store keeps jobs, their steps and requests, and each owner's ledger
// (standing against the limits). It only stores: every rule about what
// may change is the pipeline's, applied inside Transact.
type Store interface {
	// Job reads a job; ErrNotFound when there is none.
	Job(ctx context.Context, id string) (*Job, error)
	// Steps reads every step of a job, in generation order.
	Steps(ctx context.Context, jobID string) ([]*Step, error)
	// Request reads a job's request; ErrNotFound when there is none.
	Request(ctx context.Context, jobID string) (*content.Request, error)
	// Create writes a new job, its request and its steps at once, reading
	// nothing: one commit, not a transaction, for a creation that no rule
	// needs to read for. It fails with ErrExists, writing nothing, when
	// the job exists.
	Create(ctx context.Context, job *Job, req *content.Request, steps []*Step) error
	// Transact runs fn in a transaction over one job (and the ledger of
	// its owner, and the other new jobs of that owner an admission creates
	// with it). fn may run more than once (on contention) and must start
	// from what it reads each time. Writes are applied when fn returns nil
	// and discarded otherwise.
	Transact(ctx context.Context, jobID string, fn func(ctx context.Context, tx Tx) error) error
	// QueueStep writes a step read with Steps, moved from pending to
	// queued (its status, queued and updated times and versions), only if
	// the stored step is still at the step's Revision. It reports whether
	// it wrote: false when the step changed since it was read or is gone.
	// It is one conditional write, not a transaction, so that the steps
	// ending at once and promoting one step never wait on each other.
	QueueStep(ctx context.Context, jobID string, s *Step) (bool, error)
}

// Tx reads and writes one job's documents, and ledgers, inside a
// transaction. Reads see the state before the transaction; writes are
// applied together when it commits.
type Tx interface {
	// Job reads the job; ErrNotFound when it does not exist.
	Job() (*Job, error)
	// Steps reads the named steps; a missing step is absent from the map.
	Steps(names ...content.Format) (map[content.Format]*Step, error)
	// Ledger reads an owner's standing against the limits; the zero
	// State when there is none yet.
	Ledger(owner string) (ratelimit.State, error)
	// JobsAndLedger reads, in one read, which of the jobs of these ids
	// exist and an owner's ledger (the zero State when there is none yet).
	JobsAndLedger(owner string, ids ...string) (exist map[string]bool, ledger ratelimit.State, err error)
	// Settlements reads up to MaxFold of an owner's settlements that its
	// ledger does not hold yet, oldest first.
	Settlements(owner string) ([]Settlement, error)
	// CreateJob writes a new job, its request and its steps. The commit
	// fails with ErrExists when the job exists (a concurrent creation).
	CreateJob(job *Job, req *content.Request, steps []*Step)
	SaveJob(*Job)
	SaveStep(*Step)
	// SaveLedger writes an owner's ledger and deletes the settlements
	// it now holds (folded, by id).
	SaveLedger(owner string, st ratelimit.State, folded []string)
	// Settle records a settlement in a document of its own: jobs that
	// end together write no document in common.
	Settle(Settlement)
	// EraseJob deletes the job, its request and the named steps, and
	// remembers the erasure so that what a late worker writes can be
	// deleted (the sweep's concern).
	EraseJob(job *Job, steps []content.Format)
}

// Settlement is what one ended run of a job gives back to its owner's
// limits. It stays apart from the owner's ledger until the owner's next
// admission folds it in (or a read of the owner's usage adds it up), so
// that the end of a job never writes the owner's ledger.
type Settlement struct {
	// ID is "{job id}:{run}".
	ID    string
	Owner string
	ratelimit.Release
}

// MaxFold bounds the settlements one admission folds into a ledger (the
// rest wait for the next): a transaction's writes stay bounded.
const MaxFold = 100

// Object describes a stored object.
type Object struct {
	Path        string
	ContentType string
	Size        int64
	Generation  int64
	// MD5 is the base64 MD5 of the content, when the store keeps one.
	MD5 string
	// Created is false when the object existed before the write.
	Created bool
}

// Blobs stores artifacts, write-once.
type Blobs interface {
	// Create stores data at path unless an object exists there already;
	// either way it returns the object that is stored.
	Create(ctx context.Context, path string, data []byte, contentType string) (Object, error)
	// CreateFrom stores what write writes at path unless an object exists
	// there already (then write is not called); either way it returns the
	// object that is stored. The object appears whole or not at all: when
	// write fails, nothing is stored and its error is returned.
	CreateFrom(ctx context.Context, path, contentType string, write func(ctx context.Context, w io.Writer) error) (Object, error)
	// Read returns an object's bytes; ErrNotFound when there is none.
	Read(ctx context.Context, path string) ([]byte, error)
	// Stat describes an object; ErrNotFound when there is none.
	Stat(ctx context.Context, path string) (Object, error)
	// Copy copies an object to another path unless an object exists
	// there already; either way it returns the object stored at dst.
	Copy(ctx context.Context, src, dst string) (Object, error)
	// DeletePrefix deletes every object under a prefix.
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// StepMessage asks the worker of a step's kind to run it.
type StepMessage struct {
	JobID string
	Step  content.Format
	// Version is the step's version the message is for; a message for
	// another version than the current one has nothing to do. 0: any.
	Version int
	Attempt int
	// Region is the job's home region: the message goes to that region's
	// topic of its kind (empty: the publisher's own region).
	Region string
}

// Publisher publishes step messages to the worker of their kind, in the
// message's region.
type Publisher interface {
	PublishStep(ctx context.Context, kind content.Kind, msg StepMessage) error
}

// Ports are what the pipeline works through.
type Ports struct {
	Store     Store
	Blobs     Blobs
	Publisher Publisher
	// Events publishes job events; nil publishes none.
	Events Events
	// Results finds earlier results for the result cache; nil: no cache.
	Results Results
}
