# Every function in every region of var.regions, built from the zips that
# scripts/stage-functions.sh writes to .build/ (make stage).

locals {
  # The functions of shared/queue/topology.go (queue.Functions): entry
  # point => package folder under functions/, trigger topic (null for HTTP
  # functions), whether it is pushed every dead-letter topic, whether Cloud
  # Scheduler calls it (scheduler.tf) and timeout, plus deployment sizing.
  # Keep it in sync with the code: test/deploy fails when a function,
  # topic or timeout differs, and when the code has a function this table
  # lacks.
  function_table = {
    API = {
      package         = "api"
      description     = "REST API, OpenAPI document and web app"
      topic           = null
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 60
      memory          = "512Mi"
      cpu             = "1"
      concurrency     = 80
      min_instances   = 0
      max_instances   = 20
      ingress         = "ALLOW_INTERNAL_AND_GCLB"
    }
    Intake = {
      package         = "intake"
      description     = "Content requests from other systems become jobs"
      topic           = "content-requests"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 60
      memory          = "512Mi"
      cpu             = "1"
      concurrency     = 20
      min_instances   = 0
      max_instances   = 10
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    ReadSources = {
      package         = "sources"
      description     = "Reads a job's sources (texts, uploads, links) into numbered passages"
      topic           = "source-steps"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 300
      memory          = "1Gi"
      cpu             = "1"
      concurrency     = 4
      min_instances   = 0
      max_instances   = 20
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    GenerateText = {
      package         = "text"
      description     = "Writes the outline and the text formats made from it"
      topic           = "text-steps"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 300
      memory          = "512Mi"
      cpu             = "1"
      concurrency     = 8
      min_instances   = 0
      max_instances   = 50
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    GenerateImage = {
      package         = "image"
      description     = "Draws the cover image from the outline"
      topic           = "image-steps"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 300
      memory          = "1Gi"
      cpu             = "1"
      concurrency     = 4
      min_instances   = 0
      max_instances   = 20
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    SynthesizeAudio = {
      package         = "audio"
      description     = "Narrates the podcast script, one voice per speaker"
      topic           = "audio-steps"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 540
      memory          = "2Gi"
      cpu             = "2"
      concurrency     = 2
      min_instances   = 0
      max_instances   = 20
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    AssembleJob = {
      package         = "assemble"
      description     = "Writes the package (manifest and exports) and ends the job"
      topic           = "assemble-steps"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 300
      memory          = "1Gi"
      cpu             = "1"
      concurrency     = 4
      min_instances   = 0
      max_instances   = 20
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    Sweep = {
      package         = "sweep"
      description     = "Publishes stuck steps again, ends overdue jobs, expires old ones"
      topic           = null
      dead_letters    = false
      scheduled       = true
      timeout_seconds = 300
      memory          = "512Mi"
      cpu             = "1"
      concurrency     = 1
      min_instances   = 0
      max_instances   = 1
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    NotifyJob = {
      package         = "notify"
      description     = "Delivers job events, signed, to the callback URLs jobs name"
      topic           = "job-events"
      dead_letters    = false
      scheduled       = false
      timeout_seconds = 60
      memory          = "512Mi"
      cpu             = "1"
      concurrency     = 20
      min_instances   = 0
      max_instances   = 10
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
    DeadLetter = {
      package         = "deadletter"
      description     = "Settles dead letters: fails their steps, records undeliverable job events as callback_failed"
      topic           = null
      dead_letters    = true
      scheduled       = false
      timeout_seconds = 60
      memory          = "512Mi"
      cpu             = "1"
      concurrency     = 20
      min_instances   = 0
      max_instances   = 5
      ingress         = "ALLOW_INTERNAL_ONLY"
    }
  }

  # A push subscription's ack deadline is above its function's timeout
  # (queue.Subscriptions: timeout + 60 s, at most Pub/Sub's 600 s), so a
  # slow run is not delivered again while it is still working.
  ack_deadline_margin_seconds = 60
  max_ack_deadline_seconds    = 600

  function_overrides = {
    for name, o in var.function_overrides : name => { for k, v in o : k => v if v != null }
  }

  # The functions this configuration deploys, by entry point.
  functions = {
    for name, f in local.function_table :
    name => merge(f, lookup(local.function_overrides, name, {}), {
      service_name         = "${var.name_prefix}-${f.package}"
      account_id           = "fn-${f.package}"
      ack_deadline_seconds = min(f.timeout_seconds + local.ack_deadline_margin_seconds, local.max_ack_deadline_seconds)
    })
  }

  # The Go runtime's soft memory limit of each function (GOMEMLIMIT): 90%
  # of its instance's memory, so the collector works harder as an instance
  # fills up instead of the instance running out of memory; the rest is
  # for what the runtime does not count (goroutine stacks aside, the
  # binary's own pages and the espeak-ng child of the offline speech).
  memory_units = { Mi = 1, Gi = 1024, M = 1e6 / 1048576, G = 1e9 / 1048576 }
  gomemlimit = {
    for name, f in local.functions : name => format("%dMiB", floor(0.9 *
      tonumber(regex("^([0-9.]+)(Mi|Gi|M|G)$", f.memory)[0]) *
    local.memory_units[regex("^([0-9.]+)(Mi|Gi|M|G)$", f.memory)[1]]))
  }

  # One instance of every function in every region, keyed "Name/region".
  function_instances = {
    for pair in setproduct(keys(local.functions), var.regions) :
    "${pair[0]}/${pair[1]}" => { name = pair[0], region = pair[1] }
  }

  build_dir = coalesce(var.build_dir, "${path.root}/../.build")

  # The environment of every function (shared/config, shared/ai/models,
  # LOG_LEVEL of shared/logging, FACTORY_TRACES and FACTORY_METRICS of
  # shared/telemetry/otlp);
  # FACTORY_REGION and FACTORY_TOPIC_SUFFIX are added per region, so a
  # function publishes only to the topics of its own region. Every function
  # gets the per-owner limits: any of them may end a job and settle its
  # owner's budget. test/deploy reads the settings from the Go source and
  # fails on a name the code does not read, on a setting of the code
  # Terraform neither sets nor lists as deliberately unset, and on a
  # default that differs from the code's. FACTORY_STEP_TIMEOUT (each
  # function's own timeout less a margin is right) and the chaos soak's
  # fault injection (test/deploy fails if its name appears anywhere in
  # terraform/) are never set.
  function_env = merge(
    {
      GOOGLE_CLOUD_PROJECT     = var.project_id
      FACTORY_BUCKET           = google_storage_bucket.artifacts.name
      FACTORY_AI               = var.ai_backend
      FACTORY_PUBLIC_URL       = "https://${var.api_domain}"
      FACTORY_RETENTION        = "${var.limits.retention_days * 24}h"
      FACTORY_MAX_BODY_BYTES   = tostring(var.limits.max_body_bytes)
      FACTORY_URL_TTL          = var.limits.url_ttl
      FACTORY_MAX_ATTEMPTS     = tostring(var.limits.max_attempts)
      FACTORY_MAX_REPAIRS      = tostring(var.limits.max_repairs)
      FACTORY_LEASE_MARGIN     = var.limits.lease_margin
      FACTORY_RATE_PER_MINUTE  = tostring(var.limits.rate_per_minute)
      FACTORY_BURST            = tostring(var.limits.burst)
      FACTORY_MAX_RUNNING      = tostring(var.limits.max_running)
      FACTORY_DAILY_BUDGET_USD = tostring(var.limits.daily_budget_usd)
      FACTORY_MAX_SOURCES      = tostring(var.limits.max_sources)
      FACTORY_MAX_SOURCE_BYTES = tostring(var.limits.max_source_bytes)
      FACTORY_MAX_SOURCE_CHARS = tostring(var.limits.max_source_chars)
      FACTORY_UPLOAD_TTL       = var.limits.upload_ttl
      FACTORY_TEXT_MODEL       = var.models.text
      FACTORY_IMAGE_MODEL      = var.models.image
      FACTORY_VERTEX_PROJECT   = var.project_id
      FACTORY_VERTEX_LOCATION  = var.models.vertex_location
      LOG_LEVEL                = var.log_level
      FACTORY_TRACES           = var.traces
      FACTORY_METRICS          = var.metrics
    },
    # Settings whose code defaults suit production: set only when given.
    {
      for k, v in {
        FACTORY_JOB_DEADLINE  = var.limits.job_deadline
        FACTORY_SWEEP_STALE   = var.limits.sweep_stale
        FACTORY_KEY_CACHE_TTL = var.limits.key_cache_ttl
        FACTORY_REVIEW_TTL    = var.limits.review_ttl
        FACTORY_CACHE_TTL     = var.limits.cache_ttl
        FACTORY_MODELS_JSON   = var.models.overrides
      } : k => v if v != null
    },
  )

  # Browser origins that may call the API (FACTORY_CORS_ORIGINS): the web
  # apps of var.cors_origins; the API's own origin serves the bundled web
  # app and needs no CORS.
  api_cors_origins = [for o in var.cors_origins : o if o != "https://${var.api_domain}"]

  # Cloud Scheduler's OIDC audience for each scheduled function instance:
  # the service's deterministic URL
  # (https://SERVICE-PROJECT_NUMBER.REGION.run.app), known before the
  # service exists. The scheduler job (scheduler.tf) sends it, and the
  # function accepts only it (FACTORY_SWEEP_AUDIENCE).
  scheduler_audiences = {
    for key, inst in local.function_instances :
    key => "https://${local.functions[inst.name].service_name}-${local.project_number}.${inst.region}.run.app"
    if local.functions[inst.name].scheduled
  }

  # Environment only some functions get, by function and region: the API
  # accepts Google ID tokens for var.id_token_audience (when set) and
  # browsers of api_cors_origins; Sweep accepts only Cloud Scheduler's ID
  # tokens, for its own audience and from the scheduler's account.
  function_extra_env = {
    for key, inst in local.function_instances : key => merge(
      {
        for k, v in {
          FACTORY_ID_TOKEN_AUDIENCE = var.id_token_audience
          FACTORY_CORS_ORIGINS      = length(local.api_cors_origins) > 0 ? join(",", local.api_cors_origins) : null
        } : k => v if inst.name == "API" && v != null
      },
      { for k, aud in local.scheduler_audiences : "FACTORY_SWEEP_AUDIENCE" => aud if k == key },
      { for name, email in local.scheduler_emails : "FACTORY_SWEEP_INVOKERS" => email if name == inst.name },
    )
  }

  # Secrets a function reads from Secret Manager, as environment variable
  # => secret id (secrets.tf, which lets exactly these functions read
  # them). NotifyJob signs webhooks with FACTORY_WEBHOOK_SECRET (Standard
  # Webhooks whsec_ secrets); the text and image workers derive each job's canary from
  # FACTORY_CANARY_SECRET (guard.Canary).
  function_secrets = {
    NotifyJob     = { FACTORY_WEBHOOK_SECRET = "webhook-signing-key" }
    GenerateText  = { FACTORY_CANARY_SECRET = "canary-secret" }
    GenerateImage = { FACTORY_CANARY_SECRET = "canary-secret" }
  }

  # Who may invoke each function instance (roles/run.invoker), keyed by
  # names known at plan time: the load balancer's anonymous callers for
  # the API (which checks API keys itself; its ingress keeps *.run.app
  # closed), the push subscription's own identity for event functions,
  # the scheduler for Sweep and the region's dead-letter push identity for
  # DeadLetter.
  invoker_grants = flatten([
    for key, inst in local.function_instances : concat(
      [for m in ["allUsers"] : { instance = key, role = "public", member = m } if inst.name == "API"],
      [for k, m in local.push_members : { instance = key, role = "pubsub_push", member = m } if k == key],
      [for k, m in local.scheduler_members : { instance = key, role = "scheduler", member = m } if k == inst.name],
      [for k, m in local.dead_letter_push_members : { instance = key, role = "pubsub_push", member = m } if inst.name == "DeadLetter" && k == inst.region],
    )
  ])

  function_invokers = {
    for key in keys(local.function_instances) : key => {
      for g in local.invoker_grants : g.role => g.member if g.instance == key
    }
  }
}

resource "google_storage_bucket_object" "function_source" {
  for_each = local.functions

  bucket       = google_storage_bucket.sources.name
  name         = "functions/${each.value.package}/${filesha256("${local.build_dir}/${each.value.package}.zip")}.zip"
  source       = "${local.build_dir}/${each.value.package}.zip"
  content_type = "application/zip"
}

module "function" {
  source   = "./modules/function"
  for_each = local.function_instances

  project_id  = var.project_id
  region      = each.value.region
  name        = local.functions[each.value.name].service_name
  entry_point = each.value.name
  description = local.functions[each.value.name].description

  source_bucket         = google_storage_bucket_object.function_source[each.value.name].bucket
  source_object         = google_storage_bucket_object.function_source[each.value.name].name
  service_account_email = google_service_account.function[each.value.name].email
  build_service_account = google_service_account.builder.id

  timeout_seconds  = local.functions[each.value.name].timeout_seconds
  memory           = local.functions[each.value.name].memory
  cpu              = local.functions[each.value.name].cpu
  concurrency      = local.functions[each.value.name].concurrency
  min_instances    = local.functions[each.value.name].min_instances
  max_instances    = local.functions[each.value.name].max_instances
  ingress_settings = local.functions[each.value.name].ingress

  environment = merge(local.function_env, {
    FACTORY_REGION       = each.value.region
    FACTORY_TOPIC_SUFFIX = "-${each.value.region}"
    GOMEMLIMIT           = local.gomemlimit[each.value.name]
  }, local.function_extra_env[each.key])
  secret_environment = {
    for k, id in lookup(local.function_secrets, each.value.name, {}) : k => google_secret_manager_secret.secret[id].secret_id
  }
  invokers = local.function_invokers[each.key]
  labels = {
    function = lower(each.value.name)
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.builder,
    google_storage_bucket_iam_member.builder_reads_sources,
    google_project_iam_member.builder_gcf_buckets,
    google_project_iam_member.function,
    google_secret_manager_secret_iam_member.reader,
  ]
}
