#!/usr/bin/env bash
# Benchmark warren publish/consume on one isolated node against
#   - the ceiling: bench/lapin_ceiling.rs, a bare lapin client built with warren's own lapin
#     (same confirm window, same prefetch and `multiple` acks, no output), and
#   - pika: bench/pika_baseline.py, its ordinary fast forms (a windowed SelectConnection
#     publisher; a BlockingConnection consumer writing JSON lines, acking every 250).
# 100,000 persistent 1 KiB messages on a durable classic queue; the median of ROUNDS rounds
# (default 3). warren and the ceiling are timed as whole processes (start-up included);
# pika's rate is its own in-process timing, which leaves its start-up out. CPU seconds
# (user+sys) are each whole process's. The ceiling publishes `mandatory`, as warren does (the
# same work for the broker); pika does not (its common form), and is also run with it, for
# reference. Each target is checked on the median of the per-round ratios (a warren run and
# its baseline ran seconds apart, on the same machine state: this machine's speed drifts by
# up to 1.5x within minutes); the ratio of the median rates is shown beside it. Targets
# (issue 16):
#   consume >= 0.9x the ceiling, >= 1.2x pika, warren's CPU per message <= 0.45x pika's
#   publish >= 0.9x the ceiling, >= 1.05x pika
#   publish --channels 2 over 2 queues >= 1.1x two pika publishers side by side
#   peak RSS of a consume of 1,000,000 messages < 64 MiB
# Usage: bench/messages.sh [COUNT] [RSS_COUNT]     (defaults 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
RSS_COUNT=${2:-1000000}
ROUNDS=${ROUNDS:-3}

# BENCH_BROKER=4.0 runs the bench on a RabbitMQ 4.0 node instead of 3.10.
BENCH_BROKER=${BENCH_BROKER:-3.10}
scripts/broker install --version "$BENCH_BROKER"
# shellcheck source=bench/pika-env.sh
. bench/pika-env.sh
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example lapin_ceiling
warren=target/release/warren
ceiling=target/release/examples/lapin_ceiling

env_file=$(mktemp)
scripts/broker start bench --version "$BENCH_BROKER" > "$env_file"
echo "bench: one RabbitMQ $BENCH_BROKER node"
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
  api -XDELETE "$base/queues/bench/$1" >/dev/null 2>&1 || true
  api -XPUT "$base/queues/bench/$1" -d '{"durable":true}' >/dev/null
}
uri="amqp://$ADMIN_USER@localhost:$AMQP_PORT/bench"
export WARREN_URI="$uri" WARREN_API_URL="http://localhost:$MGMT_PORT"
pw=(--password-file "$ADMIN_PASSWORD_FILE")
# pika MODE QUEUE COUNT [OUT]: the pika baseline's command line, in $pika (for `timed`,
# which runs a program, not a shell function).
pika() { pika=("$PY" bench/pika_baseline.py "$1" localhost "$AMQP_PORT" "$ADMIN_USER" "$ADMIN_PASSWORD_FILE" bench "$2" "$3" "${4:-}"); }
fill() { "$ceiling" publish "$uri" "$ADMIN_PASSWORD_FILE" "$1" "$2" 1024 1000 >/dev/null; }

# timed NAME CMD...: run CMD, record its wall and CPU seconds in $work/NAME.{wall,cpu};
# its stdout goes to $work/NAME.out, its stderr to $work/NAME.err.
timed() {
  local name=$1; shift
  if ! /usr/bin/time -f '%e %U %S' -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err"; then
    echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1
  fi
  read -r wall user sys < <(tail -n1 "$work/$name.time")
  echo "$wall" > "$work/$name.wall"
  python3 -c "print($user + $sys)" > "$work/$name.cpu"
}
# record METRIC VALUE: one value per round, for the median.
record() { echo "$2" >> "$work/metric.$1"; }
median() { python3 -c "import statistics,sys; print(statistics.median(float(l) for l in open(sys.argv[1])))" "$work/metric.$1"; }
rate() { python3 -c "print(round($1 / $2))"; }
pika_secs() { awk '{print $3}' "$work/$1.out"; }

