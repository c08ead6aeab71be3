package queue

import (
	"time"

	"contentfactory.dev/factory/shared/content"
)

// Topic ids (per region in production, where each gets a region suffix
// from configuration).
const (
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
	// Timeout bounds one invocation.
	Timeout time.Duration
}

// Functions lists every function of the factory. The local stack serves
// each of them, and Terraform must deploy each of them.
var Functions = []Function{
	{Name: "API", Package: "api", Timeout: 60 * time.Second},
	{Name: "Intake", Package: "intake", Topic: TopicRequests, Timeout: 60 * time.Second},
	{Name: "GenerateText", Package: "text", Topic: TopicText, Timeout: 300 * time.Second},
	{Name: "GenerateImage", Package: "image", Topic: TopicImage, Timeout: 300 * time.Second},
	{Name: "SynthesizeAudio", Package: "audio", Topic: TopicAudio, Timeout: 540 * time.Second},
	{Name: "AssembleJob", Package: "assemble", Topic: TopicAssemble, Timeout: 300 * time.Second},
}

// TopicFor returns the topic of a step kind.
func TopicFor(k content.Kind) string {
	switch k {
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

// Subscriptions returns the push subscription of every event function.
// Names maps a topic id to its deployed name (identity when nil).
func Subscriptions(names func(string) string) []Subscription {
	if names == nil {
		names = func(s string) string { return s }
	}
	var subs []Subscription
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
	return subs
}

// Topics returns every topic id the factory uses, dead-letter topics
// included.
func Topics(names func(string) string) []string {
	if names == nil {
		names = func(s string) string { return s }
	}
	out := []string{names(TopicEvents)}
	for _, s := range Subscriptions(names) {
		out = append(out, s.Topic, s.DeadLetterTopic)
	}
	return out
}
