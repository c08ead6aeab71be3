#!/usr/bin/env bash
# Runs one real job through a deployed API and fails unless it succeeds:
# POST /v1/jobs with an API key, poll the job until it ends, then download
# one artifact through its signed URL.
#
# Usage: scripts/smoke-test.sh [API_URL]
#
# Environment:
#   FACTORY_API_URL       the API's base URL, if not given as an argument
#   FACTORY_API_KEY       the API key; when unset it is read from Secret
#                         Manager: secret SMOKE_KEY_SECRET (default
#                         smoke-test-api-key) of GOOGLE_CLOUD_PROJECT
#   SMOKE_REGION          pin the job to one region (X-Factory-Region header,
#                         routed by the load balancer)
#   SMOKE_CANDIDATE       send the job to the API revision a deployment
#                         brings in that region, before it takes traffic
#                         (X-Factory-Candidate header: the revision tagged
#                         "candidate"; the region's workers run the steps)
#   SMOKE_FORMATS         comma-separated formats (default one_pager, which
#                         pulls in the outline and the package)
#   SMOKE_TIMEOUT         seconds to wait for the job (default 900)
#   SMOKE_ID              idempotency key (default: one per run)
set -euo pipefail

api="${1:-${FACTORY_API_URL:-}}"
[[ -n "$api" ]] || { echo "smoke-test: give the API URL as an argument or FACTORY_API_URL" >&2; exit 2; }
api="${api%/}"
formats="${SMOKE_FORMATS:-one_pager}"
timeout="${SMOKE_TIMEOUT:-900}"
idem="${SMOKE_ID:-smoke-$(date -u +%Y%m%dT%H%M%SZ)-$$}"

key="${FACTORY_API_KEY:-}"
if [[ -z "$key" ]]; then
  : "${GOOGLE_CLOUD_PROJECT:?set FACTORY_API_KEY, or GOOGLE_CLOUD_PROJECT to read the key from Secret Manager}"
  key="$(gcloud secrets versions access latest --secret="${SMOKE_KEY_SECRET:-smoke-test-api-key}" --project="$GOOGLE_CLOUD_PROJECT")"
fi

# json EXPR: evaluate a Python expression over the JSON document on stdin
# (bound to d); python3 ships with the Google Cloud CLI image.
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$1"; }

headers=(-H "Authorization: Bearer $key" -H "Accept: application/json")
if [[ -n "${SMOKE_REGION:-}" ]]; then
  headers+=(-H "X-Factory-Region: $SMOKE_REGION")
fi
if [[ -n "${SMOKE_CANDIDATE:-}" ]]; then
  headers+=(-H "X-Factory-Candidate: $SMOKE_CANDIDATE")
fi

formats_json="$(python3 -c 'import json,sys; print(json.dumps([f for f in sys.argv[1].split(",") if f]))' "$formats")"
body="$(cat <<EOF
{
  "topic": "Smoke test: how photosynthesis works",
  "source_text": "Photosynthesis is the process by which plants, algae and some bacteria turn light energy into chemical energy. In the light-dependent reactions, chlorophyll absorbs light and water is split, releasing oxygen. In the Calvin cycle, carbon dioxide is fixed into sugars using the ATP and NADPH made by the light reactions.",
  "level": "beginner",
  "formats": $formats_json
}
EOF
)"

echo "smoke-test: POST $api/v1/jobs (formats $formats${SMOKE_REGION:+, region $SMOKE_REGION}${SMOKE_CANDIDATE:+, candidate revision in $SMOKE_CANDIDATE})"
resp="$(mktemp)"
trap 'rm -f "$resp"' EXIT
code="$(curl -sS -o "$resp" -w '%{http_code}' -X POST "${headers[@]}" \
  -H "Content-Type: application/json" -H "Idempotency-Key: $idem" \
  --data "$body" "$api/v1/jobs")"
if [[ "$code" != "202" && "$code" != "200" ]]; then
  echo "smoke-test: submit answered $code:" >&2
  cat "$resp" >&2
  exit 1
fi
id="$(json 'd["id"]' <"$resp")"
echo "smoke-test: job $id accepted"

deadline=$((SECONDS + timeout))
delay=2
status=""
while ((SECONDS < deadline)); do
  code="$(curl -sS -o "$resp" -w '%{http_code}' "${headers[@]}" "$api/v1/jobs/$id")"
  if [[ "$code" != "200" ]]; then
    echo "smoke-test: GET job answered $code" >&2
    cat "$resp" >&2
  else
    status="$(json 'd["status"]' <"$resp")"
    progress="$(json 'round(100 * d.get("progress", 0))' <"$resp")"
    echo "smoke-test: job $id $status ($progress%)"
    case "$status" in
      succeeded) break ;;
      partial | failed | cancelled)
        echo "smoke-test: job $id ended $status:" >&2
        json '[{"step": s["name"], "status": s["status"], "error": s.get("error")} for s in d["steps"]]' <"$resp" >&2
        exit 1
        ;;
    esac
  fi
  sleep "$delay"
  delay=$((delay < 15 ? delay * 2 : 15))
done
if [[ "$status" != "succeeded" ]]; then
  echo "smoke-test: job $id did not end within ${timeout}s (last status: ${status:-unknown})" >&2
  exit 1
fi

# One artifact through the API's redirect to a signed URL (proves that
# the API's account can sign through the IAM Credentials API). curl drops
# the Authorization header when the redirect leaves the API's host.
url="$(json '[a["url"] for a in d["artifacts"]][0] if d["artifacts"] else ""' <"$resp")"
if [[ -z "$url" ]]; then
  echo "smoke-test: job $id succeeded with no artifact" >&2
  exit 1
fi
size="$(curl -fsSL -o /dev/null -w '%{size_download}' "${headers[@]}" "$url")"
echo "smoke-test: downloaded $url ($size bytes)"
echo "smoke-test: passed"
