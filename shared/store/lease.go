package store

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Leases holds the leases that let one worker at a time, of all the
// regions, do a piece of work: leases/{name}.
const Leases = "leases"

// Lease is who holds a named piece of work, and until when.
type Lease struct {
	Holder string    `firestore:"holder"`
	Until  time.Time `firestore:"until"`
	// Taken is when the holder took it; Runs counts the leases taken.
	Taken time.Time `firestore:"taken"`
	Runs  int64     `firestore:"runs"`
}

// Acquire takes the lease name for holder until now+ttl, in a
// transaction: it succeeds when nobody holds it, when its holder's time
// has run out, or when holder holds it already (it is then extended). It
// returns the lease as it stands after the attempt and whether holder has
// it.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (Lease, bool, error) {
	ref := s.fs.Collection(Leases).Doc(name)
	var got Lease
	var held bool
	err := s.fs.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		got, held = Lease{}, false
		snap, err := tx.Get(ref)
		if err != nil && status.Code(err) != codes.NotFound {
			return err
		}
		now := s.now().UTC()
		if snap.Exists() {
			if err := snap.DataTo(&got); err != nil {
				return err
			}
			if got.Holder != holder && now.Before(got.Until) {
				return nil // someone else's, still running
			}
		}
		if got.Holder != holder {
			got.Taken = now
			got.Runs++
		}
		got.Holder, got.Until, held = holder, now.Add(ttl), true
		return tx.Set(ref, got)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return got, held, nil
}

// Release gives the lease name up, if holder still holds it, so that the
// next worker need not wait for it to run out.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	ref := s.fs.Collection(Leases).Doc(name)
	err := s.fs.RunTransaction(ctx, func(ctx context.Context, tx *firestore.Transaction) error {
		snap, err := tx.Get(ref)
		if status.Code(err) == codes.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		var l Lease
		if err := snap.DataTo(&l); err != nil {
			return err
		}
		if l.Holder != holder {
			return nil
		}
		l.Until = s.now().UTC()
		return tx.Set(ref, l)
	}, firestore.MaxAttempts(txAttempts))
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
