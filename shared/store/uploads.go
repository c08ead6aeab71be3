package store

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/shared/sources"
)

// Uploads keeps the records of uploaded files (uploads/{id}).
const Uploads = "uploads"

var _ sources.UploadStore = (*Store)(nil)

// CreateUpload stores the record of a new upload.
func (s *Store) CreateUpload(ctx context.Context, u *sources.Upload) error {
	if _, err := s.fs.Collection(Uploads).Doc(u.ID).Create(ctx, u); err != nil {
		return fmt.Errorf("create upload %s: %w", u.ID, mapErr(err))
	}
	return nil
}

// Upload implements sources.UploadStore.
func (s *Store) Upload(ctx context.Context, id string) (*sources.Upload, error) {
	snap, err := s.fs.Collection(Uploads).Doc(id).Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("get upload %s: %w", id, mapErr(err))
	}
	return decodeUpload(snap)
}

func decodeUpload(snap *firestore.DocumentSnapshot) (*sources.Upload, error) {
	var u sources.Upload
	if err := snap.DataTo(&u); err != nil {
		return nil, fmt.Errorf("decode upload %s: %w", snap.Ref.ID, err)
	}
	u.ID = snap.Ref.ID
	return &u, nil
}

// ExpiredUploads returns uploads whose time ran out before now.
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]*sources.Upload, error) {
	return queryAll(ctx, s.fs.Collection(Uploads).Where("expire_at", "<", now).Limit(limit), decodeUpload)
}

// DeleteUpload deletes an upload's record; one already gone is no error.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	_, err := s.fs.Collection(Uploads).Doc(id).Delete(ctx)
	if err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("delete upload %s: %w", id, err)
	}
	return nil
}
