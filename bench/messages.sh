#!/usr/bin/env bash
# Benchmark warren publish/consume against the pika baseline on one isolated node, in one run.
#   publish 100k x 1 KiB persistent, confirm window 1000:   target warren >= 1.1x pika
#   consume 100k to a JSONL file with acks (prefetch 1000): target warren >= 1.5x pika
#   peak RSS of warren consume of 1,000,000 messages:       target < 64 MiB
# Usage: bench/messages.sh [COUNT] [RSS_COUNT]     (defaults 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
RSS_COUNT=${2:-1000000}

scripts/broker install
python3 -c 'import pika' 2>/dev/null || pip install --quiet 'pika==1.4.4'
cargo build --release --locked --quiet
warren=target/release/warren

env_file=$(mktemp)
scripts/broker start bench > "$env_file"
# shellcheck disable=SC1090
. "$env_file"
rm -f "$env_file"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

api() { curl -sf -u "$ADMIN_USER:$(cat "$ADMIN_PASSWORD_FILE")" -H 'content-type: application/json' "$@"; }
base="http://localhost:$MGMT_PORT/api"
api -XPUT "$base/vhosts/bench" -d '{}' >/dev/null
api -XPUT "$base/permissions/bench/$ADMIN_USER" -d '{"configure":".*","write":".*","read":".*"}' >/dev/null
fresh_queue() {
  api -XDELETE "$base/queues/bench/q" >/dev/null 2>&1 || true
  api -XPUT "$base/queues/bench/q" -d '{"durable":true}' >/dev/null
}
export WARREN_URI="amqp://$ADMIN_USER@localhost:$AMQP_PORT/bench" WARREN_API_URL="http://localhost:$MGMT_PORT"
pw=(--password-file "$ADMIN_PASSWORD_FILE")
pika() { python3 bench/pika_baseline.py "$1" localhost "$AMQP_PORT" "$ADMIN_USER" "$ADMIN_PASSWORD_FILE" bench q "$2" "${3:-}"; }
rate_of() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["rate_per_second"]))'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

echo "== publish $COUNT x 1 KiB persistent, window 1000 (RabbitMQ $(api "$base/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rabbitmq_version"])'))"
fresh_queue
pika_pub=$(pika publish "$COUNT" | awk '{print $4}')
fresh_queue
warren_pub=$("$warren" publish "${pw[@]}" -k q --count "$COUNT" --size 1024 --window 1000 -o json | rate_of)
echo "pika    publish: $pika_pub msg/s"
echo "warren  publish: $warren_pub msg/s"
echo "ratio   publish: $(ratio "$warren_pub" "$pika_pub")x  (target >= 1.1x)"

echo "== consume $COUNT to a JSONL file with acks, prefetch 1000"
pika_con=$(pika consume "$COUNT" "$work/pika.jsonl" | awk '{print $4}')
fresh_queue
"$warren" publish "${pw[@]}" -k q --count "$COUNT" --size 1024 --window 1000 -o json >/dev/null
warren_con=$("$warren" consume "${pw[@]}" q --count "$COUNT" --prefetch 1000 -o json 2>&1 >"$work/warren.jsonl" | rate_of)
echo "pika    consume: $pika_con msg/s ($(wc -l <"$work/pika.jsonl") lines)"
echo "warren  consume: $warren_con msg/s ($(wc -l <"$work/warren.jsonl") lines)"
echo "ratio   consume: $(ratio "$warren_con" "$pika_con")x  (target >= 1.5x)"

echo "== peak RSS of warren consume of $RSS_COUNT messages"
fresh_queue
"$warren" publish "${pw[@]}" -k q --count "$RSS_COUNT" --size 1024 --window 1000 -o json >/dev/null
/usr/bin/time -f '%M' -o "$work/rss" "$warren" consume "${pw[@]}" q --count "$RSS_COUNT" >/dev/null 2>"$work/consume.err"
rss_kib=$(tail -n1 "$work/rss")
echo "warren  consume peak RSS: $((rss_kib / 1024)) MiB for $RSS_COUNT messages  (target < 64 MiB)"
api -XDELETE "$base/vhosts/bench" >/dev/null
