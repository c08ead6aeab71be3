// Package deadletter is the CloudEvent function "DeadLetter", pushed every
// message that lands on a dead-letter topic: a step whose message Pub/Sub
// gave up on fails "dead_lettered", so its job still ends; anything else
// is recorded in rejected_messages.
package deadletter

import (
	"context"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, build))
}

func build(_ context.Context, env *setup.Env) (*Handler, error) {
	return New(env.Jobs(), env.Rejects()), nil
}
