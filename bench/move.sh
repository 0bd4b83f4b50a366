#!/usr/bin/env bash
# Benchmark: `warren move` of 100,000 persistent 1 KiB messages between two queues on one
# node, against
#   - `warren publish` of 100,000 persistent 1 KiB messages in the same run (target: move >= 0.5x), and
#   - bench/pika_replay.py with a DEST queue: the pika loop that publishes each message with a
#     confirm (confirm_delivery, mandatory) and then acks it (target: move >= 5x).
# The pika loop moves PIKA_COUNT messages (default 5,000): its rate, not its total time, is
# compared. Needs a release build; pika 1.4.4 is installed into target/bench-venv if missing.
# usage: bench/move.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
PIKA_COUNT=${PIKA_COUNT:-5000}
# shellcheck source=bench/pika-env.sh
. bench/pika-env.sh
cargo build --release --quiet
VH=bench-move
# shellcheck source=bench/lib.sh
. bench/lib.sh
fresh_vhost
for q in published src dst back; do api PUT "/queues/$VH/$q" '{"durable":true}'; done

echo "== warren publish: $COUNT persistent 1 KiB messages"
t0=$(now); W publish -k published --count "$COUNT" --size 1024 >/dev/null 2>&1; t1=$(now)
PUBLISH=$(rate "$COUNT" "$t0" "$t1"); echo "warren publish: $PUBLISH msg/s"

echo "== filling src with $COUNT persistent 1 KiB messages"
W publish -k src --count "$COUNT" --size 1024 >/dev/null 2>&1
wait_depth src "$COUNT"

echo "== warren move src queue:dst"
t0=$(now); W move src queue:dst --yes -o json > target/bench-move-summary.json; t1=$(now)
MOVE=$(rate "$COUNT" "$t0" "$t1"); echo "warren move: $MOVE msg/s"
python3 -c "import json; s=json.load(open('target/bench-move-summary.json')); print('summary: moved', s['moved'], 'left in source', s['left_in_source'], 'unknown', s['unknown'])"
wait_depth dst "$COUNT"
wait_depth src 0

echo "== pika confirm-each move of $PIKA_COUNT messages (dst to back)"
PIKA_OUT=$(PASSWORD_FILE="$ADMIN_PASSWORD_FILE" $PY bench/pika_replay.py "amqp://warren-admin@localhost:$AMQP_PORT/$VH" dst "$PIKA_COUNT" back)
echo "$PIKA_OUT"
PIKA=$(echo "$PIKA_OUT" | sed -E 's/.*= ([0-9]+) msg\/s/\1/')
wait_depth back "$PIKA_COUNT"

python3 - "$MOVE" "$PUBLISH" "$PIKA" <<'PY'
import sys
move, publish, pika = map(float, sys.argv[1:])
print(f"move / warren publish = {move / publish:.2f}x (target >= 0.5x): {'PASS' if move / publish >= 0.5 else 'FAIL'}")
print(f"move / pika confirm-each = {move / pika:.1f}x (target >= 5x): {'PASS' if move / pika >= 5 else 'FAIL'}")
PY
api DELETE "/vhosts/$VH"
