# The identity the deploy pipeline (cloudbuild.yaml) runs as: Terraform
# plan and apply, traffic shifts and the smoke test. The first apply is
# made by a person (docs/deploy.md); later ones by Cloud Build as this
# account. It administers the services this configuration manages and
# nothing broader (no roles/editor or roles/owner). Because it manages
# IAM, treat it like an administrator: only the deploy trigger uses it.

locals {
  deployer_roles = toset([
    "roles/artifactregistry.reader",
    "roles/bigquery.admin", # the analytics dataset, its table and views
    "roles/cloudfunctions.admin",
    "roles/cloudscheduler.admin",
    "roles/compute.loadBalancerAdmin",
    "roles/compute.securityAdmin",
    "roles/datastore.owner", # the database, its indexes, TTL policies and backup schedules (Firestore only)
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser", # deploy functions that run as their service accounts
    "roles/logging.configWriter",
    "roles/logging.logWriter",
    "roles/monitoring.admin",
    "roles/pubsub.admin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/run.admin", # revision tags and traffic moves by revision (scripts/traffic)
    "roles/secretmanager.admin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/storage.admin",
  ])
}

resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "deployer"
  display_name = "Content Factory deployer"
  description  = "Cloud Build identity of the deploy pipeline (cloudbuild.yaml)."

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "deployer" {
  for_each = local.deployer_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.deployer.member
}
