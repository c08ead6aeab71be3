// Package pipelinetest holds in-memory stand-ins for the pipeline's ports,
// for unit tests: a store, a bucket, a publisher and an event log that
// record what they are asked to do. Integration tests use the real
// emulators instead.
package pipelinetest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

// Publisher records the step messages it is asked to publish, with the
// kind of worker each is for.
type Publisher struct {
	mu    sync.Mutex
	msgs  []pipeline.StepMessage
	kinds []content.Kind
	// Down makes every publish fail.
	Down atomic.Bool
}

var _ pipeline.Publisher = (*Publisher)(nil)

// PublishStep implements pipeline.Publisher.
func (p *Publisher) PublishStep(_ context.Context, kind content.Kind, msg pipeline.StepMessage) error {
	if p.Down.Load() {
		return errors.New("publish refused: the publisher is down")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msg)
	p.kinds = append(p.kinds, kind)
	return nil
}

// Take returns and forgets what was published.
func (p *Publisher) Take() []pipeline.StepMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs, p.kinds = nil, nil
	return out
}

// TakeKind returns and forgets what was published for one kind of worker.
func (p *Publisher) TakeKind(kind content.Kind) []pipeline.StepMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out, keep []pipeline.StepMessage
	var keepKinds []content.Kind
	for i, m := range p.msgs {
		if p.kinds[i] == kind {
			out = append(out, m)
		} else {
			keep, keepKinds = append(keep, m), append(keepKinds, p.kinds[i])
		}
	}
	p.msgs, p.kinds = keep, keepKinds
	return out
}

// Published returns what was published and not taken yet.
func (p *Publisher) Published() []pipeline.StepMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pipeline.StepMessage(nil), p.msgs...)
}

// Put queues a message again, as Pub/Sub redelivers.
func (p *Publisher) Put(msg pipeline.StepMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msg)
	p.kinds = append(p.kinds, content.MustLookup(msg.Step).Kind)
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

// Store keeps jobs, requests, steps and ledgers in memory. Transactions
// run one at a time, so they are trivially serializable; every read
// returns a copy.
type Store struct {
	mu      sync.Mutex
	jobs    map[string]*pipeline.Job
	reqs    map[string][]byte
	steps   map[string]map[content.Format]*pipeline.Step
	ledgers map[string]ratelimit.State
	// settled holds every owner's settlements not folded yet, by id.
	settled map[string]map[string]pipeline.Settlement
	erased  map[string]bool
	// revisions counts step writes: a stored step's Revision is the count
	// at its last write.
	revisions int64
}

var _ pipeline.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{jobs: map[string]*pipeline.Job{}, reqs: map[string][]byte{}, steps: map[string]map[content.Format]*pipeline.Step{},
		ledgers: map[string]ratelimit.State{}, settled: map[string]map[string]pipeline.Settlement{}, erased: map[string]bool{}}
}

// Cached implements pipeline.Results.
func (s *Store) Cached(_ context.Context, owner, key string, since time.Time) (*pipeline.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *pipeline.Job
	for _, j := range s.jobs {
		if j.Owner == owner && j.CacheKey == key && j.Status == pipeline.JobSucceeded && j.CreatedAt.After(since) &&
			(best == nil || j.CreatedAt.After(best.CreatedAt)) {
			best = j
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no cached results: %w", pipeline.ErrNotFound)
	}
	return cloneJob(best), nil
}

// Seed stores a job, its request and its steps as they are, for tests
// that need a job in a given state.
func (s *Store) Seed(job *pipeline.Job, req *content.Request, steps []*pipeline.Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(req)
	write{create: &creation{job: cloneJob(job), req: b, steps: steps}}.apply(s)
}

// Ledger returns an owner's standing: the stored ledger with the
// settlements it does not hold yet applied (as of the ledger's day).
func (s *Store) Ledger(owner string) ratelimit.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.ledgers[owner]
	for _, r := range s.settlements(owner, len(s.settled[owner])) {
		st.Apply(r.Release)
	}
	return st
}

// settlements returns up to n of an owner's settlements, oldest first.
func (s *Store) settlements(owner string, n int) []pipeline.Settlement {
	out := make([]pipeline.Settlement, 0, len(s.settled[owner]))
	for _, st := range s.settled[owner] {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b pipeline.Settlement) int {
		return cmp.Or(a.EndedAt.Compare(b.EndedAt), strings.Compare(a.ID, b.ID))
	})
	return out[:min(n, len(out))]
}

// Erased reports whether a job was erased.
func (s *Store) Erased(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.erased[id]
}

func cloneJob(j *pipeline.Job) *pipeline.Job {
	c := *j
	c.Formats = slices.Clone(j.Formats)
	c.Standing = nil // never stored, as in Firestore
	return &c
}

