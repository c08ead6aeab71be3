package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sync"

	"cloud.google.com/go/pubsub/v2"
	"go.opentelemetry.io/otel/propagation"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

// Publisher publishes messages, reusing one publisher per topic for the
// life of the instance.
type Publisher struct {
	client *pubsub.Client
	names  func(string) string
	// shards spreads step messages over ShardTopic topics (local stack).
	shards int

	mu   sync.Mutex
	pubs map[string]*pubsub.Publisher
}

// NewPublisher returns a publisher over a client. names maps a topic id to
// its deployed name (nil: identity).
func NewPublisher(client *pubsub.Client, names func(string) string) *Publisher {
	if names == nil {
		names = func(s string) string { return s }
	}
	return &Publisher{client: client, names: names, shards: 1, pubs: map[string]*pubsub.Publisher{}}
}

// WithShards spreads step messages over n topics per kind (ShardTopic),
// by job, step and version; n of 1 or less publishes to the kind's topic.
func (p *Publisher) WithShards(n int) *Publisher {
	p.shards = max(n, 1)
	return p
}

func (p *Publisher) publisher(topic string) *pubsub.Publisher {
	p.mu.Lock()
	defer p.mu.Unlock()
	pub, ok := p.pubs[topic]
	if !ok {
		pub = p.client.Publisher(p.names(topic))
		p.pubs[topic] = pub
	}
	return pub
}

// Publish sends one message and waits until the service has it. The
// context's trace is carried in the traceparent attribute.
func (p *Publisher) Publish(ctx context.Context, topic string, data []byte, attrs map[string]string) (string, error) {
	all := TraceCarrier(ctx)
	for k, v := range attrs {
		all[k] = v
	}
	id, err := p.publisher(topic).Publish(ctx, &pubsub.Message{Data: data, Attributes: all}).Get(ctx)
	if err != nil {
		return "", fmt.Errorf("publish to %s: %w", p.names(topic), err)
	}
	return id, nil
}

var _ pipeline.Publisher = (*Publisher)(nil)

// PublishStep implements pipeline.Publisher: it sends a step message to
// the worker of its kind.
func (p *Publisher) PublishStep(ctx context.Context, kind content.Kind, msg pipeline.StepMessage) error {
	topic := TopicFor(kind)
	if topic == "" {
		return fmt.Errorf("publish step %s: no topic for kind %q", msg.Step, kind)
	}
	if p.shards > 1 {
		h := fnv.New32a()
		fmt.Fprintf(h, "%s/%s/%d", msg.JobID, msg.Step, msg.Version)
		topic = ShardTopic(topic, int(h.Sum32()%uint32(p.shards)))
	}
	env := EnvelopeOf(msg)
	_, err := p.Publish(ctx, topic, env.Encode(), map[string]string{"job_id": env.JobID, "step": env.Step})
	return err
}

// MessagePublisher publishes raw messages on a topic.
type MessagePublisher interface {
	Publish(ctx context.Context, topic string, data []byte, attrs map[string]string) (string, error)
}

// JobEvents publishes job events on the job-events topic, with the
// attributes subscribers filter on (event_type, event_id, job_id, owner,
// status).
func JobEvents(pub MessagePublisher) pipeline.Events { return topicEvents{pub} }

type topicEvents struct{ pub MessagePublisher }

func (t topicEvents) PublishJobEvent(ctx context.Context, ev pipeline.JobEvent) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode job event: %w", err)
	}
	_, err = t.pub.Publish(ctx, TopicEvents, data, map[string]string{
		"event_type": ev.Type, "event_id": ev.ID, "job_id": ev.JobID, "owner": ev.Owner, "status": string(ev.Status),
	})
	return err
}

// TraceCarrier returns message attributes carrying the context's trace
// (traceparent), for the consumer to continue it.
func TraceCarrier(ctx context.Context) map[string]string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c
}

// Stop flushes and stops every publisher.
func (p *Publisher) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pub := range p.pubs {
		pub.Stop()
	}
}
