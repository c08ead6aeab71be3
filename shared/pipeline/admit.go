package pipeline

import (
	"context"
	"sync"
	"time"

	"contentfactory.dev/factory/shared/content"
)

// Admissions of one owner in this process are batched: while one
// transaction admits some of an owner's new jobs, the owner's next ones
// queue, and the next transaction admits every one of them that fits in a
// batch. So an owner's ledger is read and written once per batch, not
// once per job, and a burst of one owner's jobs costs a few transactions
// instead of one each in turn. The guarantees are the ledger's, as with
// one job per transaction: the jobs of a batch are admitted one after
// another against the ledger as it stands after the ones before them.

// Batch bounds: a Firestore commit takes at most 500 writes (a job is at
// most 2 + its steps, the ledger 1 + MaxFold deleted settlements) and
// 10 MiB, of which the requests' text takes the most.
const (
	maxBatchJobs  = 16
	maxBatchBytes = 4 << 20
)

// admitTimeout bounds one batch's transaction: it runs for several
// requests, so no one request's context decides it.
const admitTimeout = 30 * time.Second

// admission is one new job waiting to be admitted and created.
type admission struct {
	job   *Job
	req   *content.Request
	steps []*Step
	err   error
	done  chan struct{}
}

// size is about what the job's documents weigh in a commit.
func (a *admission) size() int {
	n := len(a.req.Topic) + len(a.req.SourceText) + 4096
	for _, s := range a.req.Sources {
		n += len(s.Text) + len(s.Title) + len(s.URL)
	}
	return n
}

// batcher queues each owner's admissions for the transactions that admit
// them in batches.
type batcher struct {
	mu     sync.Mutex
	owners map[string]*ownerQueue
}

type ownerQueue struct {
	waiting []*admission
}

// admit queues a new job for admission and waits for the transaction that
// admits it (and creates it) or refuses it: a *ratelimit.Exceeded, or
// ErrExists, without any limit looked at, when a job of its id exists.
func (j *Jobs) admit(ctx context.Context, job *Job, req *content.Request, steps []*Step) error {
	a := &admission{job: job, req: req, steps: steps, done: make(chan struct{})}
	b := &j.batches
	b.mu.Lock()
	if b.owners == nil {
		b.owners = map[string]*ownerQueue{}
	}
	q, running := b.owners[job.Owner]
	if !running {
		q = &ownerQueue{}
		b.owners[job.Owner] = q
	}
	q.waiting = append(q.waiting, a)
	b.mu.Unlock()
	if !running {
		// This admission leads: it admits batches of the owner's queue
		// until the queue is empty. What it does outlives its request.
		go j.lead(context.WithoutCancel(ctx), job.Owner, q)
	}
	<-a.done
	return a.err
}

// lead admits an owner's queued admissions, a batch per transaction,
// until none is left.
func (j *Jobs) lead(ctx context.Context, owner string, q *ownerQueue) {
	b := &j.batches
	for {
		b.mu.Lock()
		if len(q.waiting) == 0 {
			delete(b.owners, owner)
			b.mu.Unlock()
			return
		}
		n, bytes := 0, 0
		for n < len(q.waiting) && n < maxBatchJobs {
			bytes += q.waiting[n].size()
			if n > 0 && bytes > maxBatchBytes {
				break
			}
			n++
		}
		batch := q.waiting[:n:n]
		q.waiting = q.waiting[n:]
		b.mu.Unlock()
		j.admitBatch(ctx, owner, batch)
		for _, a := range batch {
			close(a.done)
		}
	}
}

// admitBatch admits and creates a batch of one owner's new jobs in one
// transaction, setting each admission's outcome.
func (j *Jobs) admitBatch(ctx context.Context, owner string, batch []*admission) {
	ctx, cancel := context.WithTimeout(ctx, admitTimeout)
	defer cancel()
	jobs := make([]*Job, len(batch))
	for i, a := range batch {
		jobs[i] = a.job
	}
	var refused []error
	err := transact(ctx, j.p.Store, "create jobs", batch[0].job.ID, func(ctx context.Context, tx Tx) error {
		var err error
		refused, err = j.rules.admitEach(tx, owner, jobs, j.now())
		if err != nil {
			return err
		}
		for i, a := range batch {
			if refused[i] == nil {
				tx.CreateJob(a.job, a.req, a.steps)
			}
		}
		return nil
	})
	for i, a := range batch {
		if err != nil {
			a.err = err
		} else {
			a.err = refused[i]
		}
	}
}
