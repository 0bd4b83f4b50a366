#!/usr/bin/env bash
# Fuzz warren's parsers with cargo-fuzz (libFuzzer, address sanitizer) for SECONDS each
# (default 600), one target at a time in one process, and print, per target, the executions
# and the crashes found. Each run has memory and time limits, so that a blow-up is a crash
# too: a process above FUZZ_RSS_MB (512) resident, a single allocation above FUZZ_MALLOC_MB
# (256), or one input that takes longer than FUZZ_TIMEOUT seconds (5).
#
# Targets (fuzz/fuzz_targets/): envelope (JSON line parser), topology_load (YAML with
# ${VAR}), convert (definitions export), settings (URI and WARREN_URI), header_flag
# (-H key:type=value), origin (x-death resolution over any header table), where_expr
# (`list --where`: parse and evaluate against a fixed row).
#
# Usage: bench/fuzz.sh [SECONDS] [TARGET...]
# Needs a nightly toolchain (`rustup toolchain list`) and cargo-fuzz (installed here if
# missing). A crash leaves its input in fuzz/artifacts/TARGET/; turn each into a unit test.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(envelope topology_load where_expr convert settings header_flag origin)
RSS_MB=${FUZZ_RSS_MB:-512}
MALLOC_MB=${FUZZ_MALLOC_MB:-256}
TIMEOUT=${FUZZ_TIMEOUT:-5}

cargo +nightly --version >/dev/null 2>&1 || {
  echo "fuzz: no nightly toolchain (cargo-fuzz needs one): rustup toolchain install nightly" >&2
  exit 1
}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

# Seed corpora from the captured fixtures.
seed() { # TARGET FILE...
  local dir=fuzz/corpus/$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do [[ -f $f ]] && cp "$f" "$dir/" 2>/dev/null || true; done
}
seed topology_load topology.example.yaml tests/fixtures/topology/*.yaml
seed convert tests/fixtures/rabbitmq-3.10.8/definitions-*.json
mkdir -p fuzz/corpus/envelope fuzz/corpus/origin
i=0
for f in tests/fixtures/rabbitmq-3.10.8/dead-lettered/*.jsonl; do
  while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" >"fuzz/corpus/envelope/seed-$i"
    python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]).get("properties",{}).get("headers",{})))' "$line" \
      >"fuzz/corpus/origin/seed-$i" 2>/dev/null || true
  done <"$f"
done
mkdir -p fuzz/corpus/settings
printf 'amqps://ops@rabbit-1:5671/orders' >fuzz/corpus/settings/seed-1
printf 'amqp://a@h1/%%2f,amqp://b@h2:5673/v' >fuzz/corpus/settings/seed-2
mkdir -p fuzz/corpus/header_flag
printf 'retry:i32=3' >fuzz/corpus/header_flag/seed-1
printf 'trace:json={"a":[1]}' >fuzz/corpus/header_flag/seed-2
mkdir -p fuzz/corpus/where_expr
printf 'messages > 1000 && consumers == 0' >fuzz/corpus/where_expr/seed-1
printf '!(name =~ "^orders\\.") || idle_since > 1h' >fuzz/corpus/where_expr/seed-2
printf '(memory >= 1MiB && durable) || node == null' >fuzz/corpus/where_expr/seed-3

(cd fuzz && cargo +nightly fuzz build -O)

printf '%-15s %12s %10s %8s\n' target executions exec/s crashes
total_crashes=0
for t in "${TARGETS[@]}"; do
  log=$(mktemp)
  mkdir -p "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$MALLOC_MB" -timeout="$TIMEOUT") >"$log" 2>&1 || true
  runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  total_crashes=$((total_crashes + crashes))
  printf '%-15s %12s %10s %8s\n' "$t" "${runs:-?}" "${rate:-?}" "$crashes"
  if [[ $crashes -gt 0 ]]; then
    grep -m3 -E 'panicked|ERROR: ' "$log" | sed 's/^/    /'
    find "fuzz/artifacts/$t" -type f -newer "$log" | sed 's/^/    input: /'
  fi
  rm -f "$log"
done
echo "total crashes: $total_crashes"
