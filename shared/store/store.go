// Package store keeps the factory's state in Firestore: jobs, their steps
// and requests, API keys and rejected messages. It maps Firestore's errors
// to the pipeline's ErrNotFound and ErrExists.
//
// Layout: jobs/{id} (small, read by every transaction),
// jobs/{id}/steps/{step}, jobs/{id}/input/request (the full request with
// its source text), api_keys/{sha256}, rejected_messages/{message id}.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/ratelimit"
)

// Collection names.
const (
	Limits   = "limits"
	Jobs     = "jobs"
	Steps    = "steps"
	Input    = "input"
	Keys     = "api_keys"
	Rejected = "rejected_messages"
)

// txAttempts bounds the retries of a contended transaction.
const txAttempts = 15

// Store is the Firestore-backed state.
type Store struct {
	fs     *firestore.Client
	limits ratelimit.Policy
	now    func() time.Time
}

var _ pipeline.Store = (*Store)(nil)

// Option configures a store.
type Option func(*Store)

// WithLimits makes the store admit each new job against its owner's limits
// in the transaction that creates it, and settle it in the transaction
// that ends it.
func WithLimits(p ratelimit.Policy) Option { return func(s *Store) { s.limits = p } }

// New returns a store over a Firestore client.
func New(fs *firestore.Client, opts ...Option) *Store {
	s := &Store{fs: fs, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Client returns the underlying Firestore client.
func (s *Store) Client() *firestore.Client { return s.fs }

func (s *Store) job(id string) *firestore.DocumentRef { return s.fs.Collection(Jobs).Doc(id) }

func (s *Store) step(jobID string, name content.Format) *firestore.DocumentRef {
	return s.job(jobID).Collection(Steps).Doc(string(name))
}

func (s *Store) request(jobID string) *firestore.DocumentRef {
	return s.job(jobID).Collection(Input).Doc("request")
}

// mapErr turns Firestore's codes into the pipeline's errors.
func mapErr(err error) error {
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("%w: %v", pipeline.ErrNotFound, err)
	case codes.AlreadyExists:
		return fmt.Errorf("%w: %v", pipeline.ErrExists, err)
	}
	return err
}

// CreateJob implements pipeline.Store. With limits, the job is admitted
// against its owner's limits in the same transaction; a refusal is a
// *ratelimit.Exceeded. A job that exists already is ErrExists before any
// limit is looked at, so a repeated request is never refused for limits.
func (s *Store) CreateJob(ctx context.Context, job *pipeline.Job, req *content.Request, steps []*pipeline.Step) error {
	err := s.fs.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		if s.limits.Enabled() {
			if snap, err := tx.Get(s.job(job.ID)); err == nil && snap.Exists() {
				return status.Error(codes.AlreadyExists, "job exists")
			}
			ref := s.fs.Collection(Limits).Doc(docID(job.Owner))
			st, err := readLimits(tx, ref)
			if err != nil {
				return err
			}
			if err := s.limits.Admit(&st, s.now(), job.EstimateUSD); err != nil {
				return err
			}
			if err := tx.Set(ref, st); err != nil {
				return err
			}
		}
		if err := tx.Create(s.job(job.ID), job); err != nil {
			return err
		}
		if err := tx.Create(s.request(job.ID), req); err != nil {
			return err
		}
		for _, st := range steps {
			if err := tx.Create(s.step(job.ID, st.Name), st); err != nil {
				return err
			}
		}
		return nil
	}, firestore.MaxAttempts(txAttempts))
	var ex *ratelimit.Exceeded
	if errors.As(err, &ex) {
		return ex
	}
	if err != nil {
		return fmt.Errorf("create job %s: %w", job.ID, mapErr(err))
	}
	return nil
}

// readLimits reads an owner's limits document (zero when there is none).
func readLimits(tx *firestore.Transaction, ref *firestore.DocumentRef) (ratelimit.State, error) {
	var st ratelimit.State
	snap, err := tx.Get(ref)
	if status.Code(err) == codes.NotFound {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	err = snap.DataTo(&st)
	return st, err
}

// Usage returns an owner's standing against the limits.
func (s *Store) Usage(ctx context.Context, owner string) (ratelimit.State, error) {
	var st ratelimit.State
	snap, err := s.fs.Collection(Limits).Doc(docID(owner)).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read usage of %s: %w", owner, err)
	}
	err = snap.DataTo(&st)
	return st, err
}

