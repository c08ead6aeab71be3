# Cloud Scheduler calls Sweep with an OIDC token of its own identity, which
# may invoke Sweep and nothing else; Sweep itself accepts only that
# identity's tokens for that audience (FACTORY_SWEEP_INVOKERS and
# FACTORY_SWEEP_AUDIENCE, functions.tf). Every region has its own job,
# calling its own Sweep, so a region that fails takes no other's sweep
# with it. The jobs are staggered (region i at minute i of every
# sweep_every_minutes) and a Firestore lease lets one sweep run at a time;
# each sweep covers every region's jobs, publishing what it recovers into
# the job's home region, or moving a job its region no longer runs.

locals {
  scheduled_functions = { for name, f in local.functions : name => f if f.scheduled }
  scheduler_members   = { for name in keys(local.scheduled_functions) : name => google_service_account.scheduler[name].member }
  # One job per scheduled function and region, keyed like its instance.
  region_index = { for i, r in var.regions : r => i }
  scheduler_jobs = {
    for key, inst in local.function_instances : key => merge(inst, {
      minute = local.region_index[inst.region] % var.sweep_every_minutes
    }) if local.functions[inst.name].scheduled
  }
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
  for_each = local.scheduler_jobs

  project     = var.project_id
  region      = each.value.region
  name        = "${var.name_prefix}-${local.functions[each.value.name].package}"
  description = "Calls ${each.value.name} in ${each.value.region}."
  schedule    = "${each.value.minute}-59/${var.sweep_every_minutes} * * * *"
  time_zone   = "Etc/UTC"

  # Wait as long as one sweep may run.
  attempt_deadline = "${local.functions[each.value.name].timeout_seconds}s"

  retry_config {
    retry_count          = 1
    min_backoff_duration = "30s"
    max_backoff_duration = "120s"
  }

  http_target {
    http_method = "POST"
    uri         = module.function[each.key].uri

    # The audience the function checks (FACTORY_SWEEP_AUDIENCE).
    oidc_token {
      service_account_email = google_service_account.scheduler[each.value.name].email
      audience              = local.scheduler_audiences[each.key]
    }
  }
}
