#!/usr/bin/env bash
# Benchmark: `warren replay` of 50,000 persistent 1 KiB dead-lettered messages, against
#   - `warren publish` of 50,000 persistent 1 KiB messages on the same broker (target: replay >= 0.5x), and
#   - bench/pika_replay.py, a confirm-each-message pika replay loop (target: replay >= 5x).
# The pika loop runs on PIKA_COUNT messages (default 5,000) of the same DLQ: its rate, not
# its total time, is compared. Needs a release build and pika 1.4.4 (`pip install pika==1.4.4`).
# usage: bench/replay.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-50000}
PIKA_COUNT=${PIKA_COUNT:-5000}
cargo build --release --quiet
VH=bench-replay
# shellcheck source=bench/lib.sh
. bench/lib.sh
fresh_vhost
api PUT "/exchanges/$VH/dlx" '{"type":"fanout","durable":true}'
api PUT "/queues/$VH/dlq" '{"durable":true}'
api POST "/bindings/$VH/e/dlx/q/dlq" '{"routing_key":""}'
api PUT "/queues/$VH/work" '{"durable":true,"arguments":{"x-dead-letter-exchange":"dlx"}}'
api PUT "/queues/$VH/published" '{"durable":true}'

echo "== warren publish: $COUNT persistent 1 KiB messages"
t0=$(now); W publish -k published --count "$COUNT" --size 1024 >/dev/null 2>&1; t1=$(now)
PUBLISH=$(rate "$COUNT" "$t0" "$t1"); echo "warren publish: $PUBLISH msg/s"

echo "== dead-lettering $COUNT messages (publish to work, reject into dlq)"
W publish -k work --count "$COUNT" --size 1024 >/dev/null 2>&1
W consume work --reject --prefetch 1000 --idle-timeout 2 >/dev/null 2>&1
wait_depth dlq "$COUNT"

echo "== warren replay dlq (back to work)"
t0=$(now); W replay dlq --yes -o json > target/bench-replay-summary.json; t1=$(now)
REPLAY=$(rate "$COUNT" "$t0" "$t1"); echo "warren replay: $REPLAY msg/s"
python3 -c "import json; s=json.load(open('target/bench-replay-summary.json')); print('summary: replayed', s['replayed'], 'left in dlq', s['left_in_dlq'], 'unknown', s['unknown'])"
wait_depth work "$COUNT"

echo "== pika confirm-each replay of $PIKA_COUNT messages"
W consume work --reject --prefetch 1000 --idle-timeout 2 >/dev/null 2>&1
wait_depth dlq "$COUNT"
PIKA_OUT=$(PASSWORD_FILE="$ADMIN_PASSWORD_FILE" python3 bench/pika_replay.py "amqp://warren-admin@localhost:$AMQP_PORT/$VH" dlq "$PIKA_COUNT")
echo "$PIKA_OUT"
PIKA=$(echo "$PIKA_OUT" | sed -E 's/.*= ([0-9]+) msg\/s/\1/')

python3 - "$REPLAY" "$PUBLISH" "$PIKA" <<'PY'
import sys
replay, publish, pika = map(float, sys.argv[1:])
print(f"replay / warren publish = {replay / publish:.2f}x (target >= 0.5x): {'PASS' if replay / publish >= 0.5 else 'FAIL'}")
print(f"replay / pika confirm-each = {replay / pika:.1f}x (target >= 5x): {'PASS' if replay / pika >= 5 else 'FAIL'}")
PY
api DELETE "/vhosts/$VH"