version=$(api "$base/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rabbitmq_version"])')
echo "== RabbitMQ $version, $COUNT x 1 KiB persistent, durable classic queue, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  # publish, window 1000
  fresh_queue q; pika publish q "$COUNT"; timed pika_pub "${pika[@]}"
  record pika_pub "$(rate "$COUNT" "$(pika_secs pika_pub)")"
  fresh_queue q; timed ceil_pub "$ceiling" publish "$uri" "$ADMIN_PASSWORD_FILE" q "$COUNT" 1024 1000
  record ceil_pub "$(rate "$COUNT" "$(cat "$work/ceil_pub.wall")")"
  fresh_queue q; timed warren_pub "$warren" publish "${pw[@]}" -k q --count "$COUNT" --size 1024 --window 1000 -o json
  record warren_pub "$(rate "$COUNT" "$(cat "$work/warren_pub.wall")")"
  fresh_queue q; pika publish q "$COUNT"; timed pika_pubm env MANDATORY=1 "${pika[@]}"
  record pika_pubm "$(rate "$COUNT" "$(pika_secs pika_pubm)")"

  # consume, prefetch 1000
  fresh_queue q; fill q "$COUNT"; pika consume q "$COUNT" "$work/pika.jsonl"; timed pika_con "${pika[@]}"
  record pika_con "$(rate "$COUNT" "$(pika_secs pika_con)")"; record pika_con_cpu "$(cat "$work/pika_con.cpu")"
  fresh_queue q; fill q "$COUNT"; timed ceil_con "$ceiling" consume "$uri" "$ADMIN_PASSWORD_FILE" q "$COUNT" 1000
  record ceil_con "$(rate "$COUNT" "$(cat "$work/ceil_con.wall")")"; record ceil_con_cpu "$(cat "$work/ceil_con.cpu")"
  fresh_queue q; fill q "$COUNT"; timed warren_con "$warren" consume "${pw[@]}" q --count "$COUNT" --prefetch 1000
  record warren_con "$(rate "$COUNT" "$(cat "$work/warren_con.wall")")"; record warren_con_cpu "$(cat "$work/warren_con.cpu")"
  lines=$(wc -l < "$work/warren_con.out")
  [ "$lines" = "$COUNT" ] || { echo "warren consume wrote $lines lines, not $COUNT" >&2; exit 1; }

  # two queues: two pika publishers side by side, against warren --channels 2
  half=$((COUNT / 2))
  fresh_queue q1; fresh_queue q2
  pika publish q1 "$half"; timed pika_pub1 "${pika[@]}" & p1=$!
  pika publish q2 "$half"; timed pika_pub2 "${pika[@]}" & p2=$!
  wait "$p1" "$p2"
  slowest=$(python3 -c "print(max($(pika_secs pika_pub1), $(pika_secs pika_pub2)))")
  record pika_pub2x "$(rate "$((2 * half))" "$slowest")"
  fresh_queue q1; fresh_queue q2
  timed warren_pub2x "$warren" publish "${pw[@]}" --queues q1,q2 --channels 2 --count "$((2 * half))" --size 1024 --window 1000 -o json
  record warren_pub2x "$(rate "$((2 * half))" "$(cat "$work/warren_pub2x.wall")")"
  # This round's ratios (warren against each baseline measured in the same round).
  for pair in con_ceil:warren_con:ceil_con con_pika:warren_con:pika_con cpu:warren_con_cpu:pika_con_cpu \
      pub_ceil:warren_pub:ceil_pub pub_pika:warren_pub:pika_pub pub_pikam:warren_pub:pika_pubm \
      two:warren_pub2x:pika_pub2x; do
    IFS=: read -r name ours theirs <<< "$pair"
    record "ratio_$name" "$(python3 -c "print($(tail -n1 "$work/metric.$ours") / $(tail -n1 "$work/metric.$theirs"))")"
  done
  echo "round $round: publish pika $(tail -n1 "$work/metric.pika_pub") pika mandatory $(tail -n1 "$work/metric.pika_pubm") ceiling $(tail -n1 "$work/metric.ceil_pub") warren $(tail -n1 "$work/metric.warren_pub");" \
    "consume pika $(tail -n1 "$work/metric.pika_con") ceiling $(tail -n1 "$work/metric.ceil_con") warren $(tail -n1 "$work/metric.warren_con");" \
    "2 queues pika x2 $(tail -n1 "$work/metric.pika_pub2x") warren $(tail -n1 "$work/metric.warren_pub2x") msg/s"
