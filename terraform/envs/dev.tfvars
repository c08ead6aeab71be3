# Development: one region, offline AI (no model spend), no deletion
# protection, the planned functions on once their code is in queue.Functions.
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

enable_planned_functions = false
deletion_protection      = false
log_level                = "debug"

limits = {
  retention_days = 3
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
