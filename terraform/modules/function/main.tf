# One function in one region: a 2nd gen Cloud Run function built from a
# staged source zip, running as its own service account, and the IAM
# bindings that let its callers (Pub/Sub push, Cloud Scheduler, the load
# balancer) invoke it. Its Pub/Sub push subscription lives with the other
# subscriptions in the root module (pubsub.tf).

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description
  labels      = var.labels

  build_config {
    runtime         = "go126"
    entry_point     = var.entry_point
    service_account = var.build_service_account

    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }

  service_config {
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    max_instance_request_concurrency = var.concurrency
    timeout_seconds                  = var.timeout_seconds
    min_instance_count               = var.min_instances
    max_instance_count               = var.max_instances
    ingress_settings                 = var.ingress_settings
    # Terraform never routes traffic: a new revision is deployed with
    # none, and the deploy pipeline moves traffic to it by revision name
    # after its smoke test (scripts/traffic). Cloud Run functions honours
    # the service's traffic as it stands, so a service must never route
    # "the latest revision": traffic save pins one that does before every
    # apply (a first deployment makes it so). test/deploy checks this is
    # false and that no pipeline step routes before the smoke test.
    all_traffic_on_latest_revision = false
    service_account_email          = var.service_account_email
    environment_variables          = var.environment

    dynamic "secret_environment_variables" {
      for_each = var.secret_environment
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }
}

# Functions (2nd gen) are Cloud Run services: invoking one takes
# roles/run.invoker on the service.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.invokers

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = each.value
}
