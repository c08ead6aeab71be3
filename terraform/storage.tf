# The artifact bucket every region shares (multi- or dual-region) and the
# bucket holding the functions' staged source zips. Both are private:
# uniform bucket-level access, public access prevention enforced. Clients
# read artifacts only through short-lived V4 signed URLs the API makes.

locals {
  artifact_bucket_name = "${var.project_id}-artifacts"
  source_bucket_name   = "${var.project_id}-function-sources"
  # The API's own origin (its web app) and the other web apps.
  cors_origins = distinct(concat(["https://${var.api_domain}"], var.cors_origins))
}

resource "google_storage_bucket" "artifacts" {
  project  = var.project_id
  name     = local.artifact_bucket_name
  location = var.bucket_location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  dynamic "custom_placement_config" {
    for_each = length(var.bucket_data_locations) > 0 ? [var.bucket_data_locations] : []
    content {
      data_locations = custom_placement_config.value
    }
  }

  # Artifacts live as long as their jobs (FACTORY_RETENTION); Firestore's
  # TTL removes the jobs, this rule the files.
  lifecycle_rule {
    condition {
      age = var.limits.retention_days
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # The web app downloads artifacts with signed URLs from the browser.
  cors {
    origin          = local.cors_origins
    method          = ["GET", "HEAD"]
    response_header = ["Content-Type", "Content-Length", "Content-Disposition", "ETag"]
    max_age_seconds = 3600
  }

  soft_delete_policy {
    retention_duration_seconds = 7 * 86400
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket" "sources" {
  project  = var.project_id
  name     = local.source_bucket_name
  location = var.bucket_location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection

  # Source zips are named by their sha256; a build reads one once. Old
  # ones go after 90 days (Terraform uploads a missing current one again).
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}
