# Production: two regions of one continent (cells sharing the nam5
# Firestore database and a US dual-region bucket), Gemini on Vertex AI.
#   terraform apply -var-file=envs/prod.tfvars
project_id  = "content-factory-prod"
environment = "prod"
regions     = ["us-central1", "us-east4"]
api_domain  = "factory.example.com"

firestore_location    = "nam5"
bucket_location       = "US"
bucket_data_locations = ["US-CENTRAL1", "US-EAST4"]

ai_backend = "vertex"
models = {
  text            = "gemini-3.8-flash"
  image           = "gemini-3.1-flash-image"
  vertex_location = "global"
}

deletion_protection = true

# The code's defaults, written out; job_deadline, sweep_stale and
# key_cache_ttl are left to the code.
limits = {
  retention_days   = 30
  url_ttl          = "10m"
  rate_per_minute  = 30
  burst            = 10
  max_running      = 20
  daily_budget_usd = 25
}

# API keys only (set to "https://factory.example.com" to accept Google ID
# tokens for the API's URL as well).
id_token_audience = null

function_overrides = {
  API          = { min_instances = 1 }
  GenerateText = { min_instances = 1, max_instances = 100 }
}

rate_limit_per_minute = 300
waf_preview           = false

# Made once with gcloud (docs/deploy.md):
notification_channels = ["projects/content-factory-prod/notificationChannels/1234567890"]
alert_thresholds = {
  daily_cost_usd = 200
}

billing_account = "000000-000000-000000"
monthly_budget = {
  amount   = 3000
  currency = "USD"
}

cors_origins = ["https://factory.example.com", "https://app.example.com"]

request_publishers = []
event_subscribers  = []
