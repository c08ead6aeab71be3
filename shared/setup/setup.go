// Package setup builds, once per instance, what a function runs on: the
// configuration, the Google Cloud clients, the store, the bucket, the
// publisher and the AI backends. Functions build their handler lazily
// through Lazy, so a failed build is retried by the next request instead
// of being cached.
package setup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/storage"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/blob"
	"contentfactory.dev/factory/shared/config"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/sources"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/shared/webhook"
)

// Env is everything a function's handler is built from.
type Env struct {
	Config    *config.Config
	Log       *slog.Logger
	Firestore *firestore.Client
	PubSub    *pubsub.Client
	Storage   *storage.Client
	Store     *store.Store
	Bucket    *blob.Bucket
	Publisher *queue.Publisher
}

// New builds an Env from a configuration.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Env, error) {
	e := &Env{Config: cfg, Log: log}
	var err error
	if e.Firestore, err = firestore.NewClient(ctx, cfg.Project); err != nil {
		return nil, fmt.Errorf("firestore client: %w", err)
	}
	if e.PubSub, err = pubsub.NewClient(ctx, cfg.Project); err != nil {
		e.Close()
		return nil, fmt.Errorf("pubsub client: %w", err)
	}
	signer := blob.Signer{GoogleAccessID: cfg.SigningAccount}
	if cfg.SigningKeyFile != "" {
		if signer.PrivateKey, err = os.ReadFile(cfg.SigningKeyFile); err != nil {
			e.Close()
			return nil, fmt.Errorf("read FACTORY_SIGNING_KEY_FILE: %w", err)
		}
	}
	if cfg.StorageEmulatorHost != "" {
		e.Storage, err = storage.NewClient(ctx, storage.WithJSONReads())
		signer.Host, signer.Insecure = cfg.StorageEmulatorHost, true
	} else {
		e.Storage, err = storage.NewClient(ctx)
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("storage client: %w", err)
	}
	e.Store = store.New(e.Firestore)
	e.Bucket = blob.New(e.Storage, cfg.Bucket, signer)
	e.Publisher = queue.NewPublisher(e.PubSub, cfg.TopicName, cfg.RegionTopicName).WithShards(cfg.PushShards)
	return e, nil
}

// Ports are the pipeline's ports over this environment.
func (e *Env) Ports() pipeline.Ports {
	return pipeline.Ports{Store: e.Store, Blobs: e.Bucket, Publisher: e.Publisher, Events: queue.JobEvents(e.Publisher), Results: e.Store}
}

// Rejects records, in the store, the messages a function acknowledges
// without processing them.
func (e *Env) Rejects() Rejects { return Rejects{e.Store} }

// Rejects records rejected messages in the store's rejected_messages.
type Rejects struct{ Store *store.Store }

// Reject records a message acknowledged without being processed, and why.
func (r Rejects) Reject(ctx context.Context, msg queue.Message, code, reason string, fields []content.FieldError) error {
	return r.Store.Reject(ctx, store.Rejection{
		MessageID: msg.ID, Topic: msg.Topic, Attributes: msg.Attributes, Data: string(msg.Data),
		Code: code, Reason: reason, Errors: fields,
	})
}

// Jobs returns the job service of this environment.
func (e *Env) Jobs() *pipeline.Jobs {
	return pipeline.NewJobs(e.Ports(), pipeline.JobsConfig{
		Region: e.Config.Region, Retention: e.Config.Retention, Deadline: e.Config.JobDeadline, ReviewTTL: e.Config.ReviewTTL,
		Estimate: e.Estimator(),
		Limits:   e.Config.Limits(),
		CacheKey: e.CacheKey(),
		CacheTTL: e.Config.CacheTTL,
		Screen:   guard.Screen,
	})
}

// Canary returns the derivation of job canaries of this deployment
// (FACTORY_CANARY_SECRET; production sets it on every function that
// generates text or images).
func (e *Env) Canary(ctx context.Context) guard.Canary {
	c := guard.NewCanary(e.Config.CanarySecret)
	if c.Local() && e.Config.StorageEmulatorHost == "" {
		e.Log.WarnContext(ctx, "FACTORY_CANARY_SECRET is unset: job canaries use the public local default secret; set it in production")
	}
	return c
}

// Links returns the guard that checks source links, and the test route
// of the local stack's test seam (FACTORY_TEST_LINKS; nil, and the
// system's resolver, everywhere else).
func (e *Env) Links() (*webhook.Guard, *webhook.TestRoute, error) {
	if e.Config.TestLinks == "" {
		return webhook.NewGuard(nil), nil, nil
	}
	l, err := webhook.ParseTestLinks(e.Config.TestLinks)
	if err != nil {
		return nil, nil, fmt.Errorf("FACTORY_TEST_LINKS: %w", err)
	}
	return webhook.NewGuard(l), l.Route, nil
}

// SourceChecker returns the check of a request's sources at submission.
func (e *Env) SourceChecker() (*sources.Checker, error) {
	g, _, err := e.Links()
	if err != nil {
		return nil, err
	}
	return &sources.Checker{Uploads: e.Store, Objects: e.Bucket, Links: g, Limits: e.Config.SourceLimits()}, nil
}

// IDTokens returns the verifier of Google ID tokens for an audience, or a
// verifier that accepts none when the audience is empty.
func (e *Env) IDTokens(ctx context.Context, audience string) (auth.IDTokens, error) {
	if audience == "" {
		return auth.IDTokens{}, nil
	}
	v, err := auth.NewGoogleValidator(ctx, nil)
	if err != nil {
		return auth.IDTokens{}, err
	}
	return auth.IDTokens{Validator: v, Audience: audience}, nil
}

// FromEnvironment loads the configuration and builds an Env with the
// process logger.
func FromEnvironment(ctx context.Context) (*Env, error) {
	log := logging.Default()
	cfg, err := config.Load(ctx)
	if err != nil {
		log.ErrorContext(ctx, "configuration is invalid", "error", err.Error())
		return nil, err
	}
	return New(ctx, cfg, log)
}

// Close releases the clients.
func (e *Env) Close() error {
	var errs []error
	if e.Publisher != nil {
		e.Publisher.Stop()
	}
	if e.PubSub != nil {
		errs = append(errs, e.PubSub.Close())
	}
	if e.Firestore != nil {
		errs = append(errs, e.Firestore.Close())
	}
	if e.Storage != nil {
		errs = append(errs, e.Storage.Close())
	}
	return errors.Join(errs...)
}

// Lazy builds a value on first use. A failed build is not kept: the next
// Get tries again.
type Lazy[T any] struct {
	build func(context.Context) (T, error)

	mu   sync.Mutex
	done bool
	v    T
}

// NewLazy returns a Lazy over a build function.
func NewLazy[T any](build func(context.Context) (T, error)) *Lazy[T] {
	return &Lazy[T]{build: build}
}

// Get returns the value, building it if it is not built yet.
func (l *Lazy[T]) Get(ctx context.Context) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.v, nil
	}
	// What is built outlives the request that happened to build it.
	v, err := l.build(context.WithoutCancel(ctx))
	if err != nil {
		var zero T
		return zero, err
	}
	l.v, l.done = v, true
	return v, nil
}
