package pipeline

import (
	"context"
	"errors"

	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/queue"
)

// Errors the ports return and callers branch on.
var (
	// ErrNotFound: no such job, step or object.
	ErrNotFound = errors.New("not found")
	// ErrExists: the job being created exists already.
	ErrExists = errors.New("already exists")
	// ErrBusy: the step is running under another worker's live lease;
	// its message should be delivered again later.
	ErrBusy = errors.New("step is running under a live lease")
)

// Store keeps jobs and their steps.
type Store interface {
	// CreateJob stores a new job, its request and its steps atomically.
	// It fails with ErrExists when the job exists.
	CreateJob(ctx context.Context, job *Job, req *content.Request, steps []*Step) error
	Job(ctx context.Context, id string) (*Job, error)
	Steps(ctx context.Context, jobID string) ([]*Step, error)
	Request(ctx context.Context, jobID string) (*content.Request, error)
	// EraseJob deletes a job's documents and records the erasure; it fails
	// with ErrNotFound when there is no such job.
	EraseJob(ctx context.Context, id string) error
	// Transact runs fn in a transaction over one job. fn may run more than
	// once (on contention) and must start from what it reads each time.
	// Writes are applied when fn returns nil and discarded otherwise.
	Transact(ctx context.Context, jobID string, fn func(ctx context.Context, tx Tx) error) error
}

// Tx reads and writes one job's documents inside a transaction.
type Tx interface {
	// Job reads the job; ErrNotFound when it does not exist.
	Job() (*Job, error)
	// Steps reads the named steps; a missing step is absent from the map.
	Steps(names ...content.Format) (map[content.Format]*Step, error)
	SaveJob(*Job)
	SaveStep(*Step)
}

// Blobs stores artifacts.
type Blobs interface {
	// Create stores data at path unless an object exists there already;
	// either way it returns the object that is stored.
	Create(ctx context.Context, path string, data []byte, contentType string) (blob.Object, error)
	// Read returns an object's bytes; blob.ErrNotFound when there is none.
	Read(ctx context.Context, path string) ([]byte, error)
	// Stat describes an object; blob.ErrNotFound when there is none.
	Stat(ctx context.Context, path string) (blob.Object, error)
	// DeletePrefix deletes every object under a prefix.
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// Ports are what the pipeline works through.
type Ports struct {
	Store     Store
	Blobs     Blobs
	Publisher Publisher
	// Events publishes job events; nil publishes none.
	Events Events
	// Rejects records messages that can never be processed; nil only logs.
	Rejects Rejecter
}

// Rejecter records a message acknowledged without being processed.
type Rejecter interface {
	Reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error
}

// Publisher publishes step messages to the worker of their kind.
type Publisher interface {
	PublishStep(ctx context.Context, kind content.Kind, env queue.Envelope) error
}
