package store

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/auth"
)

var _ auth.KeyStore = (*Store)(nil)

// CreateKey stores a new API key.
func (s *Store) CreateKey(ctx context.Context, k *auth.Key) error {
	if _, err := s.fs.Collection(Keys).Doc(k.Hash).Create(ctx, k); err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, mapErr(err))
	}
	return nil
}

// Key implements auth.KeyStore.
func (s *Store) Key(ctx context.Context, hash string) (*auth.Key, error) {
	snap, err := s.fs.Collection(Keys).Doc(hash).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return nil, auth.ErrUnknownKey
	}
	if err != nil {
		return nil, fmt.Errorf("get key: %w", err)
	}
	return decodeKey(snap)
}

func decodeKey(snap *firestore.DocumentSnapshot) (*auth.Key, error) {
	var k auth.Key
	if err := snap.DataTo(&k); err != nil {
		return nil, fmt.Errorf("decode key %s: %w", snap.Ref.ID, err)
	}
	k.Hash = snap.Ref.ID
	return &k, nil
}

// TouchKey implements auth.KeyStore.
func (s *Store) TouchKey(ctx context.Context, hash string, at time.Time) error {
	_, err := s.fs.Collection(Keys).Doc(hash).Update(ctx, []firestore.Update{{Path: "last_used_at", Value: at.UTC()}})
	if err != nil {
		return fmt.Errorf("touch key: %w", mapErr(err))
	}
	return nil
}

// ListKeys returns the keys of an owner, or of every owner when owner is
// empty.
func (s *Store) ListKeys(ctx context.Context, owner string) ([]*auth.Key, error) {
	q := s.fs.Collection(Keys).Query
	if owner != "" {
		q = q.Where("owner", "==", owner)
	}
	keys, err := queryAll(ctx, q, decodeKey)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes the key whose id (or hash) is given; revoking a
// revoked key keeps its first revocation time.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) (*auth.Key, error) {
	keys, err := s.ListKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.ID != id && k.Hash != id {
			continue
		}
		if !k.Revoked() {
			k.RevokedAt = at.UTC()
			if _, err := s.fs.Collection(Keys).Doc(k.Hash).Update(ctx, []firestore.Update{{Path: "revoked_at", Value: k.RevokedAt}}); err != nil {
				return nil, fmt.Errorf("revoke key %s: %w", id, err)
			}
		}
		return k, nil
	}
	return nil, fmt.Errorf("key %s: %w", id, auth.ErrUnknownKey)
}
