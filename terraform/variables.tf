variable "project_id" {
  description = "The Google Cloud project everything is deployed into (one project per environment)."
  type        = string
}

variable "project_number" {
  description = "The project's number; null looks it up from project_id."
  type        = string
  default     = null
}

variable "environment" {
  description = "The environment's name: dev, staging or prod. It labels resources and names dashboards and alerts."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "regions" {
  description = "Regions every function runs in. Each region is a cell with its own topics and its own sweep; the first one is the canary of a deployment."
  type        = list(string)
  default     = ["us-central1"]

  validation {
    condition     = length(var.regions) > 0 && length(var.regions) == length(distinct(var.regions))
    error_message = "regions must name at least one region, each once."
  }
}

variable "drained_regions" {
  description = "Regions of var.regions the load balancer sends no API requests to (a failing region); they keep running and finish their jobs."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.drained_regions : contains(var.regions, r)]) && length(var.drained_regions) < length(var.regions)
    error_message = "drained_regions must be regions of var.regions, and at least one region must keep serving."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database: a multi-region (nam5, eur3) so that every region reads and writes the same jobs."
  type        = string
  default     = "nam5"
}

variable "bucket_location" {
  description = "Location of the artifact and source buckets: a multi-region (US, EU, ASIA), a predefined dual-region (NAM4, EUR4) or, with bucket_data_locations, the multi-region holding a custom dual-region."
  type        = string
  default     = "US"
}

variable "bucket_data_locations" {
  description = "Two regions of a configurable dual-region artifact bucket (such as [\"US-CENTRAL1\", \"US-EAST1\"]); empty for the location alone."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.bucket_data_locations) == 0 || length(var.bucket_data_locations) == 2
    error_message = "bucket_data_locations holds no region or two."
  }
}

variable "api_domain" {
  description = "The API's public host name (such as factory.example.com). Its DNS A record must point at the api_ip_address output for the managed certificate to be issued."
  type        = string
}

variable "cors_origins" {
  description = "Origins of web apps, other than the API's own https://api_domain (which serves the bundled web app and is always allowed on the bucket), that may call the API from browsers (FACTORY_CORS_ORIGINS) and read artifacts from the bucket with signed URLs."
  type        = list(string)
  default     = []
}

variable "name_prefix" {
  description = "Prefix of function (Cloud Run service) names."
  type        = string
  default     = "factory"
}

variable "build_dir" {
  description = "Folder holding the staged function zips (make stage); null means ../.build next to this configuration."
  type        = string
  default     = null
}

variable "ai_backend" {
  description = "FACTORY_AI of every function: vertex (Gemini on Vertex AI and Cloud Text-to-Speech) or offline (deterministic, no model calls; speech needs espeak-ng, which the runtime image lacks)."
  type        = string
  default     = "vertex"

  validation {
    condition     = contains(["vertex", "offline"], var.ai_backend)
    error_message = "ai_backend must be vertex or offline."
  }
}

variable "models" {
  description = "Model IDs the functions use (configuration, not code: models retire)."
  type = object({
    text            = optional(string, "gemini-3.8-flash")
    image           = optional(string, "gemini-3.1-flash-image")
    vertex_location = optional(string, "global")
    # JSON merged over the models configuration (docs/models.md), such as
    # text backends and fallback chains:
    # {"text": {"default": {"fallback": [{"backend": "claude", "model": "claude-sonnet-4-5@20250929"}]}}}
    overrides = optional(string)
  })
  default = {}
}

variable "limits" {
  description = "Limits the functions enforce (see shared/config)."
  # Defaults are the code's (shared/config; test/deploy compares them).
  type = object({
    retention_days = optional(number, 30)
    max_body_bytes = optional(number, 1048576)
    url_ttl        = optional(string, "10m")
    max_attempts   = optional(number, 5)
    max_repairs    = optional(number, 2)
    lease_margin   = optional(string, "30s")
    # Per owner: a token bucket on job creation, a cap on jobs not ended,
    # a daily spending cap (0 turns a limit off).
    rate_per_minute  = optional(number, 30)
    burst            = optional(number, 10)
    max_running      = optional(number, 20)
    daily_budget_usd = optional(number, 25)
    # A job's sources: how many a request may name, their bytes together
    # (and the size of one upload), their characters of text once
    # extracted; how long an upload may be used before it is deleted.
    max_sources      = optional(number, 10)
    max_source_bytes = optional(number, 26214400)
    max_source_chars = optional(number, 500000)
    upload_ttl       = optional(string, "24h")
    # Unset unless given, so the code's defaults apply: how long a job may
    # run (2h), how long a step may sit queued or a job event unpublished
    # before the sweep publishes it again (10m), how long a job awaits the
    # approval of its outline (168h), how long a job's results answer the
    # same request again (24h; "0s" turns the result cache off), how long
    # an instance trusts a looked-up API key (30s: a revoked key stops
    # working within it).
    job_deadline  = optional(string)
    sweep_stale   = optional(string)
    review_ttl    = optional(string)
    cache_ttl     = optional(string)
    key_cache_ttl = optional(string)
  })
  default = {}

  validation {
    condition     = var.limits.retention_days >= 1
    error_message = "limits.retention_days must be at least 1."
  }

  validation {
    condition     = var.limits.rate_per_minute >= 0 && var.limits.burst >= 0 && var.limits.max_running >= 0 && var.limits.daily_budget_usd >= 0
    error_message = "limits.rate_per_minute, burst, max_running and daily_budget_usd must not be negative (0 turns a limit off)."
  }

  validation {
    condition     = var.limits.rate_per_minute == 0 || var.limits.burst >= 1
    error_message = "limits.burst must be at least 1 when limits.rate_per_minute is set."
  }
}

