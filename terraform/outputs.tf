output "api_url" {
  description = "The API's public URL (through the load balancer)."
  value       = "https://${var.api_domain}"
}

output "api_ip_address" {
  description = "The load balancer's address: point the api_domain A record here."
  value       = google_compute_global_address.api.address
}

output "api_function_urls" {
  description = "The API function of each region (reachable only through the load balancer)."
  value       = { for region, key in local.api_instances : region => module.function[key].uri }
}

output "function_services" {
  description = "Cloud Run service of every function instance, keyed Name/region (for traffic shifts)."
  value       = { for key, m in module.function : key => m.name }
}

output "artifact_bucket" {
  description = "The artifact bucket."
  value       = google_storage_bucket.artifacts.name
}

output "source_bucket" {
  description = "The bucket of the staged function sources."
  value       = google_storage_bucket.sources.name
}

output "topics" {
  description = "Every topic, by region: worker topics, content-requests, job-events and dead-letter topics."
  value = {
    for r in var.regions : r => sort(concat(
      [for k, t in local.topics : k if t.region == r],
      [for k, t in local.dead_letter_topics : k if t.region == r],
    ))
  }
}

output "content_request_topics" {
  description = "Where other systems publish content requests, by region."
  value       = { for k, t in local.topics : t.region => google_pubsub_topic.topic[k].id if t.id == "content-requests" }
}

output "job_event_topics" {
  description = "Where job events are published, by region."
  value       = { for k, t in local.topics : t.region => google_pubsub_topic.topic[k].id if t.id == "job-events" }
}

output "deployer_service_account" {
  description = "The account the deploy pipeline runs as (cloudbuild.yaml)."
  value       = google_service_account.deployer.email
}

output "regions" {
  description = "The regions, in order: a deployment is smoke-tested in the first (the canary), then shifted to the others one at a time."
  value       = var.regions
}

output "canary_region" {
  description = "The region a deployment is smoke-tested in first."
  value       = var.regions[0]
}

output "analytics_dataset" {
  description = "The BigQuery dataset of job events and their views (success_rate_by_format, cost_per_owner_per_day, p95_job_time, prompt_versions)."
  value       = google_bigquery_dataset.analytics.id
}
