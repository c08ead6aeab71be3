package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/propagation"
)

// Message is a Pub/Sub message as a function receives it.
type Message struct {
	ID          string
	Data        []byte
	Attributes  map[string]string
	PublishTime time.Time
	// Topic is "projects/P/topics/T" when the delivery names it.
	Topic string
}

// publishedData is the CloudEvent data of
// google.cloud.pubsub.topic.v1.messagePublished, both as Eventarc sends it
// and as the functions framework builds it from a raw push body.
type publishedData struct {
	Message struct {
		Data        []byte            `json:"data"`
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime time.Time         `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// FromEvent extracts the Pub/Sub message from a CloudEvent. A malformed
// event is ErrPoison.
func FromEvent(e cloudevents.Event) (Message, error) {
	var d publishedData
	if err := json.Unmarshal(e.Data(), &d); err != nil {
		return Message{}, fmt.Errorf("%w: event data is not a Pub/Sub message: %v", ErrPoison, err)
	}
	m := Message{
		ID:          d.Message.MessageID,
		Data:        d.Message.Data,
		Attributes:  d.Message.Attributes,
		PublishTime: d.Message.PublishTime,
	}
	if m.ID == "" {
		m.ID = e.ID()
	}
	if m.Attributes == nil {
		m.Attributes = map[string]string{}
	}
	if src := e.Source(); strings.HasPrefix(src, "//pubsub.googleapis.com/") {
		m.Topic = strings.TrimPrefix(src, "//pubsub.googleapis.com/")
	}
	if m.ID == "" {
		return Message{}, fmt.Errorf("%w: message has no id", ErrPoison)
	}
	return m, nil
}

// Context returns ctx carrying the trace of a message's traceparent
// attribute (or the one the Pub/Sub client library writes).
func Context(ctx context.Context, attrs map[string]string) context.Context {
	carrier := propagation.MapCarrier{}
	for k, v := range attrs {
		carrier[k] = v
	}
	if carrier.Get("traceparent") == "" && attrs["googclient_traceparent"] != "" {
		carrier["traceparent"] = attrs["googclient_traceparent"]
	}
	return propagation.TraceContext{}.Extract(ctx, carrier)
}
