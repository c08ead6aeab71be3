variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "The region this instance of the function runs in."
  type        = string
}

variable "name" {
  description = "The function's name, which is also the name of its Cloud Run service (lower case, same in every region)."
  type        = string
}

variable "entry_point" {
  description = "The function's entry point, as the code registers it with the functions framework (queue.Functions[].Name)."
  type        = string
}

variable "description" {
  description = "What the function does."
  type        = string
  default     = ""
}

variable "source_bucket" {
  description = "The bucket holding the function's staged source zip."
  type        = string
}

variable "source_object" {
  description = "The staged source zip (scripts/stage-functions.sh), named by its sha256."
  type        = string
}

variable "service_account_email" {
  description = "The function's own runtime service account (one per function, shared by its regions). Never the default compute account."
  type        = string

  validation {
    condition     = !endswith(var.service_account_email, "-compute@developer.gserviceaccount.com")
    error_message = "The default compute service account must not run a function."
  }
}

variable "build_service_account" {
  description = "The service account Cloud Build uses to build the function, as projects/P/serviceAccounts/EMAIL."
  type        = string
}

variable "timeout_seconds" {
  description = "The longest one invocation may run (540 at most for functions Pub/Sub pushes to)."
  type        = number
}

variable "memory" {
  description = "Memory of one instance, such as 512Mi or 2Gi."
  type        = string
}

variable "cpu" {
  description = "vCPUs of one instance, such as \"1\" or \"2\"."
  type        = string
}

variable "concurrency" {
  description = "Requests one instance serves at once."
  type        = number
}

variable "min_instances" {
  description = "Instances kept warm."
  type        = number
}

variable "max_instances" {
  description = "The most instances the function scales to in this region."
  type        = number
}

variable "ingress_settings" {
  description = "Who may reach the function: ALLOW_INTERNAL_ONLY (Pub/Sub push and Cloud Scheduler of the project) or ALLOW_INTERNAL_AND_GCLB (the load balancer)."
  type        = string

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "environment" {
  description = "Environment variables of the function."
  type        = map(string)
}

variable "secret_environment" {
  description = "Environment variables read from Secret Manager (latest version), as variable name => secret id."
  type        = map(string)
  default     = {}
}

variable "invokers" {
  description = "Members allowed to invoke the function (roles/run.invoker on its service), keyed by a name known at plan time."
  type        = map(string)
}

variable "labels" {
  description = "Labels of the function."
  type        = map(string)
  default     = {}
}
