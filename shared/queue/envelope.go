// Package queue carries the factory's messages over Pub/Sub: it is the
// adapter of the pipeline's Publisher and Events ports, and of step
// deliveries. It holds the step envelope, publishing with trace
// propagation, job events on job-events, decoding push deliveries that
// reach functions as CloudEvents (StepHandler runs the step they ask for),
// and the topology of topics and subscriptions that the local stack
// creates and Terraform deploys.
package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
)

// Version is the envelope version this code writes.
const Version = 1

// Envelope is the body of a step message.
type Envelope struct {
	V       int    `json:"v"`
	JobID   string `json:"job_id"`
	Step    string `json:"step"`
	Version int    `json:"version,omitempty"`
	Attempt int    `json:"attempt"`
	Region  string `json:"region,omitempty"`
}

// ErrPoison marks a message that can never be processed: it is acknowledged
// and recorded, never retried.
var ErrPoison = errors.New("poison message")

var (
	jobIDPattern = regexp.MustCompile(`^[a-z0-9]{8,64}$`)
	stepPattern  = regexp.MustCompile(`^[a-z_]{1,40}$`)
)

// DecodeEnvelope parses and checks a step message body.
func DecodeEnvelope(data []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: envelope is not JSON: %v", ErrPoison, err)
	}
	switch {
	case e.V != Version:
		return Envelope{}, fmt.Errorf("%w: envelope version %d, want %d", ErrPoison, e.V, Version)
	case !jobIDPattern.MatchString(e.JobID):
		return Envelope{}, fmt.Errorf("%w: bad job_id %q", ErrPoison, e.JobID)
	case !stepPattern.MatchString(e.Step):
		return Envelope{}, fmt.Errorf("%w: bad step %q", ErrPoison, e.Step)
	case e.Attempt < 0 || e.Version < 0:
		return Envelope{}, fmt.Errorf("%w: negative attempt or version", ErrPoison)
	}
	return e, nil
}

// EnvelopeOf is the envelope of a step message.
func EnvelopeOf(m pipeline.StepMessage) Envelope {
	return Envelope{V: Version, JobID: m.JobID, Step: string(m.Step), Version: m.Version, Attempt: m.Attempt, Region: m.Region}
}

// Message is the step message an envelope carries.
func (e Envelope) Message() pipeline.StepMessage {
	return pipeline.StepMessage{JobID: e.JobID, Step: content.Format(e.Step), Version: e.Version, Attempt: e.Attempt, Region: e.Region}
}

// Encode returns the message body of an envelope.
func (e Envelope) Encode() []byte {
	if e.V == 0 {
		e.V = Version
	}
	b, _ := json.Marshal(e)
	return b
}
