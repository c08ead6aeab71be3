# What operators watch: the factory's OpenTelemetry metrics
# (shared/telemetry, exported over OTLP to telemetry.googleapis.com, which
# keeps them as Managed Service for Prometheus metrics, queried here with
# PromQL by the names the code gives them), Cloud Run's and Pub/Sub's own
# metrics, a dashboard, two SLOs with burn-rate alerts, an uptime check of
# the API in every region, and alert policies that notify
# var.notification_channels. The budget alert is in budget.tf.
#
# The metrics (test/deploy checks this list against shared/telemetry):
#   factory_jobs_ended_total{outcome,format}      factory_job_duration_seconds{outcome}
#   factory_steps_ended_total{step,outcome,code}  factory_step_duration_seconds{step,outcome}
#   factory_model_calls_total{backend,model}      factory_model_tokens_total{model,kind}
#   factory_model_cost_usd_total{model}           factory_queue_age_seconds{step}
#   factory_webhook_deliveries_total{outcome}     factory_limit_refusals_total{code,limiter}

locals {
  api_service = local.functions["API"].service_name

  dead_letter_hold_filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=monitoring.regex.full_match(\".*-dead-letter-hold\")"
  push_filter             = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=monitoring.regex.full_match(\".*-push\")"
  api_run_filter          = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=\"${local.api_service}\""

  # Every job counts once under format="package" (every job makes one).
  jobs_ended = "factory_jobs_ended_total{format=\"package\"}"

  # The dashboard: PromQL charts of the factory's metrics, then charts of
  # Google's own metrics (filter and aggregation), two to a row.
  promql_tiles = [
    { title = "Jobs ended, by outcome (per 5 minutes)", plot = "STACKED_BAR", queries = ["sum by (outcome) (increase(${local.jobs_ended}[5m]))"] },
    { title = "Job time, p50 and p95 (s)", plot = "LINE", queries = [for q in ["0.5", "0.95"] : "histogram_quantile(${q}, sum by (le) (rate(factory_job_duration_seconds_bucket[30m])))"] },
    { title = "Steps that succeeded, by step (share, 1 h)", plot = "LINE", queries = ["sum by (step) (rate(factory_steps_ended_total{outcome=\"succeeded\"}[1h])) / sum by (step) (rate(factory_steps_ended_total[1h]))"] },
    { title = "Steps failed, by error code (per 5 minutes)", plot = "STACKED_BAR", queries = ["sum by (code) (increase(factory_steps_ended_total{outcome=\"failed\"}[5m]))"] },
    { title = "Step time p95, by step (s)", plot = "LINE", queries = ["histogram_quantile(0.95, sum by (le, step) (rate(factory_step_duration_seconds_bucket[15m])))"] },
    { title = "Queue age p95, by step (s)", plot = "LINE", queries = ["histogram_quantile(0.95, sum by (le, step) (rate(factory_queue_age_seconds_bucket[15m])))"] },
    { title = "Model calls per minute, by model", plot = "LINE", queries = ["sum by (model) (rate(factory_model_calls_total[5m])) * 60"] },
    { title = "Model tokens per minute, by model and kind", plot = "LINE", queries = ["sum by (model, kind) (rate(factory_model_tokens_total[5m])) * 60"] },
    { title = "Model cost, US dollars per hour, by model", plot = "STACKED_AREA", queries = ["sum by (model) (increase(factory_model_cost_usd_total[1h]))"] },
    { title = "Webhook deliveries, by outcome (per 5 minutes)", plot = "STACKED_BAR", queries = ["sum by (outcome) (increase(factory_webhook_deliveries_total[5m]))"] },
    { title = "Admissions refused by the owners' limits (per 5 minutes)", plot = "STACKED_BAR", queries = ["sum by (code, limiter) (increase(factory_limit_refusals_total[5m]))"] },
  ]

  filter_tiles = [
    {
      title       = "API requests per second, by response class", plot = "STACKED_AREA"
      filter      = "metric.type=\"run.googleapis.com/request_count\" AND ${local.api_run_filter}"
      aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.response_code_class"] }
    },
    {
      title       = "API latency p95 (ms)", plot = "LINE"
      filter      = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.api_run_filter}"
      aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_PERCENTILE_95", groupByFields = [] }
    },
    {
      title       = "Dead letters waiting (hold subscriptions)", plot = "STACKED_AREA"
      filter      = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.dead_letter_hold_filter}"
      aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.subscription_id"] }
    },
    {
      title       = "Oldest unacked message age by push subscription (s)", plot = "LINE"
      filter      = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.push_filter}"
      aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.subscription_id"] }
    },
    {
      title       = "Instances by function", plot = "STACKED_AREA"
      filter      = "metric.type=\"run.googleapis.com/container/instance_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=monitoring.regex.full_match(\"${var.name_prefix}-.*\")"
      aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.service_name"] }
    },
    {
      title       = "API uptime checks passing, by region", plot = "LINE"
      filter      = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND resource.type=\"uptime_url\""
      aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_FRACTION_TRUE", crossSeriesReducer = "REDUCE_MEAN", groupByFields = ["metric.label.check_id"] }
    },
  ]

  tiles = concat(
    [for i, t in local.promql_tiles : {
      xPos = (i % 2) * 24, yPos = floor(i / 2) * 16, width = 24, height = 16
      widget = { title = t.title, xyChart = { dataSets = [for q in t.queries : {
        plotType = t.plot, minAlignmentPeriod = "60s", timeSeriesQuery = { prometheusQuery = q }
      }] } }
    }],
    [for i, t in local.filter_tiles : {
      xPos = (i % 2) * 24, yPos = (ceil(length(local.promql_tiles) / 2) + floor(i / 2)) * 16, width = 24, height = 16
      widget = { title = t.title, xyChart = { dataSets = [{
        plotType = t.plot, timeSeriesQuery = { timeSeriesFilter = { filter = t.filter, aggregation = t.aggregation } }
      }] } }
    }],
  )

  runbook = "docs/runbook.md in the repository"
}

