#!/usr/bin/env bash
# Stages every function of queue.Functions for deployment: .build/<pkg>/
# (go.mod, go.sum, the shared packages the function needs, its package and
# a generated root package importing it) and a deterministic .build/<pkg>.zip
# that Terraform uploads. See scripts/stage/main.go.
#
# Usage: scripts/stage-functions.sh [OUT_DIR [PACKAGE ...]]   (default .build)
set -euo pipefail
cd "$(dirname "$0")/.."

export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.26.11}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

out="${1:-.build}"
shift || true
exec go run ./scripts/stage -out "$out" "$@"
