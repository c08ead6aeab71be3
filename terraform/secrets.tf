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
    # The Standard Webhooks secrets job-event webhooks are signed with
    # (whsec_<base64 key>, space-separated), read by NotifyJob as
    # FACTORY_WEBHOOK_SECRET. NotifyJob does not start
    # without a version: add one before the first full apply
    # (docs/deploy.md).
    webhook-signing-key = {
      readers = {}
    }
    # The key each job's canary is derived from (HMAC of the job id), read
    # by the functions that write model instructions as
    # FACTORY_CANARY_SECRET: a model answer that repeats the instructions
    # contains the canary and is discarded. Without it the code falls back
    # to a public key, which makes canaries guessable. Add a version before
    # the first full apply (docs/deploy.md).
    canary-secret = {
      readers = {}
    }
  }

  # Every function reads the secrets of local.function_secrets
  # (functions.tf), and only those.
  function_secret_readers = {
    for pair in flatten([
      for name, env in local.function_secrets : [
        for id in distinct(values(env)) : { secret = id, reader = name }
      ] if contains(keys(local.functions), name)
    ]) : "${pair.secret}|${pair.reader}" => merge(pair, { member = google_service_account.function[pair.reader].member })
  }

  secret_readers = merge(
    {
      for pair in flatten([
        for id, s in local.secrets : [for name, m in s.readers : { secret = id, reader = name, member = m }]
      ]) : "${pair.secret}|${pair.reader}" => pair
    },
    local.function_secret_readers,
  )
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