resource "google_monitoring_dashboard" "factory" {
  project = var.project_id

  dashboard_json = jsonencode({
    displayName  = "Content Factory (${var.environment})"
    mosaicLayout = { columns = 48, tiles = local.tiles }
  })

  depends_on = [google_project_service.enabled]
}

# ── SLOs ──────────────────────────────────────────────────────────────
# Two promises, each with two burn-rate alerts (the multiwindow recipe of
# Google's SRE workbook): the error budget burning 14.4 times too fast
# over an hour (2% of a 30-day budget: page), or 6 times too fast over six
# hours (5%: ticket).

resource "google_monitoring_custom_service" "factory" {
  project      = var.project_id
  service_id   = "${var.name_prefix}-${var.environment}"
  display_name = "Content Factory (${var.environment})"

  depends_on = [google_project_service.enabled]
}

locals {
  slos = {
    api-availability = {
      name = "API availability: ${var.slos.api_availability * 100}% of requests are not answered 5xx"
      goal = var.slos.api_availability
      # Cloud Run counts every request the API answered, in every region.
      ratio = {
        total = "metric.type=\"run.googleapis.com/request_count\" AND ${local.api_run_filter}"
        bad   = "metric.type=\"run.googleapis.com/request_count\" AND ${local.api_run_filter} AND metric.label.response_code_class=\"5xx\""
      }
      cut = null
    }
    job-completion = {
      name  = "Job completion time: ${var.slos.job_completion * 100}% of jobs end within ${var.slos.job_seconds} s"
      goal  = var.slos.job_completion
      ratio = null
      # The factory's job duration histogram (shared/telemetry).
      cut = {
        filter = "metric.type=\"prometheus.googleapis.com/factory_job_duration_seconds/histogram\" AND resource.type=\"prometheus_target\""
        max    = var.slos.job_seconds
      }
    }
  }

  burn_rates = {
    fast = { window = "3600s", rate = 14.4, severity = "CRITICAL" }
    slow = { window = "21600s", rate = 6, severity = "WARNING" }
  }
}

resource "google_monitoring_slo" "factory" {
  for_each = local.slos

  project             = var.project_id
  service             = google_monitoring_custom_service.factory.service_id
  slo_id              = each.key
  display_name        = each.value.name
  goal                = each.value.goal
  rolling_period_days = var.slos.period_days

  request_based_sli {
    dynamic "good_total_ratio" {
      for_each = each.value.ratio == null ? [] : [each.value.ratio]
      content {
        total_service_filter = good_total_ratio.value.total
        bad_service_filter   = good_total_ratio.value.bad
      }
    }
    dynamic "distribution_cut" {
      for_each = each.value.cut == null ? [] : [each.value.cut]
      content {
        distribution_filter = distribution_cut.value.filter
        range {
          max = distribution_cut.value.max
        }
      }
    }
  }
}

resource "google_monitoring_alert_policy" "burn_rate" {
  for_each = { for pair in setproduct(keys(local.slos), keys(local.burn_rates)) : "${pair[0]}-${pair[1]}" => { slo = pair[0], burn = pair[1] } }

  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): ${each.value.slo} error budget burning (${each.value.burn})"
  combiner              = "OR"
  severity              = local.burn_rates[each.value.burn].severity
  notification_channels = var.notification_channels

  conditions {
    display_name = "Burn rate over ${local.burn_rates[each.value.burn].window} above ${local.burn_rates[each.value.burn].rate}"

    condition_threshold {
      filter          = "select_slo_burn_rate(\"${google_monitoring_slo.factory[each.value.slo].name}\", \"${local.burn_rates[each.value.burn].window}\")"
      comparison      = "COMPARISON_GT"
      threshold_value = local.burn_rates[each.value.burn].rate
      duration        = "0s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${local.slos[each.value.slo].name}: the error budget of ${var.slos.period_days} days is being spent too fast. See ${local.runbook}, \"SLOs and their alerts\"."
  }
}

