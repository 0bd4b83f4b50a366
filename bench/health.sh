#!/usr/bin/env bash
# Benchmark: each `warren health` check against `rabbitmq-diagnostics check_running` and
# `check_local_alarms` on the same node (issue 12: warren at least 5x faster; the
# diagnostics tool boots an Erlang VM for every call). Prints the median wall time of RUNS
# runs of each, and the ratios. The node `bench-health` is left running for reruns; stop it
# with `scripts/broker stop bench-health`.
#
# Usage: bench/health.sh [runs]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-20}
scripts/broker install >/dev/null
eval "$(scripts/broker start bench-health | grep -E '^[A-Z_]+=')"
cargo build --release --locked --quiet
WARREN=target/release/warren
export WARREN_PASSWORD
WARREN_PASSWORD=$(cat "$ADMIN_PASSWORD_FILE")
CONN=(--uri "amqp://$ADMIN_USER@localhost:$AMQP_PORT/%2f" --api-url "http://localhost:$MGMT_PORT")

# median_ms CMD...: the median wall time of RUNS runs of CMD, in milliseconds.
median_ms() {
  local times=() i start end
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

# rabbitmq-diagnostics as scripts/broker runs rabbitmqctl: as the rabbitmq user (its
# Erlang cookie), with the node's env file and its own CLI distribution ports.
diagnostics() {
  local as=()
  [[ $EUID -eq 0 ]] && as=(runuser -u rabbitmq --)
  "${as[@]}" env HOME="$(getent passwd rabbitmq | cut -d: -f6)" \
    RABBITMQ_CONF_ENV_FILE="$NODE_DIR/rabbitmq-env.conf" \
    RABBITMQ_CTL_DIST_PORT_MIN=$((DIST_PORT + 10000)) RABBITMQ_CTL_DIST_PORT_MAX=$((DIST_PORT + 10010)) \
    /usr/lib/rabbitmq/bin/rabbitmq-diagnostics -n "$NODE" "$@"
}

echo "bench: $RUNS runs each against $NODE (median wall ms)"
running_diag=$(median_ms diagnostics check_running)
alarms_diag=$(median_ms diagnostics check_local_alarms)
printf '%-22s %8s ms\n' "rabbitmq-diagnostics check_running" "$running_diag"
printf '%-22s %8s ms\n' "rabbitmq-diagnostics check_local_alarms" "$alarms_diag"
for check in running alarms local-alarms listeners virtual-hosts quorum-critical certificates \
  deprecated-features feature-flags partitions; do
  ms=$(median_ms "$WARREN" "${CONN[@]}" health "$check")
  printf 'warren health %-20s %6s ms\n' "$check" "$ms"
  case $check in
    running) echo "  ratio vs check_running: $(python3 -c "print(f'{$running_diag / max($ms, 0.5):.1f}x')")" ;;
    local-alarms) echo "  ratio vs check_local_alarms: $(python3 -c "print(f'{$alarms_diag / max($ms, 0.5):.1f}x')")" ;;
  esac
done
all=$(median_ms "$WARREN" "${CONN[@]}" health)
printf 'warren health (all ten at once)   %6s ms\n' "$all"
