# What operators watch: log-based metrics made from the functions'
# structured log lines, a dashboard and alert policies that notify
# var.notification_channels. The budget alert is in budget.tf.
#
# Log lines the metrics read (shared/pipeline/runner.go):
#   "model call"     backend, model, prompt_tokens, output_tokens, cost_usd
#   "job ended"      status, cost_usd
#   "step succeeded" duration_ms, step, job_id
#   "step failed"    code, step, job_id

locals {
  # Every function's logs: Cloud Run functions log as Cloud Run revisions.
  function_log_filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=~\"^${var.name_prefix}-\""

  api_service = local.functions["API"].service_name

  log_metrics = {
    factory_model_prompt_tokens = {
      description = "Prompt tokens of each model call."
      message     = "model call"
      value       = "EXTRACT(jsonPayload.prompt_tokens)"
      unit        = "1"
      scale       = 1
      labels = {
        backend = "EXTRACT(jsonPayload.backend)"
        model   = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_model_output_tokens = {
      description = "Output tokens of each model call."
      message     = "model call"
      value       = "EXTRACT(jsonPayload.output_tokens)"
      unit        = "1"
      scale       = 1
      labels = {
        backend = "EXTRACT(jsonPayload.backend)"
        model   = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_model_cost_usd = {
      description = "Cost in US dollars of each model call, from the price table."
      message     = "model call"
      value       = "EXTRACT(jsonPayload.cost_usd)"
      unit        = "{USD}"
      scale       = 0.0001
      labels = {
        backend = "EXTRACT(jsonPayload.backend)"
        model   = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_step_duration = {
      description = "How long a step took to run, by step and function."
      message     = "step succeeded"
      value       = "EXTRACT(jsonPayload.duration_ms)"
      unit        = "ms"
      scale       = 10
      labels = {
        step    = "EXTRACT(jsonPayload.step)"
        service = "EXTRACT(resource.labels.service_name)"
      }
    }
  }

  log_counters = {
    factory_jobs_ended = {
      description = "Jobs that ended, by outcome."
      message     = "job ended"
      labels = {
        status = "EXTRACT(jsonPayload.status)"
      }
    }
    factory_steps_failed = {
      description = "Steps that failed, by step and error code."
      message     = "step failed"
      labels = {
        step = "EXTRACT(jsonPayload.step)"
        code = "EXTRACT(jsonPayload.code)"
      }
    }
  }

  dead_letter_hold_filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=monitoring.regex.full_match(\".*-dead-letter-hold\")"
  push_filter             = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=monitoring.regex.full_match(\".*-push\")"
  api_run_filter          = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=\"${local.api_service}\""

  # PromQL names of the log-based metrics (logging.googleapis.com/user/X).
  promql_cost   = "logging_googleapis_com:user_factory_model_cost_usd_sum"
  promql_prompt = "logging_googleapis_com:user_factory_model_prompt_tokens_sum"
  promql_output = "logging_googleapis_com:user_factory_model_output_tokens_sum"
}

resource "google_logging_metric" "distribution" {
  for_each = local.log_metrics

  project          = var.project_id
  name             = each.key
  description      = each.value.description
  filter           = "${local.function_log_filter} AND jsonPayload.message=\"${each.value.message}\""
  value_extractor  = each.value.value
  label_extractors = each.value.labels

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = each.value.unit

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 40
      growth_factor      = 2
      scale              = each.value.scale
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_logging_metric" "counter" {
  for_each = local.log_counters

  project          = var.project_id
  name             = each.key
  description      = each.value.description
  filter           = "${local.function_log_filter} AND jsonPayload.message=\"${each.value.message}\""
  label_extractors = each.value.labels

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_dashboard" "factory" {
  project = var.project_id

  dashboard_json = jsonencode({
    displayName = "Content Factory (${var.environment})"
    mosaicLayout = {
      columns = 48
      tiles = [
        {
          xPos = 0, yPos = 0, width = 24, height = 16
          widget = {
            title = "API requests per second, by response class"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_AREA"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"run.googleapis.com/request_count\" AND ${local.api_run_filter}"
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = "ALIGN_RATE"
                      crossSeriesReducer = "REDUCE_SUM"
                      groupByFields      = ["metric.label.response_code_class"]
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 24, yPos = 0, width = 24, height = 16
          widget = {
            title = "API latency (p50, p95, p99)"
            xyChart = {
              dataSets = [for p in ["50", "95", "99"] : {
                plotType           = "LINE"
                legendTemplate     = "p${p}"
                minAlignmentPeriod = "60s"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"run.googleapis.com/request_latencies\" AND ${local.api_run_filter}"
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = "ALIGN_DELTA"
                      crossSeriesReducer = "REDUCE_PERCENTILE_${p}"
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 16, width = 24, height = 16
          widget = {
            title = "Jobs ended, by outcome (per 5 minutes)"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_BAR"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"logging.googleapis.com/user/factory_jobs_ended\""
                    aggregation = {
                      alignmentPeriod    = "300s"
                      perSeriesAligner   = "ALIGN_SUM"
                      crossSeriesReducer = "REDUCE_SUM"
                      groupByFields      = ["metric.label.status"]
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 24, yPos = 16, width = 24, height = 16
          widget = {
            title = "Step latency p95 by function (ms)"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"logging.googleapis.com/user/factory_step_duration\""
                    aggregation = {
                      alignmentPeriod    = "300s"
                      perSeriesAligner   = "ALIGN_DELTA"
                      crossSeriesReducer = "REDUCE_PERCENTILE_95"
                      groupByFields      = ["metric.label.service"]
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 32, width = 24, height = 16
          widget = {
            title = "Dead letters waiting (hold subscriptions)"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_AREA"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND ${local.dead_letter_hold_filter}"
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = "ALIGN_MAX"
                      crossSeriesReducer = "REDUCE_SUM"
                      groupByFields      = ["resource.label.subscription_id"]
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 24, yPos = 32, width = 24, height = 16
          widget = {
            title = "Oldest unacked message age by push subscription (s)"
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND ${local.push_filter}"
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = "ALIGN_MAX"
                      crossSeriesReducer = "REDUCE_MAX"
                      groupByFields      = ["resource.label.subscription_id"]
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 48, width = 24, height = 16
          widget = {
            title = "Model tokens per minute, by model"
            xyChart = {
              dataSets = [
                {
                  plotType        = "LINE"
                  timeSeriesQuery = { prometheusQuery = "label_replace(sum by (model) (rate(${local.promql_prompt}[5m])) * 60, \"kind\", \"prompt\", \"\", \"\")" }
                },
                {
                  plotType        = "LINE"
                  timeSeriesQuery = { prometheusQuery = "label_replace(sum by (model) (rate(${local.promql_output}[5m])) * 60, \"kind\", \"output\", \"\", \"\")" }
                },
              ]
            }
          }
        },
        {
          xPos = 24, yPos = 48, width = 24, height = 16
          widget = {
            title = "Model cost, US dollars per hour, by model"
            xyChart = {
              dataSets = [{
                plotType        = "STACKED_AREA"
                timeSeriesQuery = { prometheusQuery = "sum by (model) (increase(${local.promql_cost}[1h]))" }
              }]
            }
          }
        },
        {
          xPos = 0, yPos = 64, width = 24, height = 16
          widget = {
            title = "Steps failed, by error code (per 5 minutes)"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_BAR"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"logging.googleapis.com/user/factory_steps_failed\""
                    aggregation = {
                      alignmentPeriod    = "300s"
                      perSeriesAligner   = "ALIGN_SUM"
                      crossSeriesReducer = "REDUCE_SUM"
                      groupByFields      = ["metric.label.code"]
                    }
                  }
                }
              }]
            }
          }
        },
        {
          xPos = 24, yPos = 64, width = 24, height = 16
          widget = {
            title = "Instances by function"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_AREA"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"run.googleapis.com/container/instance_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.service_name=monitoring.regex.full_match(\"${var.name_prefix}-.*\")"
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = "ALIGN_MAX"
                      crossSeriesReducer = "REDUCE_SUM"
                      groupByFields      = ["resource.label.service_name"]
                    }
                  }
                }
              }]
            }
          }
        },
      ]
    }
  })

  depends_on = [google_logging_metric.distribution, google_logging_metric.counter]
}

locals {
  runbook = "docs/runbook.md in the repository"
}

resource "google_monitoring_alert_policy" "api_errors" {
  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): API error rate"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "More than ${var.alert_thresholds.api_error_ratio * 100}% of API requests fail with 5xx for 5 minutes"

    condition_prometheus_query_language {
      query               = "sum(rate(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\",service_name=\"${local.api_service}\",response_code_class=\"5xx\"}[5m])) / sum(rate(run_googleapis_com:request_count{monitored_resource=\"cloud_run_revision\",service_name=\"${local.api_service}\"}[5m])) > ${var.alert_thresholds.api_error_ratio}"
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The API answers 5xx. Check the API's logs (severity>=ERROR) and the dependencies it calls (Firestore, Pub/Sub). See ${local.runbook}."
  }
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

resource "google_monitoring_alert_policy" "daily_cost" {
  project               = var.project_id
  display_name          = "Content Factory (${var.environment}): model cost today"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "Model calls cost more than ${var.alert_thresholds.daily_cost_usd} USD in 24 hours"

    condition_prometheus_query_language {
      query               = "sum(increase(${local.promql_cost}[1d])) > ${var.alert_thresholds.daily_cost_usd}"
      duration            = "0s"
      evaluation_interval = "300s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Model spending is above the daily threshold. The dashboard shows cost by model; per-user daily budgets and rate limits bound it. See ${local.runbook}."
  }

  depends_on = [google_logging_metric.distribution]
}
