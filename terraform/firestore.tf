# The Firestore database every region shares (a multi-region location), the
# composite indexes of the factory's queries, TTL policies for expiring
# documents, point-in-time recovery and scheduled backups.
#
# Collections (shared/store): jobs/{id}, jobs/{id}/steps/{step},
# jobs/{id}/input/request, api_keys/{sha256}, rejected_messages/{id},
# limits/{owner} (read and written by id, never queried) and
# erasures/{job id}. test/deploy reads the queries of shared/store and
# fails when one needs a composite index missing here, or when an index
# here serves no query.

resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = var.deletion_protection ? "PREVENT" : "DELETE"

  depends_on = [google_project_service.enabled]
}

locals {
  # Composite indexes, one per query shape that needs one. Field order is
  # the query's: equality filters (in counts as one) first, then the range
  # or order fields. Queries on one field use the automatic single-field
  # indexes: erasures where clean_after < now, jobs and uploads where
  # expire_at < now (so they keep that index, below), api_keys where
  # owner == X.
  firestore_indexes = {
    # API list: jobs where owner == X order by created_at desc, __name__ desc.
    jobs_by_owner = {
      collection = "jobs"
      scope      = "COLLECTION"
      fields     = [["owner", "ASCENDING"], ["created_at", "DESCENDING"], ["__name__", "DESCENDING"]]
    }
    # Result cache: jobs where owner == X and cache_key == K and
    # status == "succeeded" and created_at > T order by created_at desc.
    jobs_cached = {
      collection = "jobs"
      scope      = "COLLECTION"
      fields     = [["owner", "ASCENDING"], ["cache_key", "ASCENDING"], ["status", "ASCENDING"], ["created_at", "DESCENDING"]]
    }
    # Sweep: jobs where status in [queued, running] and deadline < now.
    jobs_by_status_deadline = {
      collection = "jobs"
      scope      = "COLLECTION"
      fields     = [["status", "ASCENDING"], ["deadline", "ASCENDING"]]
    }
    # Sweep: jobs where status == "awaiting_review" and review_until < now.
    jobs_review_past = {
      collection = "jobs"
      scope      = "COLLECTION"
      fields     = [["status", "ASCENDING"], ["review_until", "ASCENDING"]]
    }
    # Sweep: jobs where event_pending == true and updated_at < T.
    jobs_event_pending = {
      collection = "jobs"
      scope      = "COLLECTION"
      fields     = [["event_pending", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    # Sweep: steps (collection group) where status == "queued" and queued_at < T.
    steps_by_status_queued = {
      collection = "steps"
      scope      = "COLLECTION_GROUP"
      fields     = [["status", "ASCENDING"], ["queued_at", "ASCENDING"]]
    }
    # Sweep: steps (collection group) where status == "pending" and updated_at < T.
    steps_by_status_updated = {
      collection = "steps"
      scope      = "COLLECTION_GROUP"
      fields     = [["status", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    # Sweep: steps (collection group) where status == "running" and lease_until < T.
    steps_by_status_lease = {
      collection = "steps"
      scope      = "COLLECTION_GROUP"
      fields     = [["status", "ASCENDING"], ["lease_until", "ASCENDING"]]
    }
  }

  # Collections whose documents carry expire_at (a timestamp) and that
  # Firestore deletes some time after it (typically within 24 hours).
  # unindexed: nobody queries the collection by expire_at, so it gets no
  # single-field index (monotonically increasing timestamps make write
  # hotspots). The sweep queries jobs and uploads by expire_at, so they
  # keep theirs. For uploads the TTL is a backstop too: the sweep deletes
  # an expired upload's file, then its record; the bucket's retention rule
  # deletes a file whose record the TTL took.
  # For jobs the TTL is a backstop: the sweep (every 5 minutes) deletes an
  # expired job with its steps, request and files first; a TTL deletion
  # leaves the subcollections, which only happens if the sweep has been
  # down for about a day (docs/runbook.md).
  ttl_collections = {
    jobs              = { unindexed = false }
    rejected_messages = { unindexed = true }
    uploads           = { unindexed = false }
  }
}

resource "google_firestore_index" "composite" {
  for_each = local.firestore_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collection
  query_scope = each.value.scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}

resource "google_firestore_field" "ttl" {
  for_each = local.ttl_collections

  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.key
  field      = "expire_at"

  ttl_config {}

  # An empty index_config removes the field's single-field indexes; none
  # keeps the inherited ones.
  dynamic "index_config" {
    for_each = each.value.unindexed ? [1] : []
    content {}
  }
}

# Point-in-time recovery covers the last 7 days to the minute; backups go
# further back. Restores are in docs/runbook.md.
resource "google_firestore_backup_schedule" "daily" {
  project  = var.project_id
  database = google_firestore_database.main.name

  retention = "${var.backup_retention_days * 86400}s"

  daily_recurrence {}
}

resource "google_firestore_backup_schedule" "weekly" {
  project  = var.project_id
  database = google_firestore_database.main.name

  retention = "${14 * 7 * 86400}s"

  weekly_recurrence {
    day = "SUNDAY"
  }
}
