# Every API the factory uses. Disabling is left to people: destroying this
# configuration never turns an API off.
locals {
  services = toset([
    "aiplatform.googleapis.com",           # Gemini text and image models; Claude and open models (Model Garden)
    "artifactregistry.googleapis.com",     # function images
    "bigquery.googleapis.com",             # analytics of job events
    "billingbudgets.googleapis.com",       # the budget alert
    "cloudbuild.googleapis.com",           # function builds and the deploy pipeline
    "cloudfunctions.googleapis.com",       # Cloud Run functions (2nd gen)
    "cloudresourcemanager.googleapis.com", # project IAM
    "cloudscheduler.googleapis.com",       # Sweep calls
    "cloudtrace.googleapis.com",           # traces
    "compute.googleapis.com",              # load balancer, Cloud Armor
    "firestore.googleapis.com",            # state
    "iam.googleapis.com",                  # service accounts
    "iamcredentials.googleapis.com",       # signed URLs through signBlob, OIDC tokens
    "logging.googleapis.com",              # logs
    "monitoring.googleapis.com",           # dashboard and alerts
    "pubsub.googleapis.com",               # topics and push subscriptions
    "run.googleapis.com",                  # the functions' services
    "secretmanager.googleapis.com",        # signing secrets
    "serviceusage.googleapis.com",         # this file
    "storage.googleapis.com",              # artifacts and sources
    "telemetry.googleapis.com",            # OTLP traces and metrics
    "texttospeech.googleapis.com",         # narration
  ])
}

resource "google_project_service" "enabled" {
  for_each = local.services

  project                    = var.project_id
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}
