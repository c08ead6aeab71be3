output "name" {
  description = "The function's name (and its Cloud Run service's)."
  value       = google_cloudfunctions2_function.this.name
}

output "uri" {
  description = "The function's HTTPS URL (its Cloud Run service URL)."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "service" {
  description = "The function's Cloud Run service, as projects/P/locations/R/services/NAME."
  value       = google_cloudfunctions2_function.this.service_config[0].service
}
