#!/usr/bin/env bash
# The load acceptance of the k6 kit, on one machine: the simulated stage engines in a
# process of their own (`npm run engine -- sim`, as a deployment runs its engines), a relay
# this script starts (sim pipeline, loadtest/relay.yaml) whose `embedded:sim` endpoints dial
# that process, then
#   voice-call.js    VUS=100 ITERATIONS=1 TURNS=2   (100 callers, 2 turns each)
#   twilio-caller.js VUS=50  ITERATIONS=1 TURNS=3   (the relay's turns_total must be 3 x 50)
# each with the scripts' default thresholds and arrival (START_SPREAD_MS, see the README).
# Per run it prints k6's summary, then one line: calls OK, client voice-to-voice p50/p95
# against its threshold, the relay's own voice-to-voice, the CPU of the relay and of the
# engine process (CPU seconds over the run's wall time), the relay's turns against the
# expected count, and the load average before and after: a machine busy with other work
# starves k6, the relay and the engines alike, so read the figures against the load.
# Exits non-zero if a threshold was crossed or the turn count is off. Minutes, not
# seconds: not part of CI.
#
#   loadtest/acceptance.sh                  # k6 from $K6, else from PATH
#   VOICE_VUS=20 TWILIO_VUS=10 loadtest/acceptance.sh   # smaller
#   START_SPREAD_MS=0 loadtest/acceptance.sh            # every caller at once (lockstep)
#   SIM_IN_RELAY=1 loadtest/acceptance.sh               # the relay runs the sim engines itself
#   ONLY=voice loadtest/acceptance.sh                   # one of the runs (voice or twilio)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/relay.sh
. loadtest/lib/relay.sh
k6_or_exit 1 "loadtest acceptance: no k6 (set K6 to its path or put k6 on PATH)"
work=$(mktemp -d "${TMPDIR:-/tmp}/voice-relay-acceptance.XXXXXX")
trap cleanup EXIT
if [ "${SIM_IN_RELAY:-0}" != 1 ]; then
  start_sim_engine
  echo "loadtest acceptance: sim engines at $sim_address (pid $sim_pid)"
fi
start_relay
echo "loadtest acceptance: relay media ws://$media, gateway $gateway (pid $relay_pid)"

# metric NAME: the sum of a Prometheus metric's samples on the relay's /metrics.
metric() {
  curl -fsS "$gateway/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.3f\n", s + 0 }'
}

# cpu_of PID: the process's CPU seconds (user + system), 0 without a process.
cpu_of() {
  if [ -n "$1" ] && [ -r "/proc/$1/stat" ]; then
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
  else
    echo 0
  fi
}

# figures REPORT.json: calls OK, client and relay voice-to-voice from a k6 report, and
# (voice-call) the relay's per-stage first responses from its turn.metrics.
figures() {
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).metrics;
    const v = (n, s) => (m[n] && m[n].values[s] !== undefined ? m[n].values[s] : NaN);
    const ms = (x) => (Number.isNaN(x) ? "-" : `${Math.round(x)} ms`);
    const th = Object.keys((m.voice_to_voice_client || {}).thresholds || {})[0] || "-";
    const ok = v("call_ok", "passes"), n = ok + v("call_ok", "fails");
    console.log(
      `calls OK ${ok}/${n} (${((100 * ok) / n).toFixed(1)} %); ` +
      `client voice-to-voice p50 ${ms(v("voice_to_voice_client", "med"))}, ` +
      `p95 ${ms(v("voice_to_voice_client", "p(95)"))} (threshold ${th}); ` +
      `relay voice-to-voice p50 ${ms(v("voice_to_voice", "med"))}, p95 ${ms(v("voice_to_voice", "p(95)"))}`,
    );
    if (m.stt_final) {
      const st = (n) => `${n} ${ms(v(n, "med"))}/${ms(v(n, "p(95)"))}`;
      console.log(`  relay stages p50/p95: ${["stt_final", "llm_ttft", "tts_ttfa"].map(st).join(", ")}`);
    }' "$1"
}

# children_cpu: CPU seconds of this shell's finished children (k6, curl, awk, ...); `times`
# runs in this shell, as a subshell does not see them.
children_cpu() {
  times >"$work/times"
  awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] } printf "%.3f\n", n }' "$work/times"
}

failed=0
# run NAME SCRIPT EXPECTED_TURNS ARGS...: one k6 run and the relay's view of it.
run() {
  local name=$1 script=$2 expect=$3
  shift 3
  local cpu0 sim0 k60 turns0 t0 load0 rc=0
  cpu0=$(metric process_cpu_seconds_total)
  children_cpu >"$work/k6cpu"
  k60=$(cat "$work/k6cpu")
  sim0=$(cpu_of "$sim_pid")
  turns0=$(metric relay_turns_total)
  t0=$(date +%s.%N)
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  "$k6" run --quiet -e "RELAY_URL=ws://$media" -e "GATEWAY_URL=$gateway" \
    -e "REPORT=$work/$script" "$@" "loadtest/$script" || rc=$?
  local cpu1 sim1 k61 turns1 t1 turns
  children_cpu >"$work/k6cpu"
  k61=$(cat "$work/k6cpu")
  cpu1=$(metric process_cpu_seconds_total)
  sim1=$(cpu_of "$sim_pid")
  turns1=$(metric relay_turns_total)
  t1=$(date +%s.%N)
  turns=$(awk -v a="$turns0" -v b="$turns1" 'BEGIN { printf "%d", b - a }')
  echo "loadtest acceptance: $name: k6 exit $rc"
  if [ -f "$work/$script.json" ]; then
    echo "  $(figures "$work/$script.json")"
  fi
  awk -v c0="$cpu0" -v c1="$cpu1" -v s0="$sim0" -v s1="$sim1" -v k0="$k60" -v k1="$k61" -v t0="$t0" -v t1="$t1" \
    -v sim="${sim_pid:-}" -v l0="$load0" -v l1="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v turns="$turns" -v want="$expect" 'BEGIN {
      w = t1 - t0
      printf "  relay CPU %.1f s over %.1f s wall (%.0f %% of a core)", c1 - c0, w, 100 * (c1 - c0) / w
      if (sim != "") printf "; sim engines CPU %.1f s (%.0f %%)", s1 - s0, 100 * (s1 - s0) / w
      printf "; k6 CPU %.1f s (%.0f %%)", k1 - k0, 100 * (k1 - k0) / w
      printf "\n  relay turns_total %d (expected %d); load average %s -> %s\n", turns, want, l0, l1 }'
  if [ "$rc" -ne 0 ] || [ "$turns" -ne "$expect" ]; then
    failed=1
  fi
}

voice=${VOICE_VUS:-100}
twilio=${TWILIO_VUS:-50}
spread=()
if [ -n "${START_SPREAD_MS:-}" ]; then
  spread=(-e "START_SPREAD_MS=$START_SPREAD_MS")
fi
only=${ONLY:-both}
if [ "$only" = voice ] || [ "$only" = both ]; then
  run "voice-call $voice VUs x 2 turns" voice-call.js $((voice * 2)) \
    -e "VUS=$voice" -e ITERATIONS=1 -e TURNS=2 "${spread[@]}"
fi
if [ "$only" = twilio ] || [ "$only" = both ]; then
  run "twilio-caller $twilio VUs x 3 turns" twilio-caller.js $((twilio * 3)) \
    -e "VUS=$twilio" -e ITERATIONS=1 -e TURNS=3 -e TWILIO_AUTH_TOKEN=loadtest-twilio-auth-token \
    "${spread[@]}"
fi
exit "$failed"
