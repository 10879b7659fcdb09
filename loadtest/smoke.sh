#!/usr/bin/env bash
# Smoke run of every k6 script against a relay this script starts and stops (sim pipeline,
# every carrier of loadtest/relay.yaml): a few seconds each, failing on any crossed
# threshold. CI runs it after the tests.
#
#   loadtest/smoke.sh                 # k6 from $K6, else from PATH
#   K6=/usr/local/bin/k6 loadtest/smoke.sh
#   SMOKE_REPORTS=out/ loadtest/smoke.sh   # keep the JSON/HTML reports there
#
# Latency thresholds are loosened (SMOKE_LATENCY_MS, default 3000): a smoke proves that
# every script and every carrier works end to end, not how fast a shared CI machine is.
# Correctness thresholds (calls OK, checks, intact frames, marks acked, heard text) stay.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/relay.sh
. loadtest/lib/relay.sh
k6_or_exit 0 "loadtest smoke: skipped: no k6 (set K6 to its path or put k6 on PATH)"
"$k6" version

work=$(mktemp -d "${TMPDIR:-/tmp}/voice-relay-smoke.XXXXXX")
trap cleanup EXIT

reports=${SMOKE_REPORTS:-$work/reports}
mkdir -p "$reports"
latency=${SMOKE_LATENCY_MS:-3000}
admin="vra_smoke-admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# The relay: ports chosen by the OS, read back from its "relay started" log line.
start_relay --admin-keys "$admin"
echo "loadtest smoke: relay media ws://$media, gateway $gateway"

common=(-e "RELAY_URL=ws://$media" -e "GATEWAY_URL=$gateway")
calls=(-e VUS=2 -e ITERATIONS=1 -e "FIRST_AUDIO_P95_MS=$latency" -e "V2V_P95_MS=$latency"
  -e "CLIENT_V2V_P95_MS=$latency")
carrier_auth=(-e TWILIO_AUTH_TOKEN=loadtest-twilio-auth-token
  -e TELNYX_STREAM_TOKEN=loadtest-telnyx-stream-token
  -e EXOTEL_BASIC=loadtest:loadtest-exotel-password)

failed=()
passed=()
# run NAME SCRIPT ARGS...: one k6 run, its report under $reports/NAME.{json,html}.
run() {
  local name=$1 script=$2
  shift 2
  echo "::: $name"
  local start=$SECONDS
  if "$k6" run --quiet "${common[@]}" -e "REPORT=$reports/$name" "$@" "loadtest/$script" \
    >"$work/$name.out" 2>&1; then
    passed+=("$name ($((SECONDS - start)) s)")
    grep -E '^(  (ok|FAIL) |[a-z-]+: thresholds)' "$work/$name.out" || true
  else
    failed+=("$name")
    cat "$work/$name.out"
  fi
}

run voice-call voice-call.js "${calls[@]}" -e TURNS=2
run voice-call-barge-in voice-call.js "${calls[@]}" -e TURNS=2 -e BARGE_IN_MS=700
for profile in ${SMOKE_IMPAIR:-reorder100 duplicates2 chunks100 loss1}; do
  run "voice-call-$profile" voice-call.js "${calls[@]}" -e TURNS=1 -e "IMPAIR=$profile"
done
for carrier in twilio telnyx vonage plivo exotel asterisk; do
  run "carrier-$carrier" carrier-call.js "${calls[@]}" "${carrier_auth[@]}" -e "CARRIER=$carrier"
done
run carrier-telnyx-reorder100 carrier-call.js "${calls[@]}" "${carrier_auth[@]}" -e CARRIER=telnyx \
  -e IMPAIR=reorder100
run carrier-twilio-barge-in twilio-caller.js "${calls[@]}" "${carrier_auth[@]}" -e BARGE_IN_MS=700
run churn churn.js -e DURATION=5s -e "READY_P95_MS=$latency"
run gateway gateway.js -e DURATION=5s -e RATE=20 -e "ADMIN_KEY=$admin" \
  -e "HEALTH_P99_MS=$latency" -e "SESSIONS_P99_MS=$latency" -e "TOKENS_P99_MS=$latency"

echo "loadtest smoke: ${#passed[@]} passed: ${passed[*]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "loadtest smoke: FAILED: ${failed[*]} (relay log follows)"
  tail -n 50 "$work/relay.log"
  exit 1
fi
