# Development: one region, offline AI (no model spend), no deletion
# protection, every function of queue.Functions.
#   terraform apply -var-file=envs/dev.tfvars
project_id  = "content-factory-dev"
environment = "dev"
regions     = ["us-central1"]
api_domain  = "factory-dev.example.com"

firestore_location = "nam5"
bucket_location    = "US"

# The offline backends need no model; their speech backend needs
# espeak-ng, which the Cloud Run functions image lacks, so leave audio out
# of dev jobs (the smoke test does).
ai_backend = "offline"

deletion_protection = false
log_level           = "debug"

# Callers may also sign in with Google ID tokens for this audience.
id_token_audience = "https://factory-dev.example.com"

limits = {
  retention_days = 3
  job_deadline   = "1h"
}

function_overrides = {
  GenerateText    = { max_instances = 5 }
  GenerateImage   = { max_instances = 2 }
  SynthesizeAudio = { max_instances = 2 }
  AssembleJob     = { max_instances = 2 }
}

rate_limit_per_minute = 120
waf_preview           = true

notification_channels = []
billing_account       = ""
