#!/usr/bin/env bash
# Checks the Terraform configuration offline (make tf-validate):
#   1. builds, once, the hashicorp/google provider 8.0.0 from the Go module
#      proxy into a filesystem mirror, and tflint v0.64.0, both in a cache
#      outside the repository (the first build takes about 6 minutes and
#      2 GB of memory; later runs reuse it);
#   2. terraform fmt -check, terraform init -backend=false and terraform
#      validate (in a copy, so no .terraform lands in the tree);
#   3. tflint with its bundled Terraform ruleset;
#   4. the Go tests of test/deploy that read or run Terraform, with
#      TF_VALIDATE=1: policy checks, broken copies that validate must
#      reject, and an offline plan of every example environment.
#
# Environment: FACTORY_TF_CACHE overrides the cache folder
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/content-factory/terraform).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.26.11}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

cache="${FACTORY_TF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/content-factory/terraform}"
export FACTORY_TF_CACHE="$cache"

# The proxy serves the provider only under this pseudo-version: the
# commit of 2026-08-28 whose CHANGELOG tops out at 8.0.0 (tagged versions
# are not available from it).
provider_version="8.0.0"
provider_module="github.com/hashicorp/terraform-provider-google@v1.20.1-0.20260828184646-f3721fb45fa3"
tflint_module="github.com/terraform-linters/tflint@v0.64.0"

mirror="$cache/mirror"
provider_dir="$mirror/registry.terraform.io/hashicorp/google/$provider_version/linux_amd64"
provider_bin="$provider_dir/terraform-provider-google_v$provider_version"
tflint_bin="$cache/tflint/tflint"

step() { printf '\n== %s\n' "$*"; }

# install MODULE BIN: go install MODULE into a temporary GOBIN, then move
# the binary to BIN; a marker in the cache records the module, so a new
# version is built again.
install() {
  local module="$1" bin="$2" name tmp start marker
  name="$(basename "${module%@*}")"
  marker="$cache/$(basename "$bin").module"
  if [[ -x "$bin" && "$(cat "$marker" 2>/dev/null)" == "$module" ]]; then
    echo "cached: $bin"
    return
  fi
  tmp="$(mktemp -d "$cache/build.XXXXXX")"
  start=$SECONDS
  echo "building $module (once; cached in $cache)"
  (cd "$tmp" && GOBIN="$tmp" go install "$module")
  mkdir -p "$(dirname "$bin")"
  mv "$tmp/$name" "$bin"
  echo "$module" >"$marker"
  rm -rf "$tmp"
  echo "built $bin in $((SECONDS - start)) s"
}

mkdir -p "$cache"
step "tools"
install "$provider_module" "$provider_bin"
install "$tflint_module" "$tflint_bin"
command -v terraform >/dev/null || { echo "terraform is not installed" >&2; exit 1; }

cat >"$cache/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/google"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/google"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$cache/terraformrc"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
terraform version | sed -n 1p

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/terraform" "$work/terraform"
rm -rf "$work/terraform/.terraform" "$work/terraform/.terraform.lock.hcl"

step "terraform fmt -check -recursive"
terraform fmt -check -recursive -diff "$repo/terraform"

step "terraform init -backend=false && terraform validate"
start=$SECONDS
(cd "$work/terraform" && terraform init -backend=false -input=false -no-color >/dev/null && terraform validate -no-color)
echo "init and validate: $((SECONDS - start)) s"

step "tflint (bundled terraform ruleset)"
"$tflint_bin" --version | sed -n 1p
(cd "$work/terraform" && "$tflint_bin" --recursive --config="$work/terraform/.tflint.hcl" --no-color)
echo "tflint: no issues"

step "go test ./test/deploy (policy, broken copies, offline plan)"
TF_VALIDATE=1 go test -count=1 -run 'TestTerraform|TestPolicy' ./test/deploy/

step "terraform checks passed"
