# tflint with its bundled Terraform ruleset (the Google ruleset is not
# available offline). scripts/tf-validate.sh runs it with --recursive.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

# The root module is one file per concern (apis.tf, pubsub.tf, …) rather
# than a main.tf, as the project's Terraform style asks.
rule "terraform_standard_module_structure" {
  enabled = false
}
