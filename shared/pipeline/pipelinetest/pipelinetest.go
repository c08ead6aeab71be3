// Package pipelinetest holds in-memory stand-ins for the pipeline's ports,
// for unit tests: a store, a bucket, a publisher and an event log that
// record what they are asked to do. Integration tests use the real
// emulators instead.
package pipelinetest

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
)

// Publisher records the step messages it is asked to publish.
type Publisher struct {
	mu   sync.Mutex
	msgs []queue.Envelope
	// Down makes every publish fail.
	Down atomic.Bool
}

// PublishStep implements pipeline.Publisher.
func (p *Publisher) PublishStep(_ context.Context, _ content.Kind, env queue.Envelope) error {
	if p.Down.Load() {
		return errors.New("publish refused: the publisher is down")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, env)
	return nil
}

// Take returns and forgets what was published.
func (p *Publisher) Take() []queue.Envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs = nil
	return out
}

// Published returns what was published and not taken yet.
func (p *Publisher) Published() []queue.Envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]queue.Envelope(nil), p.msgs...)
}

// Put queues a message again, as Pub/Sub redelivers.
func (p *Publisher) Put(env queue.Envelope) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, env)
}

// Events records the job events published.
type Events struct {
	mu     sync.Mutex
	events []pipeline.JobEvent
}

// PublishJobEvent implements pipeline.Events.
func (e *Events) PublishJobEvent(_ context.Context, ev pipeline.JobEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
	return nil
}

// List returns the events published so far.
func (e *Events) List() []pipeline.JobEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]pipeline.JobEvent(nil), e.events...)
}

// Store keeps jobs in memory. Transactions run one at a time, so they are
// trivially serializable; every read returns a copy.
type Store struct {
	mu    sync.Mutex
	jobs  map[string]*pipeline.Job
	reqs  map[string][]byte
	steps map[string]map[content.Format]*pipeline.Step
}

var _ pipeline.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{jobs: map[string]*pipeline.Job{}, reqs: map[string][]byte{}, steps: map[string]map[content.Format]*pipeline.Step{}}
}

func cloneJob(j *pipeline.Job) *pipeline.Job {
	c := *j
	c.Formats = slices.Clone(j.Formats)
	return &c
}

func cloneStep(s *pipeline.Step) *pipeline.Step {
	c := *s
	c.Requires = slices.Clone(s.Requires)
	c.Artifacts = slices.Clone(s.Artifacts)
	c.Calls = slices.Clone(s.Calls)
	if s.Error != nil {
		e := *s.Error
		c.Error = &e
	}
	return &c
}

// CreateJob implements pipeline.Store.
func (s *Store) CreateJob(_ context.Context, job *pipeline.Job, req *content.Request, steps []*pipeline.Step) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.jobs[job.ID]; ok {
		return fmt.Errorf("job %s: %w", job.ID, pipeline.ErrExists)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	s.jobs[job.ID] = cloneJob(job)
	s.reqs[job.ID] = b
	s.steps[job.ID] = map[content.Format]*pipeline.Step{}
	for _, st := range steps {
		s.steps[job.ID][st.Name] = cloneStep(st)
	}
	return nil
}

func (s *Store) getJob(id string) (*pipeline.Job, error) {
	j, ok := s.jobs[id]
	if !ok {
		return nil, fmt.Errorf("job %s: %w", id, pipeline.ErrNotFound)
	}
	return cloneJob(j), nil
}

// Job implements pipeline.Store.
func (s *Store) Job(_ context.Context, id string) (*pipeline.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getJob(id)
}

// Steps implements pipeline.Store.
func (s *Store) Steps(_ context.Context, jobID string) ([]*pipeline.Step, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*pipeline.Step
	for _, f := range content.Formats() {
		if st, ok := s.steps[jobID][f]; ok {
			out = append(out, cloneStep(st))
		}
	}
	return out, nil
}

// Request implements pipeline.Store.
func (s *Store) Request(_ context.Context, jobID string) (*content.Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.reqs[jobID]
	if !ok {
		return nil, fmt.Errorf("request of %s: %w", jobID, pipeline.ErrNotFound)
	}
	var r content.Request
	err := json.Unmarshal(b, &r)
	return &r, err
}

