# The API's public front: a global external Application Load Balancer
# with a serverless NEG per region (requests go to the nearest healthy
# region), a Google-managed certificate, modern TLS, HTTP redirected to
# HTTPS and Cloud Armor (armor.tf) on every backend. The API functions
# accept traffic only from it (ingress ALLOW_INTERNAL_AND_GCLB).
#
# A request may pin a region with the header X-Factory-Region: <region>
# (smoke tests of a region, failover drills), or ask for the revision a
# deployment brings before it takes any traffic with X-Factory-Candidate:
# <region> (the API's revision tagged "candidate" in that region: the
# deploy pipeline's first smoke test; scripts/traffic tags it).

locals {
  # region => "API/region" (the module instance).
  api_instances = { for key, inst in local.function_instances : inst.region => key if inst.name == "API" }

  # Regions the global backend sends requests to: all but the drained ones
  # (docs/runbook.md, "A region failing over"). A drained region still
  # runs, finishes its jobs and answers pinned requests.
  serving_regions = [for r in var.regions : r if !contains(var.drained_regions, r)]

  # One serverless NEG, and one backend service, per region for the API
  # ("<region>") and per region for its candidate revision
  # ("candidate-<region>", the revision tagged "candidate").
  api_negs = merge(
    { for r, key in local.api_instances : r => { instance = key, region = r, tag = null } },
    { for r, key in local.api_instances : "candidate-${r}" => { instance = key, region = r, tag = "candidate" } },
  )

  # The header routes of the URL map, by priority (zero-padded, so the
  # rules are listed in priority order): X-Factory-Region pins a region,
  # X-Factory-Candidate reaches a region's candidate.
  api_routes = merge(
    { for i, r in var.regions : format("%03d", i + 1) => { header = "X-Factory-Region", region = r, neg = r } },
    { for i, r in var.regions : format("%03d", length(var.regions) + i + 1) => { header = "X-Factory-Candidate", region = r, neg = "candidate-${r}" } },
  )
}

resource "google_compute_global_address" "api" {
  project = var.project_id
  name    = "${var.name_prefix}-api"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_region_network_endpoint_group" "api" {
  for_each = local.api_negs

  project               = var.project_id
  name                  = "${var.name_prefix}-api-${each.key}"
  region                = each.value.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = module.function[each.value.instance].name
    tag     = each.value.tag
  }
}

resource "google_compute_backend_service" "api" {
  project               = var.project_id
  name                  = "${var.name_prefix}-api"
  description           = "The API in every region."
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.api.id

  dynamic "backend" {
    for_each = local.serving_regions
    content {
      group = google_compute_region_network_endpoint_group.api[backend.value].id
    }
  }

  # A region whose API keeps answering 5xx is taken out of rotation for a
  # while (serverless NEGs have no health checks).
  outlier_detection {
    consecutive_errors                    = 5
    enforcing_consecutive_errors          = 100
    consecutive_gateway_failure           = 3
    enforcing_consecutive_gateway_failure = 100
    max_ejection_percent                  = 50

    interval {
      seconds = 10
    }
    base_ejection_time {
      seconds = 60
    }
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

# The API in one region only, or its candidate revision there; between
# deployments the candidate tag names the revision that serves.
resource "google_compute_backend_service" "api_region" {
  for_each = local.api_negs

  project               = var.project_id
  name                  = "${var.name_prefix}-api-${each.key}"
  description           = each.value.tag == null ? "The API in ${each.value.region} only." : "The API's candidate revision in ${each.value.region} (X-Factory-Candidate)."
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.api.id

  backend {
    group = google_compute_region_network_endpoint_group.api[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_url_map" "api" {
  project         = var.project_id
  name            = "${var.name_prefix}-api"
  default_service = google_compute_backend_service.api.id

  host_rule {
    hosts        = ["*"]
    path_matcher = "api"
  }

  path_matcher {
    name            = "api"
    default_service = google_compute_backend_service.api.id

    dynamic "route_rules" {
      for_each = local.api_routes
      content {
        priority = tonumber(route_rules.key)
        service  = google_compute_backend_service.api_region[route_rules.value.neg].id

        match_rules {
          prefix_match = "/"

          header_matches {
            header_name = route_rules.value.header
            exact_match = route_rules.value.region
          }
        }
      }
    }
  }
}

# A new certificate is made before the old one goes when the domain changes.
resource "google_compute_managed_ssl_certificate" "api" {
  project = var.project_id
  name    = "${var.name_prefix}-api-${substr(sha1(var.api_domain), 0, 8)}"

  managed {
    domains = [var.api_domain]
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_ssl_policy" "modern" {
  project         = var.project_id
  name            = "${var.name_prefix}-modern-tls"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_target_https_proxy" "api" {
  project          = var.project_id
  name             = "${var.name_prefix}-api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.modern.id
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project_id
  name                  = "${var.name_prefix}-api-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.api.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.api.id
}

resource "google_compute_url_map" "redirect" {
  project = var.project_id
  name    = "${var.name_prefix}-api-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_target_http_proxy" "redirect" {
  project = var.project_id
  name    = "${var.name_prefix}-api-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${var.name_prefix}-api-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.api.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
}
