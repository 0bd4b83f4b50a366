#!/usr/bin/env bash
# Benchmark: `warren replay` of 50,000 persistent 1 KiB dead-lettered messages, against
#   - `warren publish` of 50,000 persistent 1 KiB messages on the same broker (target: replay >= 0.6x),
#   - bench/pika_replay.py, a confirm-each-message pika replay loop (target: replay >= 8x), and,
#     for reference, the bare lapin client (bench/lapin_ceiling.rs, window 1000): its publisher,
#     and its replay (each message published as it is, acked once confirmed, `multiple`; no
#     x-death reading, routing or marks: the least a replay can do).
# Each rate is the median of ROUNDS rounds (default 3); warren and the ceiling are timed as
# whole processes. The targets are checked on the median of the per-round ratios (each
# round's runs are minutes apart at most, on the same machine state: this machine's speed
# drifts by up to 1.5x within minutes); the ratio of the medians is shown beside it. Every
# copy is published `mandatory`, by warren and by the ceiling. The pika loop runs on PIKA_COUNT messages (default 5,000) of the same
# DLQ: its rate, not its total time, is compared. pika 1.4.4 is installed into
# target/bench-venv if missing.
# usage: bench/replay.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-50000}
PIKA_COUNT=${PIKA_COUNT:-5000}
ROUNDS=${ROUNDS:-3}
# shellcheck source=bench/pika-env.sh
. bench/pika-env.sh
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example lapin_ceiling
VH=bench-replay
# shellcheck source=bench/lib.sh
. bench/lib.sh
fresh_vhost
api PUT "/exchanges/$VH/dlx" '{"type":"fanout","durable":true}'
api PUT "/queues/$VH/dlq" '{"durable":true}'
api POST "/bindings/$VH/e/dlx/q/dlq" '{"routing_key":""}'
api PUT "/queues/$VH/work" '{"durable":true,"arguments":{"x-dead-letter-exchange":"dlx"}}'
URI="amqp://warren-admin@localhost:$AMQP_PORT/$VH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
record() { echo "$2" >> "$work/$1"; }
median() { python3 -c "import statistics,sys; print(round(statistics.median(float(l) for l in open(sys.argv[1]))))" "$work/$1"; }
fresh_published() { api DELETE "/queues/$VH/published" || true; api PUT "/queues/$VH/published" '{"durable":true}'; }

for round in $(seq 1 "$ROUNDS"); do
  fresh_published
  t0=$(now); W publish -k published --count "$COUNT" --size 1024 >/dev/null 2>&1; t1=$(now)
  record publish "$(rate "$COUNT" "$t0" "$t1")"
  fresh_published
  t0=$(now); target/release/examples/lapin_ceiling publish "$URI" "$ADMIN_PASSWORD_FILE" published "$COUNT" 1024 1000 >/dev/null; t1=$(now)
  record ceiling "$(rate "$COUNT" "$t0" "$t1")"

  # Dead-letter COUNT messages: publish to work, reject into dlq.
  W publish -k work --count "$COUNT" --size 1024 >/dev/null 2>&1
  W consume work --reject --prefetch 1000 --idle-timeout 2 >/dev/null 2>&1
  wait_depth dlq "$COUNT"
  t0=$(now); W replay dlq --yes -o json > target/bench-replay-summary.json; t1=$(now)
  record replay "$(rate "$COUNT" "$t0" "$t1")"
  python3 -c "import json,sys; s=json.load(open('target/bench-replay-summary.json')); assert s['replayed'] == $COUNT and s['unknown'] == 0, s" \
    || { echo "replay did not replay all $COUNT messages" >&2; exit 1; }
  wait_depth work "$COUNT"

  # The bare lapin replay of the same messages, back into `work`.
  W consume work --reject --prefetch 1000 --idle-timeout 2 >/dev/null 2>&1
  wait_depth dlq "$COUNT"
  t0=$(now); target/release/examples/lapin_ceiling replay "$URI" "$ADMIN_PASSWORD_FILE" dlq "$COUNT" work 1000 >/dev/null; t1=$(now)
  record lapin_replay "$(rate "$COUNT" "$t0" "$t1")"
  wait_depth work "$COUNT"

  # The pika loop on PIKA_COUNT of the same dead-lettered messages.
  W consume work --reject --prefetch 1000 --idle-timeout 2 >/dev/null 2>&1
  wait_depth dlq "$COUNT"
  PIKA_OUT=$(PASSWORD_FILE="$ADMIN_PASSWORD_FILE" $PY bench/pika_replay.py "$URI" dlq "$PIKA_COUNT")
  record pika "$(echo "$PIKA_OUT" | sed -E 's/.*= ([0-9]+) msg\/s/\1/')"
  api DELETE "/queues/$VH/dlq"; api PUT "/queues/$VH/dlq" '{"durable":true}'
  api POST "/bindings/$VH/e/dlx/q/dlq" '{"routing_key":""}'
  api DELETE "/queues/$VH/work"; api PUT "/queues/$VH/work" '{"durable":true,"arguments":{"x-dead-letter-exchange":"dlx"}}'
  for pair in publish:publish pika:pika lapin_publish:ceiling lapin_replay:lapin_replay; do
    IFS=: read -r name theirs <<< "$pair"
    record "ratio_$name" "$(python3 -c "print($(tail -n1 "$work/replay") / $(tail -n1 "$work/$theirs"))")"
  done
  echo "round $round: warren publish $(tail -n1 "$work/publish"), lapin publish $(tail -n1 "$work/ceiling"), warren replay $(tail -n1 "$work/replay"), lapin replay $(tail -n1 "$work/lapin_replay"), pika confirm-each $(tail -n1 "$work/pika") msg/s"
done

python3 - "$work" "$(median replay)" "$(median publish)" "$(median pika)" "$(median ceiling)" "$(median lapin_replay)" <<'PY'
import statistics, sys
work = sys.argv[1]
replay, publish, pika, ceiling, lapin_replay = map(float, sys.argv[2:])
print(f"medians: warren replay {replay:.0f}, warren publish {publish:.0f}, lapin publish {ceiling:.0f}, lapin replay {lapin_replay:.0f}, pika confirm-each {pika:.0f} msg/s")
def check(label, name, of_medians, target, digits=2):
    per_round = [float(l) for l in open(f"{work}/ratio_{name}")]
    value = statistics.median(per_round)
    verdict = ("PASS" if value >= target else "FAIL") if target else "reference"
    shown = " ".join(f"{r:.{digits}f}" for r in per_round)
    goal = f"target >= {target}x" if target else "no target"
    print(f"{label} = {value:.{digits}f}x (rounds {shown}; of medians {of_medians:.{digits}f}x) ({goal}): {verdict}")
check("replay / warren publish", "publish", replay / publish, 0.6)
check("replay / pika confirm-each", "pika", replay / pika, 8, digits=1)
check("replay / lapin publish", "lapin_publish", replay / ceiling, 0)
check("replay / lapin replay (the ceiling of a replay)", "lapin_replay", replay / lapin_replay, 0)
PY
api DELETE "/vhosts/$VH"
