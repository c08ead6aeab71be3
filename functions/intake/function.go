// Package intake is the CloudEvent function "Intake": content requests
// that other systems publish on the content-requests topic become jobs,
// with the same validation and job creation as the API.
package intake

import (
	"context"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
	"contentfactory.dev/factory/shared/webhook"
)

// Name is the function's entry point.
const Name = "Intake"

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, build))
}

func build(_ context.Context, env *setup.Env) (*Handler, error) {
	checker, err := env.SourceChecker()
	if err != nil {
		return nil, err
	}
	h := New(env.Jobs(), env.Rejects(), webhook.NewGuard(nil), checker)
	if voices, ok := env.Voices(); ok {
		h.WithVoices(voices)
	}
	return h, nil
}
