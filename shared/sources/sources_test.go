package sources_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/webhook"
)

func TestUploadIDsAndPrefixes(t *testing.T) {
	t.Parallel()
	id := sources.NewUploadID()
	assert.True(t, sources.ValidUploadID(id), id)
	assert.NotEqual(t, id, sources.NewUploadID())
	for _, bad := range []string{"", "up_", "up_ABCDEFGHIJKLMNOPQRSTUVWXYZ", "xx_abcdefghijklmnopqrstuvwxyz", id + "a", "up_../../jobs/x/outlin"} {
		assert.False(t, sources.ValidUploadID(bad), bad)
	}
	a, b := sources.OwnerPrefix("alice"), sources.OwnerPrefix("bob")
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, sources.OwnerPrefix("alice"), "stable")
	assert.True(t, strings.HasPrefix(a, "uploads/") && strings.HasSuffix(a, "/"))
	assert.NotContains(t, a, "alice")
	now := time.Now()
	up := sources.Record(content.NewUpload{Filename: "a.pdf", ContentType: content.MediaPDF, Size: 3}, "alice", now, time.Hour)
	assert.Equal(t, a+up.ID, up.Path)
	assert.Equal(t, now.Add(time.Hour), up.ExpireAt)
}

// memUploads is an upload store in memory; fail makes every read fail.
type memUploads struct {
	ups  map[string]*sources.Upload
	fail error
}

func (m memUploads) Upload(_ context.Context, id string) (*sources.Upload, error) {
	if m.fail != nil {
		return nil, m.fail
	}
	if u, ok := m.ups[id]; ok {
		return u, nil
	}
	return nil, failure.ErrNotFound
}

type objects map[string]int64

func (o objects) Stat(_ context.Context, path string) (pipeline.Object, error) {
	if n, ok := o[path]; ok {
		return pipeline.Object{Path: path, Size: n}, nil
	}
	return pipeline.Object{}, failure.ErrNotFound
}

// flakyDNS cannot resolve for now.
type flakyDNS struct{}

func (flakyDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
}

// A check that cannot be made now is *Unavailable, never a refusal: the
// API answers 503 and the intake has the message delivered again.
func TestChecksThatCannotBeMadeNowAreUnavailable(t *testing.T) {
	t.Parallel()
	up := sources.Record(content.NewUpload{Filename: "a.pdf", ContentType: content.MediaPDF, Size: 3}, "alice", time.Now(), time.Hour)
	withUpload := &content.Request{Topic: "Tides", Sources: []content.Source{{UploadID: up.ID}}}
	withLink := &content.Request{Topic: "Tides", Sources: []content.Source{{URL: "https://example.com/tides"}}}
	for name, c := range map[string]struct {
		checker *sources.Checker
		req     *content.Request
	}{
		"the store does not answer": {&sources.Checker{Uploads: memUploads{fail: errors.New("deadline exceeded")}}, withUpload},
		"the name does not resolve": {&sources.Checker{Links: webhook.NewGuard(flakyDNS{})}, withLink},
	} {
		var un *sources.Unavailable
		assert.ErrorAs(t, c.checker.CheckRequest(t.Context(), "alice", c.req), &un, name)
	}

	ok := &sources.Checker{Uploads: memUploads{ups: map[string]*sources.Upload{up.ID: up}}, Objects: objects{up.Path: 3}, Limits: content.DefaultSourceLimits}
	require.NoError(t, ok.CheckRequest(t.Context(), "alice", withUpload))
	var ie *content.InvalidError
	require.ErrorAs(t, ok.CheckRequest(t.Context(), "bob", withUpload), &ie)
	assert.Equal(t, sources.CodeUploadNotFound, ie.Errors[0].Code, "another owner's upload")
	assert.NoError(t, (*sources.Checker)(nil).CheckRequest(t.Context(), "alice", withUpload), "no checker, no check")
}
