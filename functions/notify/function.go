// Package notify is the CloudEvent function "NotifyJob": every job event
// on the job-events topic is delivered, signed, to the callback URL the
// job's request named, through a client that refuses private networks
// (see shared/webhook and docs/webhooks.md).
package notify

import (
	"context"
	"fmt"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
	"contentfactory.dev/factory/shared/webhook"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, build))
}

func build(_ context.Context, env *setup.Env) (*Handler, error) {
	secret := env.Config.WebhookSecret // FACTORY_WEBHOOK_SECRET; empty: webhooks are off
	if secret == "" {
		return New(env.Store, env.Rejects(), nil), nil
	}
	keys, err := webhook.ParseSecrets(secret)
	if err != nil {
		return nil, fmt.Errorf("FACTORY_WEBHOOK_SECRET: %w", err)
	}
	client, err := webhook.NewClient(webhook.NewGuard(nil), keys, webhook.Options{})
	if err != nil {
		return nil, err
	}
	return New(env.Store, env.Rejects(), client), nil
}
