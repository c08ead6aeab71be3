package queue

import (
	"slices"
	"strconv"
	"time"

	"contentfactory.dev/factory/shared/content"
)

// Topic ids (per region in production, where each gets a region suffix
// from configuration).
const (
	TopicSources  = "source-steps"
	TopicText     = "text-steps"
	TopicImage    = "image-steps"
	TopicAudio    = "audio-steps"
	TopicAssemble = "assemble-steps"
	// TopicRequests carries content requests from other systems.
	TopicRequests = "content-requests"
	// TopicEvents carries job events for other systems.
	TopicEvents = "job-events"
)

// DeadLetterSuffix names a topic's dead-letter topic.
const DeadLetterSuffix = "-dead-letter"

// Function is one deployed function and what triggers it.
type Function struct {
	// Name is the entry point, as registered with the functions framework.
	Name string
	// Package is the folder under functions/ that holds it.
	Package string
	// Topic is the topic that triggers it; empty for HTTP functions.
	Topic string
	// DeadLetters: it is triggered by every dead-letter topic instead.
	DeadLetters bool
	// Timeout bounds one invocation.
	Timeout time.Duration
}

// Functions lists every function of the factory. The local stack serves
// each of them, and Terraform must deploy each of them.
var Functions = []Function{
	{Name: "API", Package: "api", Timeout: 60 * time.Second},
	{Name: "Intake", Package: "intake", Topic: TopicRequests, Timeout: 60 * time.Second},
	{Name: "ReadSources", Package: "sources", Topic: TopicSources, Timeout: 300 * time.Second},
	{Name: "GenerateText", Package: "text", Topic: TopicText, Timeout: 300 * time.Second},
	{Name: "GenerateImage", Package: "image", Topic: TopicImage, Timeout: 300 * time.Second},
	{Name: "SynthesizeAudio", Package: "audio", Topic: TopicAudio, Timeout: 540 * time.Second},
	{Name: "AssembleJob", Package: "assemble", Topic: TopicAssemble, Timeout: 300 * time.Second},
	{Name: "NotifyJob", Package: "notify", Topic: TopicEvents, Timeout: 60 * time.Second},
	{Name: "DeadLetter", Package: "deadletter", DeadLetters: true, Timeout: 60 * time.Second},
	{Name: "Sweep", Package: "sweep", Timeout: 300 * time.Second},
}

// ShardTopic names shard i of a step topic: with FACTORY_PUSH_SHARDS above
// one (the local stack only), step messages are spread over that many
// topics, each pushed to the function by its own subscription, because the
// Pub/Sub emulator pushes at most two messages at a time per subscription
// (NUM_CONCURRENT_PUSH_REQUESTS) and would run a job's seven derived
// formats two at a time. Deployments use one topic per kind: Pub/Sub
// pushes as many as the function takes.
func ShardTopic(topic string, i int) string { return topic + "-s" + strconv.Itoa(i) }

// Event reports whether the function is triggered by Pub/Sub.
func (f Function) Event() bool { return f.Topic != "" || f.DeadLetters }

// TopicFor returns the topic of a step kind.
func TopicFor(k content.Kind) string {
	switch k {
	case content.KindSources:
		return TopicSources
	case content.KindText:
		return TopicText
	case content.KindImage:
		return TopicImage
	case content.KindAudio:
		return TopicAudio
	case content.KindAssemble:
		return TopicAssemble
	}
	return ""
}

// IsStepTopic reports whether a topic carries step messages: the topic of
// a step kind.
func IsStepTopic(topic string) bool {
	for _, k := range content.Kinds() {
		if TopicFor(k) == topic {
			return true
		}
	}
	return false
}

// Subscription is a push subscription that delivers a topic to a function.
type Subscription struct {
	Name     string
	Topic    string
	Function string
	// AckDeadline is above the function's timeout, so a slow run is not
	// delivered a second time while it is still working.
	AckDeadline time.Duration
	// MinBackoff and MaxBackoff bound the redelivery delay after a nack.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// MaxDeliveryAttempts moves a message to DeadLetterTopic after that
	// many failed deliveries.
	MaxDeliveryAttempts int
	DeadLetterTopic     string
}

// Retry settings of every push subscription.
const (
	MinBackoff          = 10 * time.Second
	MaxBackoff          = 600 * time.Second
	MaxDeliveryAttempts = 10
	maxAckDeadline      = 600 * time.Second
)

// Subscriptions returns the push subscriptions of the event functions:
// one per worker topic, each with a dead-letter topic, then one per
// dead-letter topic for the function that settles what lands there (with
// no dead-letter topic of its own: a separate pull subscription keeps
// every dead letter). Names maps a topic id to its deployed name (identity
// when nil).
func Subscriptions(names func(string) string) []Subscription {
	if names == nil {
		names = func(s string) string { return s }
	}
	var subs, dead []Subscription
	for _, f := range Functions {
		if f.Topic == "" {
			continue
		}
		topic := names(f.Topic)
		subs = append(subs, Subscription{
			Name:                topic + "-push",
			Topic:               topic,
			Function:            f.Name,
			AckDeadline:         min(f.Timeout+60*time.Second, maxAckDeadline),
			MinBackoff:          MinBackoff,
			MaxBackoff:          MaxBackoff,
			MaxDeliveryAttempts: MaxDeliveryAttempts,
			DeadLetterTopic:     topic + DeadLetterSuffix,
		})
	}
	for _, f := range Functions {
		if !f.DeadLetters {
			continue
		}
		for _, s := range subs {
			dead = append(dead, Subscription{
				Name:        s.DeadLetterTopic + "-push",
				Topic:       s.DeadLetterTopic,
				Function:    f.Name,
				AckDeadline: min(f.Timeout+60*time.Second, maxAckDeadline),
				MinBackoff:  MinBackoff,
				MaxBackoff:  MaxBackoff,
			})
		}
	}
	return append(subs, dead...)
}

// HoldSubscription names the pull subscription that keeps a copy of every
// message of a topic nobody else must lose (dead letters, job events).
func HoldSubscription(topic string) string { return topic + "-hold" }

// Topics returns every topic id the factory uses, dead-letter topics
// included.
func Topics(names func(string) string) []string {
	if names == nil {
		names = func(s string) string { return s }
	}
	out := []string{names(TopicEvents)}
	for _, s := range Subscriptions(names) {
		if s.DeadLetterTopic != "" {
			out = append(out, s.Topic, s.DeadLetterTopic)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
