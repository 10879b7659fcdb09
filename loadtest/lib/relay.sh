# Shared by smoke.sh and acceptance.sh (sourced, bash): find k6, start a relay on ports the
# OS picks and stop it on exit. The caller sets `work` (a scratch directory, removed on
# exit) before calling start_relay ARGS... (extra relay flags).

# k6_or_exit CODE MESSAGE: sets `k6` (from $K6, else PATH) and turns k6's usage report off;
# without k6 prints MESSAGE and exits with CODE.
k6_or_exit() {
  k6=${K6:-$(command -v k6 || true)}
  if [ -z "$k6" ] || [ ! -x "$k6" ]; then
    echo "$2"
    exit "$1"
  fi
  export K6_NO_USAGE_REPORT=true
}

relay_pid=""
sim_pid=""
cleanup() {
  local pid
  for pid in "$relay_pid" "$sim_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}

# Start the simulated stage engines in a process of their own (as a deployment runs its
# engines: their work is not on the relay's event loop); sets `sim_address` (host:port).
# start_relay then passes it to the relay (VOICE_RELAY_SIM_ENGINE), whose sim pipeline's
# `embedded:sim` endpoints dial it, profiles included. Exits 1 with the engine's log when
# it does not start.
start_sim_engine() {
  trap cleanup EXIT
  node --import tsx src/engines/main.ts sim --port 0 >"$work/sim.log" 2>&1 &
  sim_pid=$!
  sim_address=""
  for _ in $(seq 1 120); do
    sim_address=$(sed -nE 's/^sim engine listening on (.+)$/\1/p' "$work/sim.log")
    [ -n "$sim_address" ] && break
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ -z "$sim_address" ]; then
    echo "the sim engine did not start:"
    cat "$work/sim.log"
    exit 1
  fi
}

# Start the relay (sim pipeline and every carrier of loadtest/relay.yaml); sets `media`
# (host:port of the media listener) and `gateway` (its URL), read back from its
# "relay started" log line. Exits 1 with the relay's log when it does not start. After
# start_sim_engine the relay uses that engine process; otherwise it runs the sim engines
# in its own process. RELAY_NODE_OPTIONS: extra node flags (e.g. --cpu-prof).
start_relay() {
  trap cleanup EXIT
  # shellcheck disable=SC2086 # RELAY_NODE_OPTIONS is a list of flags
  VOICE_RELAY_SIM_ENGINE=${sim_address:-} node ${RELAY_NODE_OPTIONS:-} --import tsx src/main.ts --dev-tokens --config loadtest/relay.yaml \
    --port 0 --gateway-port 0 "$@" --log-level info >"$work/relay.log" 2>&1 &
  relay_pid=$!
  media="" gateway=""
  local line
  for _ in $(seq 1 120); do
    line=$(grep -m1 '"relay started"' "$work/relay.log" || true)
    if [ -n "$line" ]; then
      media=$(sed -E 's/.*"media":"([^"]+)".*/\1/' <<<"$line")
      gateway=$(sed -E 's/.*"gateway":"([^"]+)".*/\1/' <<<"$line")
      break
    fi
    kill -0 "$relay_pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ -z "$media" ] || [ -z "$gateway" ]; then
    echo "the relay did not start:"
    cat "$work/relay.log"
    exit 1
  fi
}