variable "id_token_audience" {
  description = "Audience of the Google-signed ID tokens the API accepts besides API keys (FACTORY_ID_TOKEN_AUDIENCE; the owner is the token's subject), normally the API's public URL https://api_domain; null: API keys only."
  type        = string
  default     = null

  validation {
    condition     = var.id_token_audience == null || try(length(trimspace(var.id_token_audience)) > 0, false)
    error_message = "id_token_audience must be null or a non-empty audience such as https://factory.example.com."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function: debug, info, warn or error."
  type        = string
  default     = "info"
}

variable "traces" {
  description = "FACTORY_TRACES of every function: otlp exports the spans (one trace per job) to Cloud Trace through telemetry.googleapis.com; none keeps them in process, where their ids still correlate the log lines."
  type        = string
  default     = "otlp"

  validation {
    condition     = contains(["otlp", "none"], var.traces)
    error_message = "traces must be otlp or none."
  }
}

variable "metrics" {
  description = "FACTORY_METRICS of every function: otlp exports the factory's OpenTelemetry metrics (shared/telemetry) to Cloud Monitoring through telemetry.googleapis.com, where the dashboard, the SLOs and the alerts read them; none records none."
  type        = string
  default     = "otlp"

  validation {
    condition     = contains(["otlp", "none"], var.metrics)
    error_message = "metrics must be otlp or none."
  }
}

variable "function_overrides" {
  description = "Per-function sizing that replaces the defaults of functions.tf, keyed by entry point (API, GenerateText, …)."
  type = map(object({
    memory        = optional(string)
    cpu           = optional(string)
    concurrency   = optional(number)
    min_instances = optional(number)
    max_instances = optional(number)
  }))
  default = {}
}

variable "request_publishers" {
  description = "Members (such as serviceAccount:x@other.iam.gserviceaccount.com) allowed to publish content requests on the content-requests topics."
  type        = list(string)
  default     = []
}

variable "event_subscribers" {
  description = "Members allowed to attach subscriptions to the job-events topics."
  type        = list(string)
  default     = []
}

variable "sweep_every_minutes" {
  description = "Cloud Scheduler calls Sweep in every region every this many minutes, region i at minute i of the period (one sweep runs at a time, under a Firestore lease)."
  type        = number
  default     = 5

  validation {
    condition     = var.sweep_every_minutes >= 1 && var.sweep_every_minutes <= 30 && floor(var.sweep_every_minutes) == var.sweep_every_minutes
    error_message = "sweep_every_minutes is a whole number of minutes from 1 to 30."
  }
}

variable "rate_limit_per_minute" {
  description = "Requests one client IP may send to the API per minute before Cloud Armor answers 429."
  type        = number
  default     = 300
}

variable "waf_preview" {
  description = "Run the preconfigured WAF rules in preview (log only) instead of deny, for tuning."
  type        = bool
  default     = false
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channels (projects/P/notificationChannels/ID) that alerts and the budget notify."
  type        = list(string)
  default     = []
}

variable "alert_thresholds" {
  description = "When alerts fire (API availability and job completion time alert through their SLOs, var.slos)."
  type = object({
    job_failure_ratio   = optional(number, 0.2)
    api_latency_p95_ms  = optional(number, 2000)
    backlog_age_seconds = optional(number, 900)
    daily_cost_usd      = optional(number, 50)
  })
  default = {}
}

variable "slos" {
  description = "The service level objectives (monitoring.tf), over a rolling period of period_days: the share of API requests not answered 5xx, and the share of jobs that end within job_seconds of their creation."
  type = object({
    api_availability = optional(number, 0.995)
    job_completion   = optional(number, 0.95)
    job_seconds      = optional(number, 1800)
    period_days      = optional(number, 28)
  })
  default = {}

  validation {
    condition     = var.slos.api_availability > 0 && var.slos.api_availability < 1 && var.slos.job_completion > 0 && var.slos.job_completion < 1
    error_message = "slos.api_availability and slos.job_completion are shares between 0 and 1."
  }
}

variable "analytics_location" {
  description = "Location of the BigQuery analytics dataset (terraform/analytics.tf): a multi-region (US, EU) near the regions."
  type        = string
  default     = "US"
}

variable "analytics_retention_days" {
  description = "How long job events are kept in BigQuery (the raw table's partitions expire after this many days)."
  type        = number
  default     = 400

  validation {
    condition     = var.analytics_retention_days >= 1
    error_message = "analytics_retention_days must be at least 1."
  }
}

variable "billing_account" {
  description = "Billing account ID (XXXXXX-XXXXXX-XXXXXX) for the budget alert; empty makes no budget."
  type        = string
  default     = ""
}

variable "monthly_budget" {
  description = "The monthly budget of the project."
  type = object({
    amount   = number
    currency = optional(string, "USD")
  })
  default = {
    amount = 500
  }
}

variable "backup_retention_days" {
  description = "How long daily Firestore backups are kept (weekly ones are kept 14 weeks)."
  type        = number
  default     = 14
}

variable "deletion_protection" {
  description = "Protect the database, the buckets and the secrets from deletion (terraform destroy fails while true)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}