# ── Uptime ────────────────────────────────────────────────────────────
# The API's /healthz through the load balancer, pinned to each region by
# X-Factory-Region, from several of Google's checker locations.

resource "google_monitoring_uptime_check_config" "api" {
  for_each = toset(var.regions)

  project      = var.project_id
  display_name = "Content Factory (${var.environment}) API in ${each.key}"
  timeout      = "10s"
  period       = "60s"

  http_check {
    path         = "/healthz"
    port         = 443
    use_ssl      = true
    validate_ssl = true
    headers = {
      "X-Factory-Region" = each.key
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.api_domain
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "uptime" {
  for_each = google_monitoring_uptime_check_config.api

  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): API down in ${each.key}"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels

  conditions {
    display_name = "/healthz fails from more than one checker location"

    condition_threshold {
      filter          = "metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.label.check_id=\"${each.value.uptime_check_id}\" AND resource.type=\"uptime_url\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "300s"

      aggregations {
        alignment_period     = "1200s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.*"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The API in ${each.key} does not answer /healthz through the load balancer. See ${local.runbook}, \"A region failing over\"."
  }
}

# ── Alerts on the factory's own metrics and on Pub/Sub ────────────────

locals {
  promql_alerts = {
    job_failures = {
      name     = "jobs failing"
      severity = "ERROR"
      title    = "More than ${var.alert_thresholds.job_failure_ratio * 100}% of jobs end failed or partial over 30 minutes"
      query    = "sum(rate(factory_jobs_ended_total{format=\"package\",outcome=~\"failed|partial\"}[30m])) / sum(rate(${local.jobs_ended}[30m])) > ${var.alert_thresholds.job_failure_ratio}"
      duration = "600s"
      doc      = "Jobs end failed or partial. The dashboard's \"Steps failed, by error code\" says which steps and why; see ${local.runbook}, \"Jobs failing\"."
    }
    model_retired = {
      name     = "a model is retired"
      severity = "CRITICAL"
      title    = "A step failed model_retired"
      query    = "sum(increase(factory_steps_ended_total{outcome=\"failed\",code=\"model_retired\"}[10m])) > 0"
      duration = "0s"
      doc      = "A configured model ID answers as retired (404): every job that needs it fails that step. Run `factory models check`, change `models` in the tfvars and apply; see ${local.runbook}, \"A model retired\"."
    }
    daily_cost = {
      name     = "model cost today"
      severity = "WARNING"
      title    = "Model calls cost more than ${var.alert_thresholds.daily_cost_usd} USD in 24 hours"
      query    = "sum(increase(factory_model_cost_usd_total[1d])) > ${var.alert_thresholds.daily_cost_usd}"
      duration = "0s"
      doc      = "Model spending is above the daily threshold. The dashboard shows cost by model; per-owner daily budgets and rate limits bound it. See ${local.runbook}."
    }
  }
}

resource "google_monitoring_alert_policy" "metric" {
  for_each = local.promql_alerts

  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): ${each.value.name}"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = var.notification_channels

  conditions {
    display_name = each.value.title

    condition_prometheus_query_language {
      query               = each.value.query
      duration            = each.value.duration
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.doc
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): dead letters present"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "A dead-letter hold subscription has messages"

    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.dead_letter_hold_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "60s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Pub/Sub gave up on messages after ${local.push_retry.max_delivery_attempts} deliveries. Read them from the hold subscription and drain it: ${local.runbook}, \"Draining dead letters\"."
  }
}

resource "google_monitoring_alert_policy" "backlog_age" {
  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): work waiting too long"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "Oldest unacked message of a push subscription older than ${var.alert_thresholds.backlog_age_seconds} s"

    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.push_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.backlog_age_seconds
      duration        = "300s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A worker falls behind or keeps failing (quota, model errors, a failing region). Check its instance count against max_instances and its error logs; see ${local.runbook}, \"Raising quotas\" and \"A region failing over\"."
  }
}

resource "google_monitoring_alert_policy" "api_latency" {
  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): API p95 latency"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "API p95 latency above ${var.alert_thresholds.api_latency_p95_ms} ms for 10 minutes"

    condition_threshold {
      filter          = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.api_run_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.api_latency_p95_ms
      duration        = "600s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_PERCENTILE_95"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The API is slow in a region. Check Firestore latency, cold starts (min_instances) and Cloud Armor throttling; see ${local.runbook}."
  }
}
