# Analytics in BigQuery: every job event (pipeline.JobEvent, the document
# webhooks carry) is written by a Pub/Sub BigQuery subscription on each
# region's job-events topic into one table, as it was published (the JSON
# document in `data`, with its message id, publish time and attributes),
# so the event can gain fields without a schema change here. Views read
# it: job_events (one row per event, parsed), job_latest (each job as it
# last ended), and the figures, which shared/analytics computes the same
# way (`factory analytics` on the local stack): success rate per format,
# cost per owner per day, p95 job time, prompt versions compared.

locals {
  analytics_dataset = "${replace(var.name_prefix, "-", "_")}_analytics"
  analytics_table   = "${var.project_id}.${local.analytics_dataset}"

  # The views, by table id. Each reads only the raw table (the views it
  # builds on are inlined as subqueries), so they can be made in any order.
  job_events_sql = <<-SQL
    -- One row per job event (a transition may be published more than
    -- once), pauses for review left out, the JSON document parsed.
    SELECT * EXCEPT (rn) FROM (
      SELECT
        JSON_VALUE(data, '$.id') AS event_id,
        JSON_VALUE(data, '$.type') AS type,
        JSON_VALUE(data, '$.job_id') AS job_id,
        JSON_VALUE(data, '$.owner') AS owner,
        JSON_VALUE(data, '$.status') AS status,
        JSON_VALUE(data, '$.region') AS region,
        JSON_VALUE(data, '$.origin') AS origin,
        IFNULL(CAST(JSON_VALUE(data, '$.run') AS INT64), 1) AS run,
        TIMESTAMP(JSON_VALUE(data, '$.created_at')) AS created_at,
        TIMESTAMP(JSON_VALUE(data, '$.finished_at')) AS finished_at,
        CAST(JSON_VALUE(data, '$.usage.cost_usd') AS FLOAT64) AS cost_usd,
        ARRAY(
          SELECT AS STRUCT
            JSON_VALUE(s, '$.step') AS step,
            JSON_VALUE(s, '$.status') AS status,
            CAST(JSON_VALUE(s, '$.version') AS INT64) AS version,
            JSON_VALUE(s, '$.prompt_version') AS prompt_version,
            CAST(JSON_VALUE(s, '$.attempts') AS INT64) AS attempts,
            CAST(JSON_VALUE(s, '$.duration_seconds') AS FLOAT64) AS duration_seconds,
            CAST(JSON_VALUE(s, '$.cost_usd') AS FLOAT64) AS cost_usd,
            JSON_VALUE(s, '$.error_code') AS error_code
          FROM UNNEST(JSON_QUERY_ARRAY(data, '$.step_details')) AS s
        ) AS steps,
        publish_time,
        ROW_NUMBER() OVER (PARTITION BY JSON_VALUE(data, '$.id') ORDER BY publish_time) AS rn
      FROM `${local.analytics_table}.job_events_raw`
      WHERE JSON_VALUE(data, '$.type') != 'job.awaiting_review'
    )
    WHERE rn = 1
  SQL

  job_latest_sql = <<-SQL
    -- Each job once, as its latest run ended.
    SELECT * FROM (${local.job_events_sql})
    WHERE TRUE
    QUALIFY ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY run DESC, finished_at DESC) = 1
  SQL

  analytics_views = {
    job_events = local.job_events_sql
    job_latest = local.job_latest_sql

    success_rate_by_format = <<-SQL
      -- The share of each format's steps that succeeded, by the day (UTC)
      -- the job last ended.
      SELECT
        DATE(e.finished_at) AS day,
        s.step AS format,
        COUNT(*) AS steps,
        COUNTIF(s.status = 'succeeded') AS succeeded,
        COUNTIF(s.status = 'succeeded') / COUNT(*) AS success_rate
      FROM (${local.job_latest_sql}) AS e, UNNEST(e.steps) AS s
      GROUP BY day, format
    SQL

    cost_per_owner_per_day = <<-SQL
      -- What each owner's jobs cost (every run), by the day (UTC) they
      -- were created.
      SELECT owner, DATE(created_at) AS day, COUNT(*) AS jobs, SUM(cost_usd) AS cost_usd
      FROM (${local.job_latest_sql})
      GROUP BY owner, day
    SQL

    p95_job_time = <<-SQL
      -- The 95th percentile of the time from creation to the end of the
      -- first run, of the jobs that ended succeeded, partial or failed, by
      -- the day (UTC) they were created.
      SELECT day, COUNT(*) AS jobs, ANY_VALUE(p95) AS p95_seconds
      FROM (
        SELECT
          DATE(created_at) AS day,
          PERCENTILE_CONT(TIMESTAMP_DIFF(finished_at, created_at, MICROSECOND) / 1e6, 0.95) OVER (PARTITION BY DATE(created_at)) AS p95
        FROM (${local.job_events_sql})
        WHERE run = 1 AND status IN ('succeeded', 'partial', 'failed')
      )
      GROUP BY day
    SQL

    prompt_versions = <<-SQL
      -- Each prompt version of each step: how many steps it made, the share
      -- that succeeded, their mean time and cost, as each job last ended.
      SELECT
        s.step,
        s.prompt_version,
        COUNT(*) AS steps,
        COUNTIF(s.status = 'succeeded') / COUNT(*) AS success_rate,
        AVG(s.duration_seconds) AS avg_duration_seconds,
        AVG(s.cost_usd) AS avg_cost_usd
      FROM (${local.job_latest_sql}) AS e, UNNEST(e.steps) AS s
      WHERE s.prompt_version IS NOT NULL
      GROUP BY step, prompt_version
    SQL
  }
}