// Job implements pipeline.Store.
func (s *Store) Job(ctx context.Context, id string) (*pipeline.Job, error) {
	snap, err := s.job(id).Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, mapErr(err))
	}
	return decodeJob(snap)
}

func decodeJob(snap *firestore.DocumentSnapshot) (*pipeline.Job, error) {
	var j pipeline.Job
	if err := snap.DataTo(&j); err != nil {
		return nil, fmt.Errorf("decode job %s: %w", snap.Ref.ID, err)
	}
	j.ID = snap.Ref.ID
	return &j, nil
}

func decodeStep(jobID string, snap *firestore.DocumentSnapshot) (*pipeline.Step, error) {
	var st pipeline.Step
	if err := snap.DataTo(&st); err != nil {
		return nil, fmt.Errorf("decode step %s of job %s: %w", snap.Ref.ID, jobID, err)
	}
	st.JobID = jobID
	return &st, nil
}

// Steps implements pipeline.Store. Steps come in generation order.
func (s *Store) Steps(ctx context.Context, jobID string) ([]*pipeline.Step, error) {
	snaps, err := s.job(jobID).Collection(Steps).Documents(ctx).GetAll()
	if err != nil {
		return nil, fmt.Errorf("list steps of job %s: %w", jobID, mapErr(err))
	}
	byName := map[content.Format]*pipeline.Step{}
	for _, snap := range snaps {
		st, err := decodeStep(jobID, snap)
		if err != nil {
			return nil, err
		}
		byName[st.Name] = st
	}
	out := make([]*pipeline.Step, 0, len(byName))
	for _, f := range content.Formats() {
		if st, ok := byName[f]; ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// Request implements pipeline.Store.
func (s *Store) Request(ctx context.Context, jobID string) (*content.Request, error) {
	snap, err := s.request(jobID).Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("get request of job %s: %w", jobID, mapErr(err))
	}
	var r content.Request
	if err := snap.DataTo(&r); err != nil {
		return nil, fmt.Errorf("decode request of job %s: %w", jobID, err)
	}
	return &r, nil
}

// Transact implements pipeline.Store. A transaction that ends a job
// (saves it terminal after reading it running) also settles it against its
// owner's limits.
func (s *Store) Transact(ctx context.Context, jobID string, fn func(context.Context, pipeline.Tx) error) error {
	return s.fs.RunTransaction(ctx, func(ctx context.Context, ftx *firestore.Transaction) error {
		t := &tx{s: s, ftx: ftx, jobID: jobID, writes: map[string]write{}}
		if err := fn(ctx, t); err != nil {
			return err
		}
		if t.ended != nil && s.limits.Enabled() {
			ref := s.fs.Collection(Limits).Doc(docID(t.ended.Owner))
			st, err := readLimits(ftx, ref)
			if err != nil {
				return err
			}
			s.limits.Settle(&st, s.now(), t.ended.EstimateUSD, t.ended.Usage.CostUSD)
			t.writes[ref.Path] = write{ref, st}
		}
		for _, w := range t.writes {
			if err := ftx.Set(w.ref, w.data); err != nil {
				return err
			}
		}
		return nil
	}, firestore.MaxAttempts(txAttempts))
}

type write struct {
	ref  *firestore.DocumentRef
	data any
}

// tx buffers writes until the callback returns, since Firestore wants
// every read of a transaction before its first write.
type tx struct {
	s      *Store
	ftx    *firestore.Transaction
	jobID  string
	writes map[string]write
	// running is whether the job was read not ended; ended is the job
	// saved ended after that.
	running bool
	ended   *pipeline.Job
}

func (t *tx) Job() (*pipeline.Job, error) {
	snap, err := t.ftx.Get(t.s.job(t.jobID))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", t.jobID, mapErr(err))
	}
	j, err := decodeJob(snap)
	if err == nil && !j.Status.Terminal() {
		t.running = true
	}
	return j, err
}

