# Secrets live in Secret Manager; Terraform makes the containers and who
# may read them, never the values (they would land in the state). Values
# are added with gcloud (docs/deploy.md) and rotated by adding a version
# (docs/runbook.md).
#
# Download URLs need no secret: the API signs them with its service
# account through the IAM Credentials API.

locals {
  secrets = {
    # The API key the deploy pipeline's smoke test submits a job with.
    smoke-test-api-key = {
      readers = { deployer = google_service_account.deployer.member }
    }
    # The key job-event webhooks are signed with (HMAC), read by NotifyJob
    # as FACTORY_WEBHOOK_SECRET. Add a version before NotifyJob is deployed.
    webhook-signing-key = {
      readers = { for name in ["NotifyJob"] : name => google_service_account.function[name].member if contains(keys(local.functions), name) }
    }
  }

  secret_readers = {
    for pair in flatten([
      for id, s in local.secrets : [for name, m in s.readers : { secret = id, reader = name, member = m }]
    ]) : "${pair.secret}|${pair.reader}" => pair
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = each.key

  deletion_protection = var.deletion_protection

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "reader" {
  for_each = local.secret_readers

  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}
