package intake_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"contentfactory.dev/factory/shared/ai/models"
	"contentfactory.dev/factory/shared/content"
	fnsetup "contentfactory.dev/factory/shared/setup"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/webhook"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/intake"
	"contentfactory.dev/factory/internal/testenv"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// event builds the CloudEvent the functions framework makes of a push.
func event(t *testing.T, id string, data []byte, attrs map[string]string) cloudevents.Event {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID(id)
	e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
	e.SetSource("//pubsub.googleapis.com/projects/p/topics/content-requests")
	payload := map[string]any{"message": map[string]any{"data": data, "attributes": attrs, "messageId": id, "publishTime": time.Now()}}
	require.NoError(t, e.SetData(cloudevents.ApplicationJSON, payload))
	return e
}

func setup(t *testing.T) (*intake.Handler, *store.Store, *pipelinetest.Publisher) {
	t.Helper()
	st := store.New(testenv.Firestore(t, testenv.Project(t)))
	pub := &pipelinetest.Publisher{}
	jobs := pipeline.NewJobs(pipeline.Ports{Store: st, Publisher: pub}, pipeline.JobsConfig{Region: "local"})
	checker := &sources.Checker{Uploads: st, Links: webhook.NewGuard(fakeDNS{}), Limits: content.SourceLimits{MaxSources: 3, MaxBytes: 1 << 20}}
	return intake.New(jobs, fnsetup.Rejects{Store: st}, nil, checker), st, pub
}

// fakeDNS resolves partner.example.com to a public address, intranet.example.com
// to a private one, and nothing else.
type fakeDNS struct{}

