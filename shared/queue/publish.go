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
	client   *pubsub.Client
	names    func(string) string
	inRegion func(id, region string) string
	// shards spreads step messages over ShardTopic topics (local stack).
	shards int

	mu   sync.Mutex
	pubs map[string]*pubsub.Publisher
}

// NewPublisher returns a publisher over a client. names maps a topic id to
// its deployed name in this region (nil: identity); inRegion maps it to
// its name in a region (nil: every region is this one).
func NewPublisher(client *pubsub.Client, names func(string) string, inRegion func(id, region string) string) *Publisher {
	if names == nil {
		names = func(s string) string { return s }
	}
	if inRegion == nil {
		inRegion = func(id, _ string) string { return names(id) }
	}
	return &Publisher{client: client, names: names, inRegion: inRegion, shards: 1, pubs: map[string]*pubsub.Publisher{}}
}

// WithShards spreads step messages over n topics per kind (ShardTopic),
// by job, step and version; n of 1 or less publishes to the kind's topic.
func (p *Publisher) WithShards(n int) *Publisher {
	p.shards = max(n, 1)
	return p
}

func (p *Publisher) publisher(name string) *pubsub.Publisher {
	p.mu.Lock()
	defer p.mu.Unlock()
	pub, ok := p.pubs[name]
	if !ok {
		pub = p.client.Publisher(name)
		p.pubs[name] = pub
	}
	return pub
}

// Publish sends one message on a topic of this region and waits until the
// service has it. The context's trace is carried in the traceparent
// attribute.
func (p *Publisher) Publish(ctx context.Context, topic string, data []byte, attrs map[string]string) (string, error) {
	return p.publish(ctx, p.names(topic), data, attrs)
}

func (p *Publisher) publish(ctx context.Context, name string, data []byte, attrs map[string]string) (string, error) {
	all := TraceCarrier(ctx)
	for k, v := range attrs {
		all[k] = v
	}
	id, err := p.publisher(name).Publish(ctx, &pubsub.Message{Data: data, Attributes: all}).Get(ctx)
	if err != nil {
		return "", fmt.Errorf("publish to %s: %w", name, err)
	}
	return id, nil
}

var _ pipeline.Publisher = (*Publisher)(nil)

// shardOf is the shard of a step message among n: the job and version
// pick where a job's steps start, and each step goes that many shards
// further as it comes in the generation order (content.Formats), so the
// steps a job publishes at once land on different shards, two at most on
// one when a kind has more steps than shards. (A hash of each step could
// put three of a job's derived formats on one shard, whose third then
// waited for one of the others to end: a stall of a whole model call.)
func shardOf(msg pipeline.StepMessage, n int) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", msg.JobID, msg.Version)
	return int((h.Sum32() + uint32(max(content.Order(msg.Step), 0))) % uint32(n))
}

// PublishStep implements pipeline.Publisher: it sends a step message to
// the worker of its kind in the message's region (this one when it names
// none).
func (p *Publisher) PublishStep(ctx context.Context, kind content.Kind, msg pipeline.StepMessage) error {
	topic := TopicFor(kind)
	if topic == "" {
		return fmt.Errorf("publish step %s: no topic for kind %q", msg.Step, kind)
	}
	if p.shards > 1 {
		topic = ShardTopic(topic, shardOf(msg, p.shards))
	}
	name := p.names(topic)
	if msg.Region != "" {
		name = p.inRegion(topic, msg.Region)
	}
	env := EnvelopeOf(msg)
	_, err := p.publish(ctx, name, env.Encode(), map[string]string{"job_id": env.JobID, "step": env.Step})
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
