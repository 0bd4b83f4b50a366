#!/usr/bin/env bash
# Benchmark: how long `warren doctor` takes beyond its window (issue 31: one queue within the
# window plus 1 s; `--all-vhosts --top 10` on 10,000 queues within the window plus 3 s). The
# baseline is the window itself, the least any two-sample reading can take: the output gives
# the time over it and the ratio to it. 10,000 queues are declared by one definitions import,
# 10 of them fed by a publisher with no consumer; the bench also checks that --top ranks
# those 10 first. The node `bench-doctor` is left running; stop it with
# `scripts/broker stop bench-doctor --version $BENCH_BROKER`.
#
# Usage: bench/doctor.sh [runs]   (default 5; BENCH_BROKER=3.10|4.0|4.3, default 4.3;
#        WARREN_BIN=target/debug/warren to time a debug build instead of a release one)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-5}
BENCH_BROKER=${BENCH_BROKER:-4.3}
QUEUES=10000
WINDOW=5
scripts/broker install --version "$BENCH_BROKER" >/dev/null
eval "$(scripts/broker start bench-doctor --version "$BENCH_BROKER" | grep -E '^[A-Z_]+=')"
WARREN=${WARREN_BIN:-target/release/warren}
[[ -n ${WARREN_BIN:-} ]] || cargo build --release --locked --quiet
PW=$(cat "$ADMIN_PASSWORD_FILE")
API="http://localhost:$MGMT_PORT/api"
VH=doctor-bench
api() { curl -sf -u "$ADMIN_USER:$PW" -H 'content-type: application/json' -X "$1" "$API$2" ${3:+--data-binary "$3"}; }
W() { "$WARREN" --uri "amqp://$ADMIN_USER@localhost:$AMQP_PORT/$VH" --api-url "http://localhost:$MGMT_PORT" --password-file "$ADMIN_PASSWORD_FILE" "$@"; }

api DELETE "/vhosts/$VH" >/dev/null || true
api PUT "/vhosts/$VH" '{}' >/dev/null
api PUT "/permissions/$VH/$ADMIN_USER" '{"configure":".*","write":".*","read":".*"}' >/dev/null
python3 -c "
import json
print(json.dumps({'queues': [{'name': f'q{i:05}', 'vhost': '$VH', 'durable': True,
  'auto_delete': False, 'arguments': {}} for i in range($QUEUES)]}))" > /tmp/bench-doctor-defs.json
api POST "/definitions/$VH" "@/tmp/bench-doctor-defs.json" >/dev/null
SICK=()
for i in $(seq 0 9); do SICK+=("$(printf 'q%05d' $((i * 997 + 11)))"); done
feed() {
  while :; do
    for q in "${SICK[@]}"; do
      api POST "/exchanges/$VH/amq.default/publish" \
        "{\"properties\":{},\"routing_key\":\"$q\",\"payload\":\"x\",\"payload_encoding\":\"string\"}" >/dev/null || true
    done
    sleep 1
  done
}
feed &
FEEDER=$!
trap 'kill $FEEDER 2>/dev/null || true' EXIT
sleep 12 # the API's statistics of the fed queues

echo "bench: RabbitMQ $BENCH_BROKER, $QUEUES queues in $VH, 10 fed without a consumer; $RUNS runs each; window ${WINDOW}s; $WARREN"
# over_window CMD...: the median wall time of RUNS runs, in ms (exit 3 is doctor's "problem").
median_ms() {
  local times=() i start end rc
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    rc=0
    "$@" >/tmp/bench-doctor-out.json 2>/dev/null || rc=$?
    end=$(date +%s%N)
    [[ $rc == 0 || $rc == 3 ]] || { echo "bench: failed ($rc): $*" >&2; return 1; }
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
report() { # name median_ms allowed_over_s
  python3 -c "
m, w, allowed = $2 / 1000, $WINDOW, $3
print(f'{\"$1\":<44} {m:6.2f} s = window + {m - w:4.2f} s (target + {allowed} s: {\"met\" if m - w <= allowed else \"MISSED\"}); ratio to the window {m / w:.2f}x')"
}

one=$(median_ms W doctor "${SICK[0]}" --window ${WINDOW}s -o json)
report "doctor QUEUE" "$one" 1
top=$(median_ms W doctor --all-vhosts --top 10 --window ${WINDOW}s -o json)
report "doctor --all-vhosts --top 10 ($QUEUES queues)" "$top" 3
python3 - "${SICK[@]}" <<'EOF'
import json, sys
report = json.load(open("/tmp/bench-doctor-out.json"))
ranked = [r["queue"] for r in report["ranked"]]
sick = set(sys.argv[1:])
print(f"ranked: {len(ranked)} of {report['queues']} queues; all fed ones: {set(ranked) == sick}")
EOF
