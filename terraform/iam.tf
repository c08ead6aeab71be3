# Identities and their rights. Every function runs as its own service
# account (one per function, shared by its regions) holding only what its
# code does; nothing runs as the default compute account, and nobody gets
# roles/editor or roles/owner (test/deploy fails on either). README.md has
# the table.

locals {
  # Project roles of every function: Firestore reads and writes (the
  # database has no finer IAM), custom metrics and traces.
  function_base_roles = [
    "roles/datastore.user",
    "roles/monitoring.metricWriter",
    "roles/telemetry.tracesWriter",
  ]

  # Extra project roles, by function.
  function_extra_roles = {
    GenerateText  = ["roles/aiplatform.user"] # Gemini, Claude and open models on Vertex AI
    GenerateImage = ["roles/aiplatform.user"] # Gemini image models
  }

  function_project_roles = {
    for pair in flatten([
      for name in keys(local.functions) : [
        for role in concat(local.function_base_roles, lookup(local.function_extra_roles, name, [])) : {
          name = name
          role = role
        }
      ]
    ]) : "${pair.name}|${pair.role}" => pair
  }

  # Rights on the artifact bucket: workers read what earlier steps wrote
  # and create their own files (never overwrite or delete); ReadSources
  # reads uploads too; the Intake looks uploads up; the API reads, signs
  # download and upload URLs, deletes uploads and erases jobs; Sweep
  # deletes expired and erased jobs' files and expired uploads.
  function_bucket_roles = {
    API             = ["roles/storage.objectUser"]
    Intake          = ["roles/storage.objectViewer"]
    ReadSources     = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
    GenerateText    = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
    GenerateImage   = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
    SynthesizeAudio = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
    AssembleJob     = ["roles/storage.objectViewer", "roles/storage.objectCreator"]
    Sweep           = ["roles/storage.objectUser"]
  }

  function_bucket_bindings = {
    for pair in flatten([
      for name, roles in local.function_bucket_roles : [
        for role in roles : { name = name, role = role }
      ] if contains(keys(local.functions), name)
    ]) : "${pair.name}|${pair.role}" => pair
  }

  # Topics each function publishes to, by topic id, in every region (a
  # function publishes only to its own region's, but its account serves
  # all regions). The shared step runner can make any step ready and end
  # any job, so every function that runs the pipeline publishes to every
  # worker topic and to job-events; none publishes to content-requests
  # (other systems do) or to a dead-letter topic (Pub/Sub does).
  # NotifyJob only reads jobs and calls webhooks.
  pipeline_topic_ids = [for id in local.topic_ids : id if id != "content-requests"]
  publishers         = [for name in keys(local.functions) : name if name != "NotifyJob"]

  function_publish_bindings = {
    for pair in setproduct(local.publishers, [for k, t in local.topics : k if contains(local.pipeline_topic_ids, t.id)]) :
    "${pair[0]}|${pair[1]}" => { name = pair[0], topic = pair[1] }
  }
}

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = "Content Factory function ${each.key}"
  description  = "Runs the ${each.key} function in every region."

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "function" {
  for_each = local.function_project_roles

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.name].member
}

resource "google_storage_bucket_iam_member" "function" {
  for_each = local.function_bucket_bindings

  bucket = google_storage_bucket.artifacts.name
  role   = each.value.role
  member = google_service_account.function[each.value.name].member
}

resource "google_pubsub_topic_iam_member" "function_publisher" {
  for_each = local.function_publish_bindings

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.value.name].member
}

# The API signs download URLs with its own account through the IAM
# Credentials API (signBlob), with no key file.
resource "google_service_account_iam_member" "api_signs_urls" {
  service_account_id = google_service_account.function["API"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function["API"].member
}

# Pub/Sub push identities: one per push subscription, allowed to invoke
# only that subscription's function in that region (module "function").
resource "google_service_account" "push" {
  for_each = local.push_subscriptions

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = "Pub/Sub push to ${each.value.function} in ${each.value.region}"
  description  = "OIDC identity of subscription ${each.key}."

  depends_on = [google_project_service.enabled]
}

# DeadLetter's push subscriptions (one per dead-letter topic) share one
# identity per region: they all invoke the same function there.
resource "google_service_account" "dead_letter_push" {
  for_each = local.dead_letter_push_regions

  project      = var.project_id
  account_id   = "push-deadletter-${substr(sha1(each.value), 0, 6)}"
  display_name = "Pub/Sub push to DeadLetter in ${each.value}"
  description  = "OIDC identity of the dead-letter push subscriptions of ${each.value}."

  depends_on = [google_project_service.enabled]
}

# The Pub/Sub service agent mints the push subscriptions' OIDC tokens
# (needed explicitly in projects made before April 2021).
resource "google_service_account_iam_member" "push_token_creator" {
  for_each = merge(
    { for k in keys(local.push_subscriptions) : "push|${k}" => google_service_account.push[k].name },
    { for r in local.dead_letter_push_regions : "dead-letter|${r}" => google_service_account.dead_letter_push[r].name },
  )

  service_account_id = each.value
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# Builds the functions' images (instead of the default compute account).
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "fn-builder"
  display_name = "Content Factory function builder"
  description  = "Cloud Build identity of the functions' builds."

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.builder.member
}

# The build reads the source from, and caches in, the buckets Cloud Run
# functions manages (gcf-v2-sources-*, gcf-v2-uploads-*): documented as
# roles/storage.objectAdmin, here limited to those buckets.
resource "google_project_iam_member" "builder_gcf_buckets" {
  project = var.project_id
  role    = "roles/storage.objectAdmin"
  member  = google_service_account.builder.member

  condition {
    title       = "gcf-v2-buckets"
    description = "Only the buckets Cloud Run functions manages."
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-\")"
  }
}

resource "google_storage_bucket_iam_member" "builder_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.builder.member
}
