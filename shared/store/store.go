// Package store keeps the factory's state in Firestore: jobs, their steps
// and requests, each owner's ledger (standing against the limits), API keys
// and rejected messages. It is the adapter of the pipeline's Store port: it
// only stores; the rules of what may change are the pipeline's. It maps
// Firestore's errors to the portable kinds of package failure.
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
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
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
	fs  *firestore.Client
	now func() time.Time
}

var _ pipeline.Store = (*Store)(nil)

// New returns a store over a Firestore client.
func New(fs *firestore.Client) *Store {
	return &Store{fs: fs, now: time.Now}
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

// mapErr turns Firestore's codes into the portable kinds.
func mapErr(err error) error {
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("%w: %v", failure.ErrNotFound, err)
	case codes.AlreadyExists:
		return fmt.Errorf("%w: %v", failure.ErrExists, err)
	case codes.Aborted:
		return fmt.Errorf("%w: %v", failure.ErrConflict, err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Internal:
		return failure.Transient("store_unavailable", err)
	}
	return err
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

// Usage returns an owner's standing against the limits: the ledger, with
// the settlements it does not hold yet folded in.
func (s *Store) Usage(ctx context.Context, owner string) (ratelimit.State, error) {
	var st ratelimit.State
	ref := s.fs.Collection(Limits).Doc(docID(owner))
	snap, err := ref.Get(ctx)
	switch {
	case status.Code(err) == codes.NotFound:
	case err != nil:
		return st, fmt.Errorf("read usage of %s: %w", owner, err)
	default:
		if err := snap.DataTo(&st); err != nil {
			return st, fmt.Errorf("decode usage of %s: %w", owner, err)
		}
	}
	pending, err := readSettlements(settlementsOf(ref).Documents(ctx), owner)
	if err != nil {
		return st, err
	}
	pipeline.Fold(&st, pending, s.now())
	return st, nil
}

// Settlements is the subcollection, under an owner's limits document, of
// the settlements its ledger does not hold yet.
const Settlements = "settlements"

// settlementDoc is a pipeline.Settlement as stored (its id is the
// document's).
type settlementDoc struct {
	EstimateUSD float64   `firestore:"estimate_usd"`
	SpentUSD    float64   `firestore:"spent_usd"`
	EndedAt     time.Time `firestore:"ended_at"`
}

// settlementsOf queries an owner's settlements, oldest first.
func settlementsOf(limits *firestore.DocumentRef) firestore.Query {
	return limits.Collection(Settlements).OrderBy("ended_at", firestore.Asc).Limit(pipeline.MaxFold)
}

func readSettlements(it *firestore.DocumentIterator, owner string) ([]pipeline.Settlement, error) {
	snaps, err := it.GetAll()
	if err != nil {
		return nil, fmt.Errorf("read the settlements of %s: %w", owner, mapErr(err))
	}
	out := make([]pipeline.Settlement, 0, len(snaps))
	for _, snap := range snaps {
		var d settlementDoc
		if err := snap.DataTo(&d); err != nil {
			return nil, fmt.Errorf("decode settlement %s: %w", snap.Ref.ID, err)
		}
		out = append(out, pipeline.Settlement{ID: snap.Ref.ID, Owner: owner,
			Release: ratelimit.Release{EstimateUSD: d.EstimateUSD, SpentUSD: d.SpentUSD, EndedAt: d.EndedAt}})
	}
	return out, nil
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
	st.Revision = snap.UpdateTime.UTC().Format(time.RFC3339Nano)
	return &st, nil
}

// QueueStep implements pipeline.Store: an update of the queued step's
// fields with the update time it was read at as precondition.
func (s *Store) QueueStep(ctx context.Context, jobID string, st *pipeline.Step) (bool, error) {
	rev, err := time.Parse(time.RFC3339Nano, st.Revision)
	if err != nil {
		return false, fmt.Errorf("queue step %s of job %s: not read from the store (revision %q): %w", st.Name, jobID, st.Revision, err)
	}
	_, err = s.step(jobID, st.Name).Update(ctx, []firestore.Update{
		{Path: "status", Value: st.Status},
		{Path: "queued_at", Value: st.QueuedAt},
		{Path: "updated_at", Value: st.UpdatedAt},
		{Path: "versions", Value: st.Versions},
	}, firestore.LastUpdateTime(rev))
	switch status.Code(err) {
	case codes.OK:
		return true, nil
	case codes.FailedPrecondition, codes.NotFound:
		return false, nil // changed since it was read, or erased
	}
	return false, fmt.Errorf("queue step %s of job %s: %w", st.Name, jobID, mapErr(err))
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

// Create implements pipeline.Store: one Commit of the job, its request and
// its steps, each created only if absent. A batch is that one atomic
// commit; a transaction would add a BeginTransaction round trip before it
// for nothing, since nothing is read.
func (s *Store) Create(ctx context.Context, job *pipeline.Job, req *content.Request, steps []*pipeline.Step) error {
	//lint:ignore SA1019 the Go client deprecates WriteBatch for bulk loads (BulkWriter); an atomic commit of a few documents without reads is what it still is, and BulkWriter is not atomic.
	b := s.fs.Batch()
	b.Create(s.job(job.ID), job)
	b.Create(s.request(job.ID), req)
	for _, st := range steps {
		b.Create(s.step(job.ID, st.Name), st)
	}
	if _, err := b.Commit(ctx); err != nil {
		return fmt.Errorf("create job %s: %w", job.ID, mapErr(err))
	}
	return nil
}

// Transact implements pipeline.Store.
func (s *Store) Transact(ctx context.Context, jobID string, fn func(context.Context, pipeline.Tx) error) error {
	err := s.fs.RunTransaction(ctx, func(ctx context.Context, ftx *firestore.Transaction) error {
		t := &tx{s: s, ftx: ftx, jobID: jobID, writes: map[string]write{}}
		if err := fn(ctx, t); err != nil {
			return err
		}
		// Firestore wants every read of a transaction before its first
		// write: the writes were buffered until now.
		for _, w := range t.order {
			if err := t.writes[w].apply(ftx); err != nil {
				return err
			}
		}
		return nil
	}, firestore.MaxAttempts(txAttempts))
	return mapErr(err)
}

// write is one buffered write of a transaction.
type write struct {
	ref  *firestore.DocumentRef
	data any
	op   writeOp
}

type writeOp int

const (
	opSet writeOp = iota
	opCreate
	opDelete
)

func (w write) apply(ftx *firestore.Transaction) error {
	switch w.op {
	case opCreate:
		return ftx.Create(w.ref, w.data)
	case opDelete:
		return ftx.Delete(w.ref)
	}
	return ftx.Set(w.ref, w.data)
}

// tx buffers writes until the callback returns, since Firestore wants
// every read of a transaction before its first write. A later write of a
// document replaces an earlier one.
type tx struct {
	s      *Store
	ftx    *firestore.Transaction
	jobID  string
	writes map[string]write
	order  []string
}

func (t *tx) put(w write) {
	if _, ok := t.writes[w.ref.Path]; !ok {
		t.order = append(t.order, w.ref.Path)
	}
	t.writes[w.ref.Path] = w
}

func (t *tx) Job() (*pipeline.Job, error) {
	snap, err := t.ftx.Get(t.s.job(t.jobID))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", t.jobID, mapErr(err))
	}
	return decodeJob(snap)
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

func (t *tx) Ledger(owner string) (ratelimit.State, error) {
	st, err := readLimits(t.ftx, t.s.fs.Collection(Limits).Doc(docID(owner)))
	if err != nil {
		return st, fmt.Errorf("get the ledger of %s: %w", owner, mapErr(err))
	}
	return st, nil
}

func (t *tx) JobsAndLedger(owner string, ids ...string) (map[string]bool, ratelimit.State, error) {
	var st ratelimit.State
	exist := make(map[string]bool, len(ids))
	refs := make([]*firestore.DocumentRef, 0, len(ids)+1)
	refs = append(refs, t.s.fs.Collection(Limits).Doc(docID(owner)))
	for _, id := range ids {
		if _, ok := exist[id]; !ok {
			exist[id] = false
			refs = append(refs, t.s.job(id))
		}
	}
	snaps, err := t.ftx.GetAll(refs)
	if err != nil {
		return nil, st, fmt.Errorf("get jobs %v and the ledger of %s: %w", ids, owner, mapErr(err))
	}
	if snaps[0].Exists() {
		if err := snaps[0].DataTo(&st); err != nil {
			return nil, st, fmt.Errorf("decode the ledger of %s: %w", owner, err)
		}
	}
	for _, snap := range snaps[1:] {
		exist[snap.Ref.ID] = snap.Exists()
	}
	return exist, st, nil
}

func (t *tx) CreateJob(job *pipeline.Job, req *content.Request, steps []*pipeline.Step) {
	t.put(write{t.s.job(job.ID), job, opCreate})
	t.put(write{t.s.request(job.ID), req, opCreate})
	for _, st := range steps {
		t.put(write{t.s.step(job.ID, st.Name), st, opCreate})
	}
}

func (t *tx) SaveJob(j *pipeline.Job) { t.put(write{t.s.job(j.ID), j, opSet}) }

func (t *tx) SaveStep(st *pipeline.Step) { t.put(write{t.s.step(t.jobID, st.Name), st, opSet}) }

func (t *tx) Settlements(owner string) ([]pipeline.Settlement, error) {
	return readSettlements(t.ftx.Documents(settlementsOf(t.s.fs.Collection(Limits).Doc(docID(owner)))), owner)
}

func (t *tx) SaveLedger(owner string, st ratelimit.State, folded []string) {
	ref := t.s.fs.Collection(Limits).Doc(docID(owner))
	t.put(write{ref, st, opSet})
	for _, id := range folded {
		t.put(write{ref.Collection(Settlements).Doc(id), nil, opDelete})
	}
}

func (t *tx) Settle(st pipeline.Settlement) {
	ref := t.s.fs.Collection(Limits).Doc(docID(st.Owner)).Collection(Settlements).Doc(st.ID)
	t.put(write{ref, settlementDoc{EstimateUSD: st.EstimateUSD, SpentUSD: st.SpentUSD, EndedAt: st.EndedAt}, opSet})
}

func (t *tx) EraseJob(job *pipeline.Job, steps []content.Format) {
	for _, f := range steps {
		t.put(write{t.s.step(job.ID, f), nil, opDelete})
	}
	t.put(write{t.s.request(job.ID), nil, opDelete})
	t.put(write{t.s.job(job.ID), nil, opDelete})
	now := t.s.now().UTC()
	t.put(write{t.s.fs.Collection(Erasures).Doc(job.ID), Erasure{Owner: job.Owner, ErasedAt: now, CleanAfter: now.Add(eraseGrace)}, opSet})
}

// pageCursor is the position a page token stands for.
type pageCursor struct {
	CreatedAt time.Time `json:"c"`
	ID        string    `json:"i"`
}

// ListJobs returns an owner's jobs, newest first, and the token of the
// next page ("" after the last).
func (s *Store) ListJobs(ctx context.Context, owner, pageToken string, limit int) ([]*pipeline.Job, string, error) {
	q := s.fs.Collection(Jobs).Where("owner", "==", owner).
		OrderBy("created_at", firestore.Desc).OrderBy(firestore.DocumentID, firestore.Desc)
	if pageToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(pageToken)
		var c pageCursor
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return nil, "", pipeline.ErrBadPageToken
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
// and why, under its id (so a redelivery records it once). At most the
// first 4 KiB of its body are kept, as valid UTF-8; the times are set here.
func (s *Store) Reject(ctx context.Context, r Rejection) error {
	if len(r.Data) > maxRecorded {
		r.Data = r.Data[:maxRecorded]
	}
	r.Data = strings.ToValidUTF8(r.Data, string(utf8.RuneError))
	now := time.Now().UTC()
	r.ReceivedAt, r.ExpireAt = now, now.Add(RejectionRetention)
	if _, err := s.fs.Collection(Rejected).Doc(docID(r.MessageID)).Set(ctx, r); err != nil {
		return fmt.Errorf("record rejected message %s: %w", r.MessageID, err)
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
