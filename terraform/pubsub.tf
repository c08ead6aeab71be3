# Topics and subscriptions. Regions are cells: every topic exists once per
# region as "<id>-<region>" (functions get FACTORY_TOPIC_SUFFIX=-<region>),
# so a job is processed in the region that accepted it. That includes
# content-requests (other systems publish to the region they want) and
# job-events (they subscribe to every region's).
#
# Each event function gets its own push subscription per region, made
# from the values of queue.Subscriptions: an OIDC identity of its own, the
# retry policy, a dead-letter topic with a pull subscription that holds
# what lands there, and an ack deadline above the function's timeout.

locals {
  # queue.MinBackoff, queue.MaxBackoff, queue.MaxDeliveryAttempts.
  push_retry = {
    minimum_backoff       = "10s"
    maximum_backoff       = "600s"
    max_delivery_attempts = 10
  }

  event_functions = { for name, f in local.functions : name => f if f.topic != null }

  # Topic ids of queue.Topics, dead-letter topics aside.
  topic_ids = sort(distinct(concat([for f in local.event_functions : f.topic], ["job-events"])))

  topics = {
    for pair in setproduct(local.topic_ids, var.regions) :
    "${pair[0]}-${pair[1]}" => { id = pair[0], region = pair[1] }
  }

  push_subscriptions = {
    for pair in setproduct(keys(local.event_functions), var.regions) :
    "${local.functions[pair[0]].topic}-${pair[1]}-push" => {
      function             = pair[0]
      region               = pair[1]
      instance             = "${pair[0]}/${pair[1]}"
      topic                = "${local.functions[pair[0]].topic}-${pair[1]}"
      dead_letter_topic    = "${local.functions[pair[0]].topic}-${pair[1]}-dead-letter"
      ack_deadline_seconds = local.functions[pair[0]].ack_deadline_seconds
      # Service account ids are 6-30 characters: a region becomes a hash.
      account_id = "push-${local.functions[pair[0]].package}-${substr(sha1(pair[1]), 0, 6)}"
    }
  }

  dead_letter_topics = {
    for name, s in local.push_subscriptions : s.dead_letter_topic => { region = s.region, subscription = name }
  }

  # DeadLetter (queue.Subscriptions): a push subscription on every
  # dead-letter topic (the workers', content-requests' and job-events',
  # where NotifyJob's undeliverable events land), with no dead-letter topic
  # of its own. Its hold subscription keeps every dead letter whatever
  # DeadLetter does.
  dead_letter_push_subscriptions = {
    for topic, d in local.dead_letter_topics : "${topic}-push" => {
      topic                = topic
      region               = d.region
      instance             = "DeadLetter/${d.region}"
      ack_deadline_seconds = local.functions["DeadLetter"].ack_deadline_seconds
    }
  }

  event_topics = { for k, t in local.topics : k => t if t.id == "job-events" }

  pubsub_service_agent = "serviceAccount:service-${local.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  push_members             = { for name, s in local.push_subscriptions : s.instance => google_service_account.push[name].member }
  dead_letter_push_regions = toset(var.regions)
  dead_letter_push_members = { for r in local.dead_letter_push_regions : r => google_service_account.dead_letter_push[r].member }
}

resource "google_pubsub_topic" "topic" {
  for_each = local.topics

  project = var.project_id
  name    = each.key

  # A day of messages kept, so a region's traffic can be replayed with
  # seek after an outage (docs/runbook.md).
  message_retention_duration = "86400s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.dead_letter_topics

  project                    = var.project_id
  name                       = each.key
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.topic[each.value.topic].id

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = local.push_retry.minimum_backoff
    maximum_backoff = local.push_retry.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.dead_letter_topic].id
    max_delivery_attempts = local.push_retry.max_delivery_attempts
  }

  # The topic in the path tells the functions framework which topic the
  # message came from (it becomes the CloudEvent's source).
  push_config {
    push_endpoint = "${module.function[each.value.instance].uri}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.push[each.key].email
      audience              = module.function[each.value.instance].uri
    }
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.push_token_creator,
  ]
}

# No dead_letter_policy: these subscriptions read dead-letter topics,
# whose hold subscriptions keep every message (test/deploy checks that).
resource "google_pubsub_subscription" "dead_letter_push" {
  for_each = local.dead_letter_push_subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.dead_letter[each.value.topic].id

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = local.push_retry.minimum_backoff
    maximum_backoff = local.push_retry.maximum_backoff
  }

  push_config {
    push_endpoint = "${module.function[each.value.instance].uri}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.dead_letter_push[each.value.region].email
      audience              = module.function[each.value.instance].uri
    }
  }

  depends_on = [google_service_account_iam_member.push_token_creator]
}

# Nothing dead-lettered is lost: a pull subscription on every dead-letter
# topic (queue.HoldSubscription) keeps it for 14 days, acknowledged
# messages too, so a drained batch can be replayed with seek.
resource "google_pubsub_subscription" "dead_letter_hold" {
  for_each = local.dead_letter_topics

  project = var.project_id
  name    = "${each.key}-hold"
  topic   = google_pubsub_topic.dead_letter[each.key].id

  ack_deadline_seconds       = 60
  message_retention_duration = "1209600s"
  retain_acked_messages      = true

  expiration_policy {
    ttl = ""
  }
}

# Job events are kept the same way for systems that read them late.
resource "google_pubsub_subscription" "event_hold" {
  for_each = local.event_topics

  project = var.project_id
  name    = "${each.key}-hold"
  topic   = google_pubsub_topic.topic[each.key].id

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent forwards undeliverable messages: it publishes
# to the dead-letter topics and acknowledges on the source subscriptions.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = { for t in keys(local.dead_letter_topics) : t => google_pubsub_topic.dead_letter[t].name }

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = { for s in keys(local.push_subscriptions) : s => google_pubsub_subscription.push[s].name }

  project      = var.project_id
  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# Other systems: who may publish content requests, who may subscribe to
# job events.
resource "google_pubsub_topic_iam_member" "request_publisher" {
  for_each = {
    for pair in setproduct([for k, t in local.topics : k if t.id == "content-requests"], var.request_publishers) :
    "${pair[0]}|${pair[1]}" => { topic = pair[0], member = pair[1] }
  }

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}

resource "google_pubsub_topic_iam_member" "event_subscriber" {
  for_each = {
    for pair in setproduct(keys(local.event_topics), var.event_subscribers) :
    "${pair[0]}|${pair[1]}" => { topic = pair[0], member = pair[1] }
  }

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.value.topic].name
  role    = "roles/pubsub.subscriber"
  member  = each.value.member
}
