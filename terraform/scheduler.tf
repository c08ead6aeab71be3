# Cloud Scheduler calls Sweep with an OIDC token of its own identity, which
# may invoke Sweep and nothing else; Sweep itself accepts only that
# identity's tokens for that audience (FACTORY_SWEEP_INVOKERS and
# FACTORY_SWEEP_AUDIENCE, functions.tf). One job in the first region is
# enough: the sweep's queries cover every job whatever its home
# region, and it publishes what it recovers to the topics of the region it
# runs in. To move it (a region failing over), reorder var.regions.

locals {
  scheduled_functions = { for name, f in local.functions : name => f if f.scheduled }
  scheduler_region    = var.regions[0]
  scheduler_members   = { for name in keys(local.scheduled_functions) : name => google_service_account.scheduler[name].member }
  # Known at plan time (the accounts' email attribute is not), for
  # FACTORY_SWEEP_INVOKERS; test/deploy checks it is the account's email.
  scheduler_account_ids = { for name, f in local.scheduled_functions : name => "scheduler-${f.package}" }
  scheduler_emails      = { for name, id in local.scheduler_account_ids : name => "${id}@${var.project_id}.iam.gserviceaccount.com" }
}

resource "google_service_account" "scheduler" {
  for_each = local.scheduled_functions

  project      = var.project_id
  account_id   = local.scheduler_account_ids[each.key]
  display_name = "Cloud Scheduler caller of ${each.key}"
  description  = "OIDC identity Cloud Scheduler calls ${each.key} with."

  depends_on = [google_project_service.enabled]
}

resource "google_cloud_scheduler_job" "function" {
  for_each = local.scheduled_functions

  project     = var.project_id
  region      = local.scheduler_region
  name        = "${var.name_prefix}-${each.value.package}"
  description = "Calls ${each.key} in ${local.scheduler_region}."
  schedule    = var.sweep_schedule
  time_zone   = "Etc/UTC"

  # Wait as long as one sweep may run.
  attempt_deadline = "${each.value.timeout_seconds}s"

  retry_config {
    retry_count          = 1
    min_backoff_duration = "30s"
    max_backoff_duration = "120s"
  }

  http_target {
    http_method = "POST"
    uri         = module.function["${each.key}/${local.scheduler_region}"].uri

    # The audience the function checks (FACTORY_SWEEP_AUDIENCE).
    oidc_token {
      service_account_email = google_service_account.scheduler[each.key].email
      audience              = local.scheduler_audiences["${each.key}/${local.scheduler_region}"]
    }
  }
}
