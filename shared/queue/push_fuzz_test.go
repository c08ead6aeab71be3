package queue_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/queue"
)

var (
	jobID = regexp.MustCompile(`^[a-z0-9]{8,64}$`)
	step  = regexp.MustCompile(`^[a-z_]{1,40}$`)
)

// FuzzFromEvent: any CloudEvent, whatever its data, gives either a message
// with an id and attributes, whose body DecodeEnvelope accepts or refuses
// as poison, or an error wrapping ErrPoison; nothing panics. Seeds:
// testdata/fuzz/FuzzFromEvent.
func FuzzFromEvent(f *testing.F) {
	f.Add("1", "//pubsub.googleapis.com/projects/p/topics/text-steps",
		[]byte(`{"message":{"data":"eyJ2IjoxLCJqb2JfaWQiOiJhYmNkZWZnaDEyIiwic3RlcCI6Im91dGxpbmUiLCJhdHRlbXB0IjoxfQ==","attributes":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},"messageId":"16033","publishTime":"2026-11-25T19:19:56.861Z"}}`))
	f.Add("", "", []byte(`{"message":{"data":"!!!"}}`))
	f.Add("x", "//pubsub.googleapis.com/", []byte(`[]`))
	f.Fuzz(func(t *testing.T, id, source string, data []byte) {
		e := cloudevents.NewEvent()
		e.SetID(id)
		e.SetSource(source)
		e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
		e.DataEncoded = data
		m, err := queue.FromEvent(e)
		if err != nil {
			if !errors.Is(err, queue.ErrPoison) {
				t.Fatalf("FromEvent error does not wrap ErrPoison: %v", err)
			}
			return
		}
		if m.ID == "" || m.Attributes == nil {
			t.Fatalf("message without id or attributes: %+v", m)
		}
		if m.Topic != "" && !strings.HasPrefix(source, "//pubsub.googleapis.com/") {
			t.Fatalf("topic %q from source %q", m.Topic, source)
		}
		checkEnvelope(t, m.Data)
	})
}

// FuzzDecodeEnvelope: any body is either a valid envelope that encodes to
// itself, or poison. Seeds: testdata/fuzz/FuzzDecodeEnvelope.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"v":1,"job_id":"abcdefgh12","step":"outline","attempt":2,"region":"europe-west1"}`))
	f.Add([]byte(`{"v":2,"job_id":"ABC","step":"../x","attempt":-1}`))
	f.Add([]byte(`{"v":1,"job_id":"abcdefgh12","step":"faqs","attempt":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkEnvelope(t, data) })
}

func checkEnvelope(t *testing.T, data []byte) {
	t.Helper()
	env, err := queue.DecodeEnvelope(data)
	if err != nil {
		if !errors.Is(err, queue.ErrPoison) {
			t.Fatalf("DecodeEnvelope error does not wrap ErrPoison: %v", err)
		}
		return
	}
	if env.V != queue.Version || !jobID.MatchString(env.JobID) || !step.MatchString(env.Step) || env.Attempt < 0 {
		t.Fatalf("invalid envelope accepted: %+v", env)
	}
	back, err := queue.DecodeEnvelope(env.Encode())
	if err != nil || back != env {
		t.Fatalf("envelope does not survive encoding: %+v -> %+v (%v)", env, back, err)
	}
}