resource "google_bigquery_dataset" "analytics" {
  project                    = var.project_id
  dataset_id                 = local.analytics_dataset
  friendly_name              = "Content Factory analytics (${var.environment})"
  description                = "Job events and the views over them (terraform/analytics.tf)."
  location                   = var.analytics_location
  delete_contents_on_destroy = !var.deletion_protection
  labels                     = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_bigquery_table" "job_events_raw" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "job_events_raw"
  description         = "Every job event as published on job-events (Pub/Sub BigQuery subscriptions, one per region)."
  deletion_protection = var.deletion_protection
  labels              = var.labels

  time_partitioning {
    type          = "DAY"
    field         = "publish_time"
    expiration_ms = var.analytics_retention_days * 24 * 3600 * 1000
  }

  # The columns of a BigQuery subscription that writes metadata
  # (write_metadata = true) and no schema of its own.
  schema = jsonencode([
    { name = "subscription_name", type = "STRING", mode = "NULLABLE", description = "The subscription that wrote the row." },
    { name = "message_id", type = "STRING", mode = "NULLABLE", description = "The Pub/Sub message id." },
    { name = "publish_time", type = "TIMESTAMP", mode = "NULLABLE", description = "When the event was published." },
    { name = "data", type = "JSON", mode = "NULLABLE", description = "The job event (pipeline.JobEvent)." },
    { name = "attributes", type = "JSON", mode = "NULLABLE", description = "event_type, event_id, job_id, owner, status." },
  ])
}

resource "google_bigquery_table" "analytics_view" {
  for_each = local.analytics_views

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = each.key
  deletion_protection = false
  labels              = var.labels

  view {
    query          = each.value
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.job_events_raw]
}

# Pub/Sub writes into the table as its service agent.
resource "google_bigquery_table_iam_member" "analytics_writer" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.analytics.dataset_id
  table_id   = google_bigquery_table.job_events_raw.table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_service_agent
}

resource "google_pubsub_subscription" "analytics" {
  for_each = local.event_topics

  project = var.project_id
  name    = "${each.key}-bigquery"
  topic   = google_pubsub_topic.topic[each.key].id

  bigquery_config {
    table          = "${local.analytics_table}.${google_bigquery_table.job_events_raw.table_id}"
    write_metadata = true
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_bigquery_table_iam_member.analytics_writer]
}