func (t *tx) Steps(names ...content.Format) (map[content.Format]*pipeline.Step, error) {
	refs := make([]*firestore.DocumentRef, len(names))
	for i, n := range names {
		refs[i] = t.s.step(t.jobID, n)
	}
	snaps, err := t.ftx.GetAll(refs)
	if err != nil {
		return nil, fmt.Errorf("get steps of job %s: %w", t.jobID, mapErr(err))
	}
	out := make(map[content.Format]*pipeline.Step, len(snaps))
	for _, snap := range snaps {
		if !snap.Exists() {
			continue
		}
		st, err := decodeStep(t.jobID, snap)
		if err != nil {
			return nil, err
		}
		out[st.Name] = st
	}
	return out, nil
}

func (t *tx) SaveJob(j *pipeline.Job) {
	ref := t.s.job(j.ID)
	t.writes[ref.Path] = write{ref, j}
	if t.running && j.Status.Terminal() {
		t.ended = j
	}
}

func (t *tx) SaveStep(st *pipeline.Step) {
	ref := t.s.step(t.jobID, st.Name)
	t.writes[ref.Path] = write{ref, st}
}

// pageCursor is the position a page token stands for.
type pageCursor struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

// ErrBadPageToken is returned for a page token this store did not issue.
var ErrBadPageToken = errors.New("bad page token")

// ListJobs returns an owner's jobs, newest first, and the token of the
// next page ("" after the last).
func (s *Store) ListJobs(ctx context.Context, owner, pageToken string, limit int) ([]*pipeline.Job, string, error) {
	q := s.fs.Collection(Jobs).Where("owner", "==", owner).
		OrderBy("created_at", firestore.Desc).OrderBy(firestore.DocumentID, firestore.Desc)
	if pageToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(pageToken)
		var c pageCursor
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return nil, "", ErrBadPageToken
		}
		q = q.StartAfter(c.CreatedAt, c.ID)
	}
	jobs, err := s.jobQuery(ctx, q.Limit(limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("list jobs of %s: %w", owner, err)
	}
	next := ""
	if len(jobs) > limit {
		jobs = jobs[:limit]
		last := jobs[len(jobs)-1]
		b, _ := json.Marshal(pageCursor{CreatedAt: last.CreatedAt, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return jobs, next, nil
}

// Rejection records a message that was acknowledged without creating a
// job, and why.
type Rejection struct {
	MessageID  string               `firestore:"message_id"`
	Topic      string               `firestore:"topic"`
	Code       string               `firestore:"code"`
	Reason     string               `firestore:"reason"`
	Errors     []content.FieldError `firestore:"errors"`
	Attributes map[string]string    `firestore:"attributes"`
	// Data is the start of the message body.
	Data       string    `firestore:"data"`
	ReceivedAt time.Time `firestore:"received_at"`
	ExpireAt   time.Time `firestore:"expire_at"`
}

// RejectionRetention is how long rejected messages are kept.
const RejectionRetention = 30 * 24 * time.Hour

// maxRecorded bounds how much of a rejected message's body is kept.
const maxRecorded = 4096

// Reject records a message that was acknowledged without being processed,
// and why, under its id (so a redelivery records it once).
func (s *Store) Reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error {
	data := msg.Data
	if len(data) > maxRecorded {
		data = data[:maxRecorded]
	}
	now := time.Now().UTC()
	r := Rejection{
		MessageID: msg.ID, Topic: msg.Topic, Code: code, Reason: reason, Errors: fields, Attributes: msg.Attributes,
		Data:       strings.ToValidUTF8(string(data), string(utf8.RuneError)),
		ReceivedAt: now, ExpireAt: now.Add(RejectionRetention),
	}
	if _, err := s.fs.Collection(Rejected).Doc(docID(msg.ID)).Set(ctx, r); err != nil {
		return fmt.Errorf("record rejected message %s: %w", msg.ID, err)
	}
	return nil
}

// Rejection returns a recorded rejection.
func (s *Store) Rejection(ctx context.Context, messageID string) (*Rejection, error) {
	snap, err := s.fs.Collection(Rejected).Doc(docID(messageID)).Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("get rejection %s: %w", messageID, mapErr(err))
	}
	var r Rejection
	if err := snap.DataTo(&r); err != nil {
		return nil, fmt.Errorf("decode rejection %s: %w", messageID, err)
	}
	return &r, nil
}

// docID makes any string a valid document id: itself when it is one,
// otherwise its SHA-256.
func docID(s string) string {
	if s != "" && len(s) <= 500 && !strings.Contains(s, "/") && s != "." && s != ".." && !strings.HasPrefix(s, "__") {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "h-" + hex.EncodeToString(sum[:])
}
