#!/usr/bin/env bash
# Benchmark of `warren topology` against the broker's own bulk import.
#
# Builds a topology of QUEUES classic queues (default 10,000), as many bindings, 20 topic
# exchanges and 10 policies, then reports in one run on one node:
#   - import: the broker's own `POST /api/definitions` of those objects into an empty vhost (baseline)
#   - apply:  `warren topology apply` of the same objects into another empty vhost
#   - plan:   a no-change `warren topology plan` of the applied topology
# Targets: apply <= 1.5x import; plan < 3 s.
#
# Usage: bench/topology.sh            (QUEUES=2000 bench/topology.sh for a quick run)
# Uses a release build and its own node `bench` (stopped at the end unless KEEP_NODE=1).
set -euo pipefail
cd "$(dirname "$0")/.."

QUEUES=${QUEUES:-10000}
EXCHANGES=20
POLICIES=10

cargo build --release --quiet
WARREN=$PWD/target/release/warren

eval "$(scripts/broker start bench | grep -E '^[A-Z_]+=')"
cleanup() {
  for v in bench-import bench-apply; do
    curl -s -o /dev/null -u "$ADMIN_USER:$(cat "$ADMIN_PASSWORD_FILE")" -X DELETE "http://localhost:$MGMT_PORT/api/vhosts/$v" || true
  done
  [[ ${KEEP_NODE:-0} == 1 ]] || scripts/broker stop bench >/dev/null
}
trap cleanup EXIT

api() { # METHOD PATH [curl args...]
  local method=$1 path=$2
  shift 2
  curl -sS -f -u "$ADMIN_USER:$(cat "$ADMIN_PASSWORD_FILE")" -H 'content-type: application/json' \
    -X "$method" "http://localhost:$MGMT_PORT$path" "$@"
}

WORK=$(mktemp -d)
python3 - "$WORK" "$QUEUES" "$EXCHANGES" "$POLICIES" <<'PY'
import json, sys
work, queues, exchanges, policies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def objects(vhost):
    ex = [{"name": f"ex.{e}", "vhost": vhost, "type": "topic", "durable": True,
           "auto_delete": False, "internal": False, "arguments": {}} for e in range(exchanges)]
    qs = [{"name": f"q.{i}", "vhost": vhost, "durable": True, "auto_delete": False,
           "arguments": {"x-queue-type": "classic", "x-max-length": 1000}} for i in range(queues)]
    bs = [{"source": f"ex.{i % exchanges}", "vhost": vhost, "destination": f"q.{i}",
           "destination_type": "queue", "routing_key": f"key.{i}.#", "arguments": {}} for i in range(queues)]
    ps = [{"vhost": vhost, "name": f"p.{p}", "pattern": f"^q\\.{p}", "apply-to": "queues",
           "priority": p, "definition": {"message-ttl": 60000 + p}} for p in range(policies)]
    return ex, qs, bs, ps
ex, qs, bs, ps = objects("bench-import")
json.dump({"exchanges": ex, "queues": qs, "bindings": bs, "policies": ps}, open(f"{work}/definitions.json", "w"))
ex, qs, bs, ps = objects("bench-apply")
with open(f"{work}/topology.yaml", "w") as f:
    f.write("exchanges:\n")
    for e in ex:
        f.write(f"  - {{name: {e['name']}, vhost: bench-apply, type: topic}}\n")
    f.write("queues:\n")
    for q in qs:
        f.write(f"  - {{name: {q['name']}, vhost: bench-apply, max_length: 1000}}\n")
    f.write("bindings:\n")
    for b in bs:
        f.write(f"  - {{vhost: bench-apply, source: {b['source']}, destination: {b['destination']}, routing_key: \"{b['routing_key']}\"}}\n")
    f.write("policies:\n")
    for p in ps:
        f.write(f"  - {{name: {p['name']}, vhost: bench-apply, pattern: '{p['pattern']}', apply_to: queues, priority: {p['priority']}, definition: {{message-ttl: {p['definition']['message-ttl']}}}}}\n")
