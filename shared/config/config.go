// Package config reads a function's configuration from its environment.
// Every setting has a documented default where one is safe; Validate
// reports every problem at once, naming the variable to set.
package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/quality"
	"contentfactory.dev/factory/shared/ratelimit"
	"contentfactory.dev/factory/shared/webhook"
)

// Config is the configuration every function reads.
type Config struct {
	// Project is the Google Cloud project.
	Project string `env:"GOOGLE_CLOUD_PROJECT"`
	// Region is the region this instance runs in; jobs it creates live
	// there ("local" on one machine).
	Region string `env:"FACTORY_REGION, default=local"`
	// Bucket holds the artifacts.
	Bucket string `env:"FACTORY_BUCKET"`
	// AI selects the backends: "offline" (deterministic, no network) or
	// "vertex" (Gemini on Vertex AI and Cloud Text-to-Speech).
	AI string `env:"FACTORY_AI, default=offline"`
	// TopicSuffix is appended to every topic id of this region (per-region
	// topics in production, such as "-europe-west1"; other regions' topics
	// end in "-<region>", see RegionTopicName).
	TopicSuffix string `env:"FACTORY_TOPIC_SUFFIX"`
	// PublicURL is the API's base URL for links; empty: the request's host.
	PublicURL string `env:"FACTORY_PUBLIC_URL"`
	// Retention is how long jobs and artifacts are kept.
	Retention time.Duration `env:"FACTORY_RETENTION, default=720h"`
	// JobDeadline is how long a job may run before the sweep ends it.
	JobDeadline time.Duration `env:"FACTORY_JOB_DEADLINE, default=2h"`
	// ReviewTTL is how long a job paused for the review of its outline
	// waits for approval before it ends expired.
	ReviewTTL time.Duration `env:"FACTORY_REVIEW_TTL, default=168h"`
	// CacheTTL is how long a job's results may answer the same request
	// again (0: never).
	CacheTTL time.Duration `env:"FACTORY_CACHE_TTL, default=24h"`
	// SweepStale is how long a step may sit queued, or a job's event
	// unpublished, before the sweep publishes it again.
	SweepStale time.Duration `env:"FACTORY_SWEEP_STALE, default=10m"`
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64 `env:"FACTORY_MAX_BODY_BYTES, default=1048576"`
	// MaxSources bounds how many sources a request may name (source_text
	// counts as one).
	MaxSources int `env:"FACTORY_MAX_SOURCES, default=10"`
	// MaxSourceBytes bounds the bytes of one job's sources together: its
	// texts, the declared sizes of its uploads and the pages its links
	// fetch; and the size of one upload.
	MaxSourceBytes int64 `env:"FACTORY_MAX_SOURCE_BYTES, default=26214400"`
	// MaxSourceChars bounds the characters of text a job's sources yield
	// together, once extracted.
	MaxSourceChars int `env:"FACTORY_MAX_SOURCE_CHARS, default=500000"`
	// UploadTTL is how long an upload may be used by jobs before the sweep
	// deletes it.
	UploadTTL time.Duration `env:"FACTORY_UPLOAD_TTL, default=24h"`
	// URLTTL is how long a download link is valid (at most 15 minutes).
	URLTTL time.Duration `env:"FACTORY_URL_TTL, default=10m"`
	// MaxAttempts fails a step after that many claims.
	MaxAttempts int `env:"FACTORY_MAX_ATTEMPTS, default=5"`
	// MaxRepairs bounds how often an invalid model answer is sent back.
	MaxRepairs int `env:"FACTORY_MAX_REPAIRS, default=2"`
	// QualityThresholds are the quality scores under which a text
	// document is sent back and then flagged: "0.6", or per format
	// "default=0.6,flashcards=0.7" (quality.ParseThresholds); empty: 0.6.
	QualityThresholds string `env:"FACTORY_QUALITY_THRESHOLDS"`
	// StepTimeout bounds one run of a step (default: the function's timeout
	// less a margin); the step's lease is it plus LeaseMargin.
	StepTimeout time.Duration `env:"FACTORY_STEP_TIMEOUT"`
	// PushShards spreads step messages over that many topics per kind, for
	// the local stack only (see queue.ShardTopic).
	PushShards int `env:"FACTORY_PUSH_SHARDS, default=1"`
	// ChaosCrashAfterCall is a fault-injection knob for soak tests: the
	// probability that a worker exits right after its model call, before
	// storing the result. Never set it in production.
	ChaosCrashAfterCall float64 `env:"FACTORY_CHAOS_CRASH_AFTER_CALL"`
	// LeaseMargin is added to a function's timeout to make a step lease.
	LeaseMargin time.Duration `env:"FACTORY_LEASE_MARGIN, default=30s"`
	// RatePerMinute and Burst make each owner's token bucket on job
	// creation (0 turns every limit off).
	RatePerMinute float64 `env:"FACTORY_RATE_PER_MINUTE, default=30"`
	Burst         int     `env:"FACTORY_BURST, default=10"`
	// MaxRunning caps an owner's jobs that have not ended (0: no cap).
	MaxRunning int `env:"FACTORY_MAX_RUNNING, default=20"`
	// DailyBudgetUSD caps an owner's estimated spending per UTC day (0: no cap).
	DailyBudgetUSD float64 `env:"FACTORY_DAILY_BUDGET_USD, default=25"`
	// KeyCacheTTL is how long an instance trusts a looked-up API key: a
	// revoked key stops working within it.
	KeyCacheTTL time.Duration `env:"FACTORY_KEY_CACHE_TTL, default=30s"`
	// MaxStreams caps the job event streams one API instance serves at
	// once; beyond it a stream is refused (503 too_many_streams). Keep it
	// under the instance's request concurrency.
	MaxStreams int `env:"FACTORY_MAX_STREAMS, default=50"`
	// CORSOrigins may call the API from browsers (comma-separated; empty:
	// none).
	CORSOrigins []string `env:"FACTORY_CORS_ORIGINS"`
	// IDTokenAudience, when set, makes the API accept Google-signed ID
	// tokens for this audience (the owner is the token's subject).
	IDTokenAudience string `env:"FACTORY_ID_TOKEN_AUDIENCE"`
	// SweepAudience and SweepInvokers, when set, make the sweep accept only
	// ID tokens for that audience from those service accounts (Cloud
	// Scheduler's identity).
	SweepAudience string   `env:"FACTORY_SWEEP_AUDIENCE"`
	SweepInvokers []string `env:"FACTORY_SWEEP_INVOKERS"`
	// CanarySecret keys the canary planted in every model instruction of a
	// job (from Secret Manager in production); unset, a fixed public
	// default is used, fine on a development machine only.
	CanarySecret string `env:"FACTORY_CANARY_SECRET"`
	// WebhookSecret signs the job events delivered to callback URLs (from
	// Secret Manager in production): Standard Webhooks secrets
	// ("whsec_<base64>" of a 24 to 64 byte key), space-separated, each of
	// which signs every delivery; empty disables webhooks.
	WebhookSecret string `env:"FACTORY_WEBHOOK_SECRET"`
	// SigningKeyFile and SigningAccount sign download URLs with a key;
	// unset on Google Cloud, where the service account signs through IAM.
	SigningKeyFile string `env:"FACTORY_SIGNING_KEY_FILE"`
	SigningAccount string `env:"FACTORY_SIGNING_ACCOUNT"`
	// Espeak is the espeak-ng binary of the offline speech backend.
	Espeak string `env:"FACTORY_ESPEAK, default=espeak-ng"`
	// Lame is the lame binary that encodes the offline podcast as MP3.
	Lame string `env:"FACTORY_LAME, default=lame"`
	// TestLinks is a test seam of the local stack (webhook.TestLinks):
	// one host name resolves to a public address whose connections go to a
	// local TLS server. Refused unless StorageEmulatorHost is set; never
	// set in production.
	TestLinks string `env:"FACTORY_TEST_LINKS"`
	// StorageEmulatorHost points storage at fake-gcs-server (host:port).
	StorageEmulatorHost string `env:"STORAGE_EMULATOR_HOST"`
}

