package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/ratelimit"
)

// Erasures records erased jobs until the sweep has deleted anything a
// still-running worker wrote after the erasure.
const Erasures = "erasures"

// Erasure is the record of an erased job (no content, only when).
type Erasure struct {
	JobID      string    `firestore:"-"`
	Owner      string    `firestore:"owner"`
	ErasedAt   time.Time `firestore:"erased_at"`
	CleanAfter time.Time `firestore:"clean_after"`
}

// eraseGrace is how long after an erasure a worker may still write: the
// longest step lease.
const eraseGrace = 15 * time.Minute

// EraseJob implements pipeline.Store: it deletes the job, its request and
// its steps and records the erasure, in one transaction.
func (s *Store) EraseJob(ctx context.Context, id string) error {
	err := s.fs.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(s.job(id))
		if err != nil {
			return err
		}
		steps, err := tx.Documents(s.job(id).Collection(Steps)).GetAll()
		if err != nil {
			return err
		}
		job, err := decodeJob(snap)
		if err != nil {
			return err
		}
		var limitsRef *firestore.DocumentRef
		var limits ratelimit.State
		if s.limits.Enabled() && !job.Status.Terminal() {
			// An erased job that had not ended frees its place now.
			limitsRef = s.fs.Collection(Limits).Doc(docID(job.Owner))
			if limits, err = readLimits(tx, limitsRef); err != nil {
				return err
			}
			spent := 0.0
			for _, st := range steps {
				if step, err := decodeStep(id, st); err == nil {
					spent += step.Usage.CostUSD
				}
			}
			s.limits.Settle(&limits, s.now(), job.EstimateUSD, spent)
		}
		for _, st := range steps {
			if err := tx.Delete(st.Ref); err != nil {
				return err
			}
		}
		if err := tx.Delete(s.request(id)); err != nil {
			return err
		}
		if err := tx.Delete(s.job(id)); err != nil {
			return err
		}
		if limitsRef != nil {
			if err := tx.Set(limitsRef, limits); err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		return tx.Set(s.fs.Collection(Erasures).Doc(id), Erasure{Owner: job.Owner, ErasedAt: now, CleanAfter: now.Add(eraseGrace)})
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return fmt.Errorf("erase job %s: %w", id, mapErr(err))
	}
	return nil
}

// StepRef names a step of a job.
type StepRef struct {
	JobID string
	Step  *pipeline.Step
}

func (s *Store) stepQuery(ctx context.Context, q firestore.Query) ([]StepRef, error) {
	return queryAll(ctx, q, func(snap *firestore.DocumentSnapshot) (StepRef, error) {
		jobID := snap.Ref.Parent.Parent.ID
		st, err := decodeStep(jobID, snap)
		return StepRef{JobID: jobID, Step: st}, err
	})
}

// QueuedBefore returns steps queued before t and not claimed since: their
// message may have been lost.
func (s *Store) QueuedBefore(ctx context.Context, t time.Time, limit int) ([]StepRef, error) {
	return s.stepQuery(ctx, s.fs.CollectionGroup(Steps).
		Where("status", "==", string(pipeline.StepQueued)).Where("queued_at", "<", t).Limit(limit))
}

// LeaseExpiredBefore returns running steps whose lease ended before t:
// their worker died and no redelivery came.
func (s *Store) LeaseExpiredBefore(ctx context.Context, t time.Time, limit int) ([]StepRef, error) {
	return s.stepQuery(ctx, s.fs.CollectionGroup(Steps).
		Where("status", "==", string(pipeline.StepRunning)).Where("lease_until", "<", t).Limit(limit))
}

func (s *Store) jobQuery(ctx context.Context, q firestore.Query) ([]*pipeline.Job, error) {
	return queryAll(ctx, q, decodeJob)
}

// PastDeadline returns jobs that have not ended by their deadline.
func (s *Store) PastDeadline(ctx context.Context, now time.Time, limit int) ([]*pipeline.Job, error) {
	return s.jobQuery(ctx, s.fs.Collection(Jobs).
		Where("status", "in", []string{string(pipeline.JobQueued), string(pipeline.JobRunning)}).
		Where("deadline", "<", now).Limit(limit))
}

// Expired returns jobs past their retention.
func (s *Store) Expired(ctx context.Context, now time.Time, limit int) ([]*pipeline.Job, error) {
	return s.jobQuery(ctx, s.fs.Collection(Jobs).Where("expire_at", "<", now).Limit(limit))
}

// EventPendingBefore returns ended jobs whose event was not published by t.
func (s *Store) EventPendingBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Job, error) {
	return s.jobQuery(ctx, s.fs.Collection(Jobs).
		Where("event_pending", "==", true).Where("updated_at", "<", t).Limit(limit))
}

// ErasuresToClean returns erasures whose grace period is over.
func (s *Store) ErasuresToClean(ctx context.Context, now time.Time, limit int) ([]Erasure, error) {
	q := s.fs.Collection(Erasures).Where("clean_after", "<", now).Limit(limit)
	return queryAll(ctx, q, func(snap *firestore.DocumentSnapshot) (Erasure, error) {
		var e Erasure
		err := snap.DataTo(&e)
		e.JobID = snap.Ref.ID
		return e, err
	})
}

// DeleteErasure forgets an erasure once its artifacts are gone for good.
func (s *Store) DeleteErasure(ctx context.Context, jobID string) error {
	_, err := s.fs.Collection(Erasures).Doc(jobID).Delete(ctx)
	if err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("delete erasure %s: %w", jobID, err)
	}
	return nil
}

// queryAll runs a query and decodes every document it returns.
func queryAll[T any](ctx context.Context, q firestore.Query, decode func(*firestore.DocumentSnapshot) (T, error)) ([]T, error) {
	it := q.Documents(ctx)
	defer it.Stop()
	var out []T
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		v, err := decode(snap)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", snap.Ref.Path, err)
		}
		out = append(out, v)
	}
}