PY

exists() { api GET "/api/vhosts/$1" -o /dev/null 2>/dev/null; }
for v in bench-import bench-apply; do
  # Deleting a vhost of 10,000 queues takes a while: wait until it is really gone.
  api DELETE "/api/vhosts/$v" -o /dev/null 2>/dev/null || true
  while exists "$v"; do sleep 1; done
  api PUT "/api/vhosts/$v" -d '{}'
  until exists "$v"; do sleep 1; done
  api PUT "/api/permissions/$v/$ADMIN_USER" -d '{"configure":".*","write":".*","read":".*"}'
done

now() { date +%s.%N; }
count() { api GET "/api/definitions/$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["queues"]), "queues,", len(d["bindings"]), "bindings,", len(d["exchanges"]), "exchanges,", len(d["policies"]), "policies")'; }
W=("$WARREN" --uri "amqp://$ADMIN_USER@localhost:$AMQP_PORT/bench-apply" --api-url "http://localhost:$MGMT_PORT" --password-file "$ADMIN_PASSWORD_FILE")

echo "objects: $QUEUES queues, $QUEUES bindings, $EXCHANGES exchanges, $POLICIES policies; RabbitMQ $(api GET /api/overview | python3 -c 'import json,sys; print(json.load(sys.stdin)["rabbitmq_version"])')"

t0=$(now)
api POST /api/definitions --data-binary "@$WORK/definitions.json" -o /dev/null
t1=$(now)
# Count what the import made, then delete it: apply must also start on a node without those
# 10,000 queues (a node that holds more queues declares new ones more slowly).
imported=$(count bench-import)
api DELETE /api/vhosts/bench-import -o /dev/null
while exists bench-import; do sleep 1; done
t1b=$(now)
"${W[@]}" topology apply -f "$WORK/topology.yaml" >/dev/null
t2=$(now)
"${W[@]}" topology plan -f "$WORK/topology.yaml" --detailed-exitcode >"$WORK/plan.txt"
t3=$(now)
# Two more no-change plans (the median is reported), and the broker's own time to answer the
# two big list requests plan makes, in parallel: the floor for plan on this machine right now.
plans=("$(python3 -c "print($t3 - $t2)")")
for _ in 1 2; do
  a=$(now)
  "${W[@]}" topology plan -f "$WORK/topology.yaml" --detailed-exitcode >/dev/null
  plans+=("$(python3 -c "print($(now) - $a)")")
done
a=$(now)
api GET "/api/queues/bench-apply?disable_stats=true&columns=name,durable,auto_delete,arguments" -o /dev/null &
api GET "/api/bindings/bench-apply" -o /dev/null &
wait
floor=$(python3 -c "print($(now) - $a)")

echo "bench-import: $imported"
echo "bench-apply:  $(count bench-apply)"
head -1 "$WORK/plan.txt"
python3 - "$t0" "$t1" "$t1b" "$t2" "$floor" "${plans[@]}" <<'PY'
import statistics, sys
t0, t1, t1b, t2, floor, *plans = map(float, sys.argv[1:])
imp, app = t1 - t0, t2 - t1b
plan = statistics.median(plans)
print(f"broker bulk import (baseline): {imp:7.2f} s")
print(f"warren topology apply:         {app:7.2f} s   ratio apply/import = {app / imp:.2f}x (target <= 1.5x) {'OK' if app / imp <= 1.5 else 'MISSED'}")
print(f"warren topology plan (no-op):  {plan:7.2f} s median of {', '.join(f'{p:.2f}' for p in plans)}   (target < 3 s) {'OK' if plan < 3 else 'MISSED'}")
print(f"  broker floor for plan's reads (queues + bindings lists in parallel): {floor:.2f} s")
PY
uptime
rm -rf "$WORK"
