# A monthly budget on the project's spending (model calls dominate), with
# notifications at 50, 90 and 100 % of actual spend and 100 % of forecast.
# Needs var.billing_account, and the caller needs roles/billing.costsManager
# on that billing account (docs/deploy.md).

resource "google_billing_budget" "project" {
  count = var.billing_account == "" ? 0 : 1

  billing_account = var.billing_account
  display_name    = "Content Factory ${var.environment}"

  budget_filter {
    projects        = ["projects/${local.project_number}"]
    calendar_period = "MONTH"
  }

  amount {
    specified_amount {
      currency_code = var.monthly_budget.currency
      units         = tostring(var.monthly_budget.amount)
    }
  }

  threshold_rules {
    threshold_percent = 0.5
  }
  threshold_rules {
    threshold_percent = 0.9
  }
  threshold_rules {
    threshold_percent = 1.0
  }
  threshold_rules {
    threshold_percent = 1.0
    spend_basis       = "FORECASTED_SPEND"
  }

  all_updates_rule {
    monitoring_notification_channels = var.notification_channels
    disable_default_iam_recipients   = false
  }

  depends_on = [google_project_service.enabled]
}