// EraseJob implements pipeline.Store.
func (s *Store) EraseJob(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.jobs[id]; !ok {
		return fmt.Errorf("job %s: %w", id, pipeline.ErrNotFound)
	}
	delete(s.jobs, id)
	delete(s.reqs, id)
	delete(s.steps, id)
	return nil
}

// Transact implements pipeline.Store: fn runs alone; its writes apply
// when it returns nil.
func (s *Store) Transact(ctx context.Context, jobID string, fn func(context.Context, pipeline.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s, jobID: jobID, steps: map[content.Format]*pipeline.Step{}}
	if err := fn(ctx, t); err != nil {
		return err
	}
	if t.job != nil {
		s.jobs[jobID] = cloneJob(t.job)
	}
	for _, st := range t.steps {
		if s.steps[jobID] != nil {
			s.steps[jobID][st.Name] = cloneStep(st)
		}
	}
	return nil
}

type tx struct {
	s     *Store
	jobID string
	job   *pipeline.Job
	steps map[content.Format]*pipeline.Step
}

func (t *tx) Job() (*pipeline.Job, error) { return t.s.getJob(t.jobID) }

func (t *tx) Steps(names ...content.Format) (map[content.Format]*pipeline.Step, error) {
	out := map[content.Format]*pipeline.Step{}
	for _, n := range names {
		if st, ok := t.s.steps[t.jobID][n]; ok {
			out[n] = cloneStep(st)
		}
	}
	return out, nil
}

func (t *tx) SaveJob(j *pipeline.Job)    { t.job = j }
func (t *tx) SaveStep(st *pipeline.Step) { t.steps[st.Name] = st }

// Blobs keeps objects in memory, write-once like the real bucket.
type Blobs struct {
	mu      sync.Mutex
	objects map[string]blob.Object
	data    map[string][]byte
	// Writes counts the objects created.
	Writes atomic.Int64
}

var _ pipeline.Blobs = (*Blobs)(nil)

// NewBlobs returns an empty bucket.
func NewBlobs() *Blobs {
	return &Blobs{objects: map[string]blob.Object{}, data: map[string][]byte{}}
}

// Create implements pipeline.Blobs.
func (b *Blobs) Create(_ context.Context, path string, data []byte, contentType string) (blob.Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.objects[path]; ok {
		o.Created = false
		return o, nil
	}
	b.Writes.Add(1)
	sum := md5.Sum(data)
	o := blob.Object{Path: path, ContentType: contentType, Size: int64(len(data)), Generation: b.Writes.Load(),
		MD5: base64.StdEncoding.EncodeToString(sum[:]), Created: true}
	b.objects[path] = o
	b.data[path] = append([]byte(nil), data...)
	return o, nil
}

// Read implements pipeline.Blobs.
func (b *Blobs) Read(_ context.Context, path string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.data[path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, blob.ErrNotFound)
	}
	return d, nil
}

// Stat implements pipeline.Blobs.
func (b *Blobs) Stat(_ context.Context, path string) (blob.Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[path]
	if !ok {
		return blob.Object{}, fmt.Errorf("%s: %w", path, blob.ErrNotFound)
	}
	o.Created = false
	return o, nil
}

// DeletePrefix implements pipeline.Blobs.
func (b *Blobs) DeletePrefix(_ context.Context, prefix string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for p := range b.objects {
		if strings.HasPrefix(p, prefix) {
			delete(b.objects, p)
			delete(b.data, p)
			n++
		}
	}
	return n, nil
}

// Paths lists the stored objects.
func (b *Blobs) Paths() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.objects))
	for p := range b.objects {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Rejection is a message a Rejects recorded.
type Rejection struct {
	Msg    queue.Message
	Code   string
	Reason string
	Fields []content.FieldError
}

// Rejects records rejected messages.
type Rejects struct {
	mu   sync.Mutex
	list []Rejection
}

// Reject implements pipeline.Rejecter.
func (r *Rejects) Reject(_ context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, Rejection{Msg: msg, Code: code, Reason: reason, Fields: fields})
	return nil
}

// List returns what was recorded.
func (r *Rejects) List() []Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Rejection(nil), r.list...)
}