// Load reads the configuration from the environment and validates it.
func Load(ctx context.Context) (*Config, error) {
	var c Config
	if err := envconfig.Process(ctx, &c); err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	if c.Project == "" {
		c.Project = os.Getenv("GCLOUD_PROJECT")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports every problem with the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Project == "" {
		errs = append(errs, errors.New("GOOGLE_CLOUD_PROJECT is required"))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("FACTORY_BUCKET is required"))
	}
	if c.AI != "offline" && c.AI != "vertex" {
		errs = append(errs, fmt.Errorf("FACTORY_AI must be offline or vertex, not %q", c.AI))
	}
	if c.Retention < 24*time.Hour {
		errs = append(errs, errors.New("FACTORY_RETENTION must be at least 24h (idempotency keys live as long as their jobs)"))
	}
	if c.JobDeadline < time.Minute {
		errs = append(errs, errors.New("FACTORY_JOB_DEADLINE must be at least 1m"))
	}
	if c.ReviewTTL < time.Minute {
		errs = append(errs, errors.New("FACTORY_REVIEW_TTL must be at least 1m"))
	}
	if c.CacheTTL < 0 || c.CacheTTL > c.Retention {
		errs = append(errs, errors.New("FACTORY_CACHE_TTL must be between 0 and FACTORY_RETENTION"))
	}
	if c.SweepStale < time.Second {
		errs = append(errs, errors.New("FACTORY_SWEEP_STALE must be at least 1s"))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 32<<20 {
		errs = append(errs, errors.New("FACTORY_MAX_BODY_BYTES must be between 1024 and 33554432"))
	}
	if c.MaxSources < 1 || c.MaxSources > 100 {
		errs = append(errs, errors.New("FACTORY_MAX_SOURCES must be between 1 and 100"))
	}
	if c.MaxSourceBytes < 1024 || c.MaxSourceBytes > 1<<30 {
		errs = append(errs, errors.New("FACTORY_MAX_SOURCE_BYTES must be between 1024 and 1073741824"))
	}
	if c.MaxSourceChars < 1000 || c.MaxSourceChars > 10_000_000 {
		errs = append(errs, errors.New("FACTORY_MAX_SOURCE_CHARS must be between 1000 and 10000000"))
	}
	if c.UploadTTL < time.Hour || c.UploadTTL > 30*24*time.Hour {
		errs = append(errs, errors.New("FACTORY_UPLOAD_TTL must be between 1h and 720h"))
	}
	if c.URLTTL <= 0 || c.URLTTL > 15*time.Minute {
		errs = append(errs, errors.New("FACTORY_URL_TTL must be more than 0 and at most 15m"))
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		errs = append(errs, errors.New("FACTORY_MAX_ATTEMPTS must be between 1 and 100"))
	}
	if c.PushShards < 1 || c.PushShards > 32 {
		errs = append(errs, errors.New("FACTORY_PUSH_SHARDS must be between 1 and 32"))
	}
	if c.StepTimeout < 0 {
		errs = append(errs, errors.New("FACTORY_STEP_TIMEOUT must not be negative"))
	}
	if c.ChaosCrashAfterCall < 0 || c.ChaosCrashAfterCall > 0.5 {
		errs = append(errs, errors.New("FACTORY_CHAOS_CRASH_AFTER_CALL must be between 0 and 0.5"))
	}
	if c.MaxRepairs < 0 || c.MaxRepairs > 5 {
		errs = append(errs, errors.New("FACTORY_MAX_REPAIRS must be between 0 and 5"))
	}
	if _, err := quality.ParseThresholds(c.QualityThresholds); err != nil {
		errs = append(errs, fmt.Errorf("FACTORY_QUALITY_THRESHOLDS: %w", err))
	}
	if c.RatePerMinute < 0 || c.Burst < 0 || c.MaxRunning < 0 || c.DailyBudgetUSD < 0 {
		errs = append(errs, errors.New("FACTORY_RATE_PER_MINUTE, FACTORY_BURST, FACTORY_MAX_RUNNING and FACTORY_DAILY_BUDGET_USD must not be negative"))
	}
	if c.RatePerMinute > 0 && c.Burst < 1 {
		errs = append(errs, errors.New("FACTORY_BURST must be at least 1 when FACTORY_RATE_PER_MINUTE is set"))
	}
	if c.WebhookSecret != "" {
		if _, err := webhook.ParseSecrets(c.WebhookSecret); err != nil {
			errs = append(errs, fmt.Errorf("FACTORY_WEBHOOK_SECRET holds whsec_<base64> secrets, space-separated: %w", err))
		}
	}
	if (c.SweepAudience == "") != (len(c.SweepInvokers) == 0) {
		errs = append(errs, errors.New("FACTORY_SWEEP_AUDIENCE and FACTORY_SWEEP_INVOKERS go together"))
	}
	if (c.SigningKeyFile == "") != (c.SigningAccount == "") {
		errs = append(errs, errors.New("FACTORY_SIGNING_KEY_FILE and FACTORY_SIGNING_ACCOUNT go together"))
	}
	if c.TestLinks != "" && c.StorageEmulatorHost == "" {
		errs = append(errs, errors.New("FACTORY_TEST_LINKS is a test seam of the local stack: it needs STORAGE_EMULATOR_HOST, and is never set in production"))
	}
	if strings.ContainsAny(c.TopicSuffix, "/ ") {
		errs = append(errs, errors.New("FACTORY_TOPIC_SUFFIX must not contain / or spaces"))
	}
	return errors.Join(errs...)
}

// Limits is the policy every owner gets.
func (c *Config) Limits() ratelimit.Policy {
	return ratelimit.Policy{Rate: c.RatePerMinute / 60, Burst: c.Burst, MaxRunning: c.MaxRunning, DailyBudgetUSD: c.DailyBudgetUSD}
}

// SourceLimits are the limits on a job's sources.
func (c *Config) SourceLimits() content.SourceLimits {
	return content.SourceLimits{MaxSources: c.MaxSources, MaxBytes: c.MaxSourceBytes, MaxChars: c.MaxSourceChars}
}

// TopicName maps a topic id to its deployed name in this region.
func (c *Config) TopicName(id string) string { return id + c.TopicSuffix }

// RegionTopicName maps a topic id to its deployed name in a region: this
// region's own (FACTORY_TOPIC_SUFFIX), or another's, whose topics end in
// "-<region>" (as Terraform names them, and the local stack's regions).
func (c *Config) RegionTopicName(id, region string) string {
	if region == "" || region == c.Region {
		return c.TopicName(id)
	}
	return id + "-" + region
}
