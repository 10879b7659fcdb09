#!/usr/bin/env bash
# The load acceptance of the k6 kit, on one machine: a relay this script starts (sim
# pipeline, loadtest/relay.yaml), then
#   voice-call.js    VUS=100 ITERATIONS=1 TURNS=2   (100 calls at once, 2 turns each)
#   twilio-caller.js VUS=50  ITERATIONS=1 TURNS=3   (the relay's turns_total must be 3 x 50)
# each with the scripts' default thresholds. Per run it prints the k6 summary, the relay's
# CPU (process CPU seconds over the run's wall time), its turns and the load average
# before and after: a machine busy with other work starves both k6 and the relay, so read
# the figures against the load. Exits non-zero if a threshold was crossed or the turn count
# is off. Minutes, not seconds: not part of CI.
#
#   loadtest/acceptance.sh                  # k6 from $K6, else from PATH
#   VOICE_VUS=20 TWILIO_VUS=10 loadtest/acceptance.sh   # smaller
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/relay.sh
. loadtest/lib/relay.sh
k6_or_exit 1 "loadtest acceptance: no k6 (set K6 to its path or put k6 on PATH)"
work=$(mktemp -d "${TMPDIR:-/tmp}/voice-relay-acceptance.XXXXXX")
trap cleanup EXIT
start_relay
echo "loadtest acceptance: relay media ws://$media, gateway $gateway (pid $relay_pid)"

# metric NAME: the sum of a Prometheus metric's samples on the relay's /metrics.
metric() {
  curl -fsS "$gateway/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.3f\n", s + 0 }'
}

failed=0
# run NAME SCRIPT EXPECTED_TURNS ARGS...: one k6 run and the relay's view of it.
run() {
  local name=$1 script=$2 expect=$3
  shift 3
  local cpu0 turns0 t0 load0 rc=0
  cpu0=$(metric process_cpu_seconds_total)
  turns0=$(metric relay_turns_total)
  t0=$(date +%s.%N)
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  "$k6" run --quiet -e "RELAY_URL=ws://$media" -e "GATEWAY_URL=$gateway" -e REPORT=none "$@" \
    "loadtest/$script" || rc=$?
  local cpu1 turns1 t1
  cpu1=$(metric process_cpu_seconds_total)
  turns1=$(metric relay_turns_total)
  t1=$(date +%s.%N)
  local turns
  turns=$(awk -v a="$turns0" -v b="$turns1" 'BEGIN { printf "%d", b - a }')
  awk -v n="$name" -v rc="$rc" -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" \
    -v l0="$load0" -v l1="$(cut -d' ' -f1-3 /proc/loadavg)" -v turns="$turns" -v want="$expect" \
    'BEGIN { printf "loadtest acceptance: %s: k6 exit %d; relay CPU %.1f s over %.1f s wall (%.0f %% of a core); relay turns_total %d (expected %d); load average %s -> %s\n", n, rc, c1 - c0, t1 - t0, 100 * (c1 - c0) / (t1 - t0), turns, want, l0, l1 }'
  if [ "$rc" -ne 0 ] || [ "$turns" -ne "$expect" ]; then
    failed=1
  fi
}

voice=${VOICE_VUS:-100}
twilio=${TWILIO_VUS:-50}
run "voice-call $voice VUs x 2 turns" voice-call.js $((voice * 2)) \
  -e "VUS=$voice" -e ITERATIONS=1 -e TURNS=2
run "twilio-caller $twilio VUs x 3 turns" twilio-caller.js $((twilio * 3)) \
  -e "VUS=$twilio" -e ITERATIONS=1 -e TURNS=3 -e TWILIO_AUTH_TOKEN=loadtest-twilio-auth-token
exit "$failed"
