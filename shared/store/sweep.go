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
)

// Erasures records erased jobs until the sweep has deleted anything a
// still-running worker wrote after the erasure.
const Erasures = "erasures"

// Erasure is the record of an erased job (no content, only when).
type Erasure struct {
	Owner      string    `firestore:"owner"`
	ErasedAt   time.Time `firestore:"erased_at"`
	CleanAfter time.Time `firestore:"clean_after"`
}

// eraseGrace is how long after an erasure a worker may still write: the
// longest step lease.
const eraseGrace = 15 * time.Minute

func (s *Store) stepQuery(ctx context.Context, q firestore.Query) ([]*pipeline.Step, error) {
	return queryAll(ctx, q, func(snap *firestore.DocumentSnapshot) (*pipeline.Step, error) {
		return decodeStep(snap.Ref.Parent.Parent.ID, snap)
	})
}

// QueuedBefore returns steps queued before t and not claimed since: their
// message may have been lost.
func (s *Store) QueuedBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Step, error) {
	return s.stepQuery(ctx, s.fs.CollectionGroup(Steps).
		Where("status", "==", string(pipeline.StepQueued)).Where("queued_at", "<", t).Limit(limit))
}

// PendingBefore returns steps pending since before t: one whose
// requirements have all ended, but which no one queued (a crash after the
// last of them ended), is queued by the sweep.
func (s *Store) PendingBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Step, error) {
	return s.stepQuery(ctx, s.fs.CollectionGroup(Steps).
		Where("status", "==", string(pipeline.StepPending)).Where("updated_at", "<", t).Limit(limit))
}

// LeaseExpiredBefore returns running steps whose lease ended before t:
// their worker died and no redelivery came.
func (s *Store) LeaseExpiredBefore(ctx context.Context, t time.Time, limit int) ([]*pipeline.Step, error) {
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

// ReviewPast returns jobs still awaiting review after their review
// deadline.
func (s *Store) ReviewPast(ctx context.Context, now time.Time, limit int) ([]*pipeline.Job, error) {
	return s.jobQuery(ctx, s.fs.Collection(Jobs).
		Where("status", "==", string(pipeline.JobAwaitingReview)).Where("review_until", "<", now).Limit(limit))
}

// Cached implements pipeline.Results: the newest succeeded job of an
// owner made under a cache key, created after since.
func (s *Store) Cached(ctx context.Context, owner, key string, since time.Time) (*pipeline.Job, error) {
	jobs, err := s.jobQuery(ctx, s.fs.Collection(Jobs).
		Where("owner", "==", owner).Where("cache_key", "==", key).Where("status", "==", string(pipeline.JobSucceeded)).
		Where("created_at", ">", since).OrderBy("created_at", firestore.Desc).Limit(1))
	if err != nil {
		return nil, fmt.Errorf("look up cached results: %w", err)
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("no cached results: %w", pipeline.ErrNotFound)
	}
	return jobs[0], nil
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

// ErasuresToClean returns the ids of erased jobs whose grace period is
// over: what a late worker wrote for them can be deleted for good.
func (s *Store) ErasuresToClean(ctx context.Context, now time.Time, limit int) ([]string, error) {
	q := s.fs.Collection(Erasures).Where("clean_after", "<", now).Limit(limit)
	return queryAll(ctx, q, func(snap *firestore.DocumentSnapshot) (string, error) { return snap.Ref.ID, nil })
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