func (fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	switch host {
	case "partner.example.com":
		return []net.IPAddr{{IP: net.ParseIP("93.184.216.34")}}, nil
	case "intranet.example.com":
		return []net.IPAddr{{IP: net.ParseIP("10.1.2.3")}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// The intake checks sources as the API does: another owner's upload is
// not found, a link into a private network is refused, limits hold; a
// request whose sources pass makes its job with the sources step first.
func TestIntakeChecksSourcesAsTheAPIDoes(t *testing.T) {
	t.Parallel()
	h, st, _ := setup(t)
	ctx := context.Background()
	theirs := sources.Record(content.NewUpload{Filename: "a.pdf", ContentType: "application/pdf", Size: 10}, "someone-else", time.Now(), time.Hour)
	require.NoError(t, st.CreateUpload(ctx, theirs))
	body, _ := json.Marshal(map[string]any{"topic": "Coral reefs", "sources": []map[string]string{
		{"upload_id": theirs.ID}, {"url": "https://intranet.example.com/notes"}, {"url": "https://partner.example.com/reefs"},
	}})
	require.NoError(t, h.HandleEvent(ctx, event(t, "s1", body, map[string]string{"owner": "partner-1"})))
	rej, err := st.Rejection(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "invalid_request", rej.Code)
	var got []string
	for _, e := range rej.Errors {
		got = append(got, e.Field+"="+e.Code)
	}
	assert.Equal(t, []string{"sources[0].upload_id=upload_not_found", "sources[1].url=forbidden_address"}, got)

	body, _ = json.Marshal(map[string]any{"topic": "Coral reefs", "source_text": "a", "sources": []map[string]string{{"text": "b"}, {"text": "c"}, {"text": "d"}}})
	require.NoError(t, h.HandleEvent(ctx, event(t, "s2", body, nil)))
	rej, err = st.Rejection(ctx, "s2")
	require.NoError(t, err)
	require.Len(t, rej.Errors, 1)
	assert.Equal(t, "too_many", rej.Errors[0].Code, "source_text counts as one")

	body, _ = json.Marshal(map[string]any{"topic": "Coral reefs", "formats": []string{"faqs"}, "sources": []map[string]string{{"url": "https://partner.example.com/reefs"}}})
	require.NoError(t, h.HandleEvent(ctx, event(t, "s3", body, map[string]string{"request_id": "with-link"})))
	job, err := st.Job(ctx, intake.JobID(intake.DefaultOwner, "with-link"))
	require.NoError(t, err)
	assert.Equal(t, []content.Format{content.FormatSources, content.FormatOutline, content.FormatFAQs, content.FormatPackage}, job.Formats)
}

func TestIntakeCreatesOneJobPerRequest(t *testing.T) {
	t.Parallel()
	h, st, pub := setup(t)
	ctx := context.Background()
	body, _ := json.Marshal(map[string]any{"topic": "Coral reefs", "formats": []string{"faqs"}})
	attrs := map[string]string{"owner": "partner-1", "request_id": "r-42"}

	require.NoError(t, h.HandleEvent(ctx, event(t, "m1", body, attrs)))
	require.NoError(t, h.HandleEvent(ctx, event(t, "m1", body, attrs)), "redelivery")
	require.NoError(t, h.HandleEvent(ctx, event(t, "m2", body, attrs)), "published twice")

	id := intake.JobID("partner-1", "r-42")
	job, err := st.Job(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "partner-1", job.Owner)
	assert.Equal(t, "pubsub", job.Origin)
	assert.Len(t, pub.Published(), 1, "one job, one first step")

	// Without a request id, the message id deduplicates and the owner defaults.
	require.NoError(t, h.HandleEvent(ctx, event(t, "m3", body, nil)))
	require.NoError(t, h.HandleEvent(ctx, event(t, "m3", body, nil)))
	job, err = st.Job(ctx, intake.JobID(intake.DefaultOwner, "m3"))
	require.NoError(t, err)
	assert.Equal(t, intake.DefaultOwner, job.Owner)
	assert.Len(t, pub.Published(), 2)
}

func TestIntakeRecordsWhatItRejects(t *testing.T) {
	t.Parallel()
	h, st, pub := setup(t)
	ctx := context.Background()
	cases := []struct {
		id, body string
		attrs    map[string]string
		code     string
	}{
		{"bad-json", `{"topic": `, nil, "invalid_json"},
		{"unknown-field", `{"topic": "Coral", "colour": "red"}`, nil, "unknown_field"},
		{"invalid", `{"topic": "x", "formats": ["essay"]}`, nil, "invalid_request"},
		{"bad-owner", `{"topic": "Coral reefs"}`, map[string]string{"owner": "has spaces"}, "invalid_owner"},
		{"invalid-utf8", "{\"topic\": \"Coral \xff reefs\"}", nil, "invalid_json"},
	}
	for _, c := range cases {
		require.NoError(t, h.HandleEvent(ctx, event(t, c.id, []byte(c.body), c.attrs)), "acknowledged: %s", c.id)
		rej, err := st.Rejection(ctx, c.id)
		require.NoError(t, err, c.id)
		assert.Equal(t, c.code, rej.Code, c.id)
		assert.Equal(t, strings.ToValidUTF8(c.body, "\uFFFD"), rej.Data, "kept as far as Firestore can store it")
		assert.NotEmpty(t, rej.Reason)
	}
	rej, err := st.Rejection(ctx, "invalid")
	require.NoError(t, err)
	assert.Len(t, rej.Errors, 2, "every field error is kept")
	assert.Empty(t, pub.Published(), "no job was made")

	// Reusing a request id with another body is refused, not merged.
	require.NoError(t, h.HandleEvent(ctx, event(t, "a", []byte(`{"topic": "First request"}`), map[string]string{"request_id": "same"})))
	require.NoError(t, h.HandleEvent(ctx, event(t, "b", []byte(`{"topic": "Second request"}`), map[string]string{"request_id": "same"})))
	rej, err = st.Rejection(ctx, "b")
	require.NoError(t, err)
	assert.Equal(t, "request_id_reused", rej.Code)

	// Not a Pub/Sub message at all.
	e := cloudevents.NewEvent()
	e.SetID("junk")
	e.SetType("x")
	e.SetSource("y")
	require.NoError(t, e.SetData(cloudevents.ApplicationJSON, []int{1, 2}))
	require.NoError(t, h.HandleEvent(ctx, e))
	rej, err = st.Rejection(ctx, "junk")
	require.NoError(t, err)
	assert.Equal(t, "malformed_message", rej.Code)
}

// The intake refuses audio in a language no voice speaks, as the API
// does, and takes the same request without audio.
func TestIntakeRefusesAudioInALanguageWithoutVoices(t *testing.T) {
	t.Parallel()
	h, st, _ := setup(t)
	h.WithVoices(models.Defaults().TTS)
	ctx := context.Background()
	body, _ := json.Marshal(map[string]any{"topic": "Coral reefs", "language": "he-IL"})
	require.NoError(t, h.HandleEvent(ctx, event(t, "v1", body, nil)))
	rej, err := st.Rejection(ctx, "v1")
	require.NoError(t, err)
	assert.Equal(t, "invalid_request", rej.Code)
	require.Len(t, rej.Errors, 1)
	assert.Equal(t, "language", rej.Errors[0].Field)
	assert.Equal(t, "no_voice", rej.Errors[0].Code)

	body, _ = json.Marshal(map[string]any{"topic": "Coral reefs", "language": "he-IL", "formats": []string{"faqs"}})
	require.NoError(t, h.HandleEvent(ctx, event(t, "v2", body, map[string]string{"request_id": "hebrew-faqs"})))
	job, err := st.Job(ctx, intake.JobID(intake.DefaultOwner, "hebrew-faqs"))
	require.NoError(t, err)
	assert.Equal(t, "he-IL", job.Language)
}