done

python3 - "$COUNT" "$work" \
  "$(median pika_pub)" "$(median ceil_pub)" "$(median warren_pub)" \
  "$(median pika_con)" "$(median ceil_con)" "$(median warren_con)" \
  "$(median pika_con_cpu)" "$(median ceil_con_cpu)" "$(median warren_con_cpu)" \
  "$(median pika_pub2x)" "$(median warren_pub2x)" "$(median pika_pubm)" <<'PY'
import statistics, sys
count = float(sys.argv[1])
work = sys.argv[2]
pp, cp, wp, pc, cc, wc, pcpu, ccpu, wcpu, p2, w2, ppm = map(float, sys.argv[3:])
def rounds(name):
    return [float(l) for l in open(f"{work}/metric.ratio_{name}")]
def check(label, name, of_medians, op, target):
    per_round = rounds(name)
    value = statistics.median(per_round)
    ok = value >= target if op == ">=" else value <= target
    verdict = ("PASS" if ok else "FAIL") if target else "reference"
    shown = " ".join(f"{r:.2f}" for r in per_round)
    goal = f"target {op} {target}x" if target else "no target"
    print(f"  {label:<44} {value:5.2f}x  (rounds {shown}; of medians {of_medians:.2f}x)  ({goal})  {verdict}")
print("medians (msg/s):")
print(f"  publish   pika {pp:8.0f}   ceiling {cp:8.0f}   warren {wp:8.0f}   pika mandatory {ppm:8.0f}")
print(f"  consume   pika {pc:8.0f}   ceiling {cc:8.0f}   warren {wc:8.0f}")
print(f"  consume CPU s  pika {pcpu:.2f} ({pcpu / count * 1e6:.1f} us/msg)   ceiling {ccpu:.2f}   warren {wcpu:.2f} ({wcpu / count * 1e6:.1f} us/msg)")
print(f"  2 queues  pika x2 {p2:8.0f}   warren --channels 2 {w2:8.0f}")
print("ratios (median of the rounds' own):")
check("consume: warren / ceiling", "con_ceil", wc / cc, ">=", 0.9)
check("consume: warren / pika", "con_pika", wc / pc, ">=", 1.2)
check("consume CPU per message: warren / pika", "cpu", wcpu / pcpu, "<=", 0.45)
check("publish: warren / ceiling (mandatory)", "pub_ceil", wp / cp, ">=", 0.9)
check("publish: warren / pika", "pub_pika", wp / pp, ">=", 1.05)
check("publish: warren / pika mandatory", "pub_pikam", wp / ppm, ">=", 0)
check("2 queues: warren --channels 2 / two pika", "two", w2 / p2, ">=", 1.1)
PY

echo "== peak RSS of warren consume of $RSS_COUNT messages"
fresh_queue q
fill q "$RSS_COUNT"
/usr/bin/time -f '%M' -o "$work/rss" "$warren" consume "${pw[@]}" q --count "$RSS_COUNT" --prefetch 1000 >/dev/null 2>"$work/consume.err"
rss_kib=$(tail -n1 "$work/rss")
echo "warren  consume peak RSS: $((rss_kib / 1024)) MiB for $RSS_COUNT messages  (target < 64 MiB)"
api -XDELETE "$base/vhosts/bench" >/dev/null
