package queue

import (
	"context"
	"fmt"
	"sync"

	"cloud.google.com/go/pubsub/v2"
	"go.opentelemetry.io/otel/propagation"

	"contentfactory.dev/factory/shared/content"
)

// Publisher publishes messages, reusing one publisher per topic for the
// life of the instance.
type Publisher struct {
	client *pubsub.Client
	names  func(string) string

	mu   sync.Mutex
	pubs map[string]*pubsub.Publisher
}

// NewPublisher returns a publisher over a client. names maps a topic id to
// its deployed name (nil: identity).
func NewPublisher(client *pubsub.Client, names func(string) string) *Publisher {
	if names == nil {
		names = func(s string) string { return s }
	}
	return &Publisher{client: client, names: names, pubs: map[string]*pubsub.Publisher{}}
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

// PublishStep sends a step message to the worker of its kind.
func (p *Publisher) PublishStep(ctx context.Context, kind content.Kind, env Envelope) error {
	topic := TopicFor(kind)
	if topic == "" {
		return fmt.Errorf("publish step %s: no topic for kind %q", env.Step, kind)
	}
	_, err := p.Publish(ctx, topic, env.Encode(), map[string]string{"job_id": env.JobID, "step": env.Step})
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
