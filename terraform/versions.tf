terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "8.0.0"
    }
  }

  # State lives in a bucket made once by hand (docs/deploy.md):
  #   terraform init -backend-config="bucket=PROJECT-tfstate"
  backend "gcs" {
    prefix = "content-factory"
  }
}

provider "google" {
  project = var.project_id
  region  = var.regions[0]

  # Bill API calls (the billing budget API in particular) to the project,
  # not to the caller's default quota project.
  user_project_override = true
  billing_project       = var.project_id

  default_labels = merge(var.labels, {
    app         = "content-factory"
    environment = var.environment
  })
}

# The project number names the Pub/Sub service agent and the budget's
# project; it is looked up unless given.
data "google_project" "this" {
  count = var.project_number == null ? 1 : 0

  project_id = var.project_id
}

locals {
  project_number = var.project_number != null ? var.project_number : data.google_project.this[0].number
}
