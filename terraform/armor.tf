# Cloud Armor in front of the API: Google's preconfigured WAF rules, a
# per-client-IP rate limit and adaptive protection against layer-7 DDoS.
# Rules are evaluated by priority (lowest first) and the first match
# decides, so the WAF rules come before the rate limit, whose conforming
# requests are allowed at once.

locals {
  # Preconfigured WAF rule sets at sensitivity 1 (fewest false positives).
  # body: the set inspects request bodies. Job submissions carry user text
  # (lecture notes, articles, code samples) that the factory only ever
  # treats as data, and that body-inspecting rules would misread as
  # attacks, so those sets skip POST /v1/jobs; the others see everything.
  waf_rules = {
    sqli              = { set = "sqli-v33-stable", body = true }
    xss               = { set = "xss-v33-stable", body = true }
    lfi               = { set = "lfi-v33-stable", body = true }
    rfi               = { set = "rfi-v33-stable", body = true }
    rce               = { set = "rce-v33-stable", body = true }
    methodenforcement = { set = "methodenforcement-v33-stable", body = false }
    scannerdetection  = { set = "scannerdetection-v33-stable", body = false }
    protocolattack    = { set = "protocolattack-v33-stable", body = false }
    sessionfixation   = { set = "sessionfixation-v33-stable", body = false }
  }

  waf_submission_exception = "!(request.method == 'POST' && request.path == '/v1/jobs')"
}

resource "google_compute_security_policy" "api" {
  project     = var.project_id
  name        = "${var.name_prefix}-api"
  description = "WAF, rate limit and DDoS protection of the Content Factory API."
  type        = "CLOUD_ARMOR"

  advanced_options_config {
    json_parsing = "STANDARD"
    log_level    = "NORMAL"
  }

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable = true
    }
  }

  dynamic "rule" {
    for_each = { for i, name in sort(keys(local.waf_rules)) : name => merge(local.waf_rules[name], { priority = 1000 + i }) }
    content {
      priority    = rule.value.priority
      action      = "deny(403)"
      preview     = var.waf_preview
      description = "Preconfigured WAF: ${rule.value.set}"

      match {
        expr {
          expression = rule.value.body ? "evaluatePreconfiguredWaf('${rule.value.set}', {'sensitivity': 1}) && ${local.waf_submission_exception}" : "evaluatePreconfiguredWaf('${rule.value.set}', {'sensitivity': 1})"
        }
      }
    }
  }

  rule {
    priority    = 2000
    action      = "throttle"
    description = "At most ${var.rate_limit_per_minute} requests a minute from one client IP."

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }

    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"

      rate_limit_threshold {
        count        = var.rate_limit_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    priority    = 2147483647
    action      = "allow"
    description = "Everything else."

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }

  depends_on = [google_project_service.enabled]
}