func cloneStep(s *pipeline.Step) *pipeline.Step {
	c := *s
	c.Requires = slices.Clone(s.Requires)
	c.Artifacts = slices.Clone(s.Artifacts)
	c.Calls = slices.Clone(s.Calls)
	c.Versions = slices.Clone(s.Versions)
	for i := range c.Versions {
		c.Versions[i].Artifacts = slices.Clone(c.Versions[i].Artifacts)
		if e := c.Versions[i].Error; e != nil {
			ec := *e
			c.Versions[i].Error = &ec
		}
	}
	if s.Error != nil {
		e := *s.Error
		c.Error = &e
	}
	return &c
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

// putStep stores a copy of a step at a new revision.
func (s *Store) putStep(jobID string, st *pipeline.Step) {
	c := cloneStep(st)
	s.revisions++
	c.Revision = strconv.FormatInt(s.revisions, 10)
	s.steps[jobID][st.Name] = c
}

// QueueStep implements pipeline.Store.
func (s *Store) QueueStep(_ context.Context, jobID string, st *pipeline.Step) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Revision == "" {
		return false, fmt.Errorf("queue step %s of job %s: not read from the store", st.Name, jobID)
	}
	cur, ok := s.steps[jobID][st.Name]
	if !ok || cur.Revision != st.Revision {
		return false, nil
	}
	next := cloneStep(cur)
	next.Status, next.QueuedAt, next.UpdatedAt, next.Versions = st.Status, st.QueuedAt, st.UpdatedAt, slices.Clone(st.Versions)
	s.putStep(jobID, next)
	return true, nil
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

// Transact implements pipeline.Store: fn runs alone; its writes apply
// when it returns nil, in the order they were made.
func (s *Store) Transact(ctx context.Context, jobID string, fn func(context.Context, pipeline.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s, jobID: jobID}
	if err := fn(ctx, t); err != nil {
		return err
	}
	// Check before applying anything: a transaction applies whole or not.
	for _, w := range t.writes {
		if w.create != nil {
			if _, ok := s.jobs[w.create.job.ID]; ok {
				return fmt.Errorf("job %s: %w", w.create.job.ID, pipeline.ErrExists)
			}
		}
	}
	for _, w := range t.writes {
		w.apply(s)
	}
	return nil
}

// Create implements pipeline.Store: a transaction of the one creation.
func (s *Store) Create(ctx context.Context, job *pipeline.Job, req *content.Request, steps []*pipeline.Step) error {
	return s.Transact(ctx, job.ID, func(_ context.Context, tx pipeline.Tx) error {
		tx.CreateJob(job, req, steps)
		return nil
	})
}

// write is one buffered write of a transaction.
type write struct {
	create *creation
	job    *pipeline.Job
	step   *pipeline.Step
	jobID  string
	owner  string
	ledger *ratelimit.State
	folded []string
	settle *pipeline.Settlement
	erase  []content.Format
}

type creation struct {
	job   *pipeline.Job
	req   []byte
	steps []*pipeline.Step
}

func (w write) apply(s *Store) {
	switch {
	case w.create != nil:
		s.jobs[w.create.job.ID] = cloneJob(w.create.job)
		s.reqs[w.create.job.ID] = w.create.req
		s.steps[w.create.job.ID] = map[content.Format]*pipeline.Step{}
		for _, st := range w.create.steps {
			s.putStep(w.create.job.ID, st)
		}
	case w.job != nil:
		s.jobs[w.job.ID] = cloneJob(w.job)
	case w.step != nil:
		if s.steps[w.jobID] != nil {
			s.putStep(w.jobID, w.step)
		}
	case w.ledger != nil:
		s.ledgers[w.owner] = *w.ledger
		for _, id := range w.folded {
			delete(s.settled[w.owner], id)
		}
	case w.settle != nil:
		if s.settled[w.settle.Owner] == nil {
			s.settled[w.settle.Owner] = map[string]pipeline.Settlement{}
		}
		s.settled[w.settle.Owner][w.settle.ID] = *w.settle
	case w.erase != nil:
		for _, f := range w.erase {
			delete(s.steps[w.jobID], f)
		}
		delete(s.steps, w.jobID)
		delete(s.reqs, w.jobID)
		delete(s.jobs, w.jobID)
		s.erased[w.jobID] = true
	}
}

type tx struct {
	s      *Store
	jobID  string
	writes []write
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

func (t *tx) Ledger(owner string) (ratelimit.State, error) { return t.s.ledgers[owner], nil }

func (t *tx) JobsAndLedger(owner string, ids ...string) (map[string]bool, ratelimit.State, error) {
	exist := make(map[string]bool, len(ids))
	for _, id := range ids {
		_, exist[id] = t.s.jobs[id]
	}
	return exist, t.s.ledgers[owner], nil
}

func (t *tx) Settlements(owner string) ([]pipeline.Settlement, error) {
	return t.s.settlements(owner, pipeline.MaxFold), nil
}

func (t *tx) Settle(st pipeline.Settlement) { t.writes = append(t.writes, write{settle: &st}) }

func (t *tx) CreateJob(job *pipeline.Job, req *content.Request, steps []*pipeline.Step) {
	b, err := json.Marshal(req)
	if err != nil {
		panic(fmt.Sprintf("pipelinetest: encode request: %v", err)) // a content.Request always encodes
	}
	c := &creation{job: cloneJob(job), req: b}
	for _, st := range steps {
		c.steps = append(c.steps, cloneStep(st))
	}
	t.writes = append(t.writes, write{create: c})
}

func (t *tx) SaveJob(j *pipeline.Job) { t.writes = append(t.writes, write{job: cloneJob(j)}) }

func (t *tx) SaveStep(st *pipeline.Step) {
	t.writes = append(t.writes, write{step: cloneStep(st), jobID: t.jobID})
}

func (t *tx) SaveLedger(owner string, st ratelimit.State, folded []string) {
	t.writes = append(t.writes, write{owner: owner, ledger: &st, folded: slices.Clone(folded)})
}

func (t *tx) EraseJob(job *pipeline.Job, steps []content.Format) {
	t.writes = append(t.writes, write{jobID: job.ID, erase: append([]content.Format{}, steps...)})
}

// Blobs keeps objects in memory, write-once like the real bucket.
type Blobs struct {
	mu      sync.Mutex
	objects map[string]pipeline.Object
	data    map[string][]byte
	// Writes counts the objects created.
	Writes atomic.Int64
}

var _ pipeline.Blobs = (*Blobs)(nil)

// NewBlobs returns an empty bucket.
func NewBlobs() *Blobs {
	return &Blobs{objects: map[string]pipeline.Object{}, data: map[string][]byte{}}
}

// Create implements pipeline.Blobs.
func (b *Blobs) Create(_ context.Context, path string, data []byte, contentType string) (pipeline.Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.objects[path]; ok {
		o.Created = false
		return o, nil
	}
	b.Writes.Add(1)
	sum := md5.Sum(data)
	o := pipeline.Object{Path: path, ContentType: contentType, Size: int64(len(data)), Generation: b.Writes.Load(),
		MD5: base64.StdEncoding.EncodeToString(sum[:]), Created: true}
	b.objects[path] = o
	b.data[path] = append([]byte(nil), data...)
	return o, nil
}

// CreateFrom implements pipeline.Blobs: what write writes is stored only
// when it succeeds.
func (b *Blobs) CreateFrom(ctx context.Context, path, contentType string, write func(ctx context.Context, w io.Writer) error) (pipeline.Object, error) {
	if o, err := b.Stat(ctx, path); err == nil {
		return o, nil
	}
	var buf bytes.Buffer
	if err := write(ctx, &buf); err != nil {
		return pipeline.Object{}, fmt.Errorf("write %s: %w", path, err)
	}
	return b.Create(ctx, path, buf.Bytes(), contentType)
}

// Read implements pipeline.Blobs.
func (b *Blobs) Read(_ context.Context, path string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.data[path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, pipeline.ErrNotFound)
	}
	return d, nil
}

// Copy implements pipeline.Blobs.
func (b *Blobs) Copy(ctx context.Context, src, dst string) (pipeline.Object, error) {
	b.mu.Lock()
	data, ok := b.data[src]
	o := b.objects[src]
	b.mu.Unlock()
	if !ok {
		return pipeline.Object{}, fmt.Errorf("%s: %w", src, pipeline.ErrNotFound)
	}
	return b.Create(ctx, dst, data, o.ContentType)
}

// Stat implements pipeline.Blobs.
func (b *Blobs) Stat(_ context.Context, path string) (pipeline.Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[path]
	if !ok {
		return pipeline.Object{}, fmt.Errorf("%s: %w", path, pipeline.ErrNotFound)
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

// Memory is a set of in-memory ports with its parts, for tests of
// executors and of what drives the pipeline.
type Memory struct {
	Ports  pipeline.Ports
	Store  *Store
	Blobs  *Blobs
	Pub    *Publisher
	Events *Events
}

// NewMemory returns empty in-memory ports.
func NewMemory() *Memory {
	m := &Memory{Store: NewStore(), Blobs: NewBlobs(), Pub: &Publisher{}, Events: &Events{}}
	m.Ports = pipeline.Ports{Store: m.Store, Blobs: m.Blobs, Publisher: m.Pub, Events: m.Events, Results: m.Store}
	return m
}

// Submit creates a job for a request (defaults applied) and forgets the
// messages it published.
func (m *Memory) Submit(ctx context.Context, req content.Request) (*pipeline.Job, error) {
	req.ApplyDefaults()
	job, err := pipeline.NewJobs(m.Ports, pipeline.JobsConfig{Region: "local"}).Submit(ctx, "owner", req, "api")
	m.Pub.Take()
	return job, err
}

// Run runs one step of a job with an executor, as a delivery of its
// message would, and returns the step as stored afterwards.
func (m *Memory) Run(ctx context.Context, jobID string, step content.Format, exec pipeline.Executor) (*pipeline.Step, error) {
	r := pipeline.NewRunner(m.Ports, exec, pipeline.RunnerConfig{MaxAttempts: 3, Region: "local"})
	runErr := r.Run(ctx, pipeline.StepMessage{JobID: jobID, Step: step, Region: "local"})
	m.Pub.Take()
	steps, err := m.Store.Steps(ctx, jobID)
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.Name == step {
			return s, runErr
		}
	}
	return nil, fmt.Errorf("job %s has no step %s", jobID, step)
}
