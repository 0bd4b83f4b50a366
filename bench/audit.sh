#!/usr/bin/env bash
# Benchmark: `warren audit` against a broker with 10,000 queues, 500 users and 1,000
# permissions must finish in under 3 s wall time (issue 6). Prints each run's time and the
# verdict against the target. The node `bench-audit` is left running for reruns; stop it
# with `scripts/broker stop bench-audit`.
#
# Usage: bench/audit.sh [runs]   (default 3 runs; the median is compared with the target)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-3}
TARGET_MS=3000
QUEUES=10000
USERS=500
VHOSTS=2 # every user gets a permission in each vhost: USERS * VHOSTS = 1,000 permissions

scripts/broker install >/dev/null
eval "$(scripts/broker start bench-audit | grep -E '^[A-Z_]+=')"
PW=$(cat "$ADMIN_PASSWORD_FILE")
API="http://localhost:$MGMT_PORT"

have=$(curl -sf -u "warren-admin:$PW" "$API/api/overview" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["object_totals"]["queues"])')
if [ "$have" -lt "$QUEUES" ]; then
  echo "bench: loading $QUEUES queues, $USERS users, $((USERS * VHOSTS)) permissions via POST /api/definitions"
  defs=$(mktemp)
  python3 - "$QUEUES" "$USERS" "$VHOSTS" >"$defs" <<'PY'
import base64, hashlib, json, os, sys
queues, users, vhosts = (int(a) for a in sys.argv[1:4])
def pw_hash(password):
    # RabbitMQ's rabbit_password_hashing_sha256: base64(salt || sha256(salt || password)).
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()
vnames = [f"bench-{i}" for i in range(vhosts)]
d = {"vhosts": [{"name": v} for v in vnames], "users": [], "permissions": [], "queues": [],
     "policies": [], "exchanges": [], "bindings": []}
for i in range(users):
    name = f"user-{i:04d}"
    # Every 50th user has a weak password, so the hashing rule has work and findings.
    password = name if i % 50 == 0 else base64.b64encode(os.urandom(12)).decode()
    d["users"].append({"name": name, "password_hash": pw_hash(password),
                       "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []})
    for v in vnames:
        d["permissions"].append({"user": name, "vhost": v, "configure": f"^{name}\\.",
                                 "write": f"^{name}\\.", "read": ".*" if i % 10 == 0 else f"^{name}\\."})
for i in range(queues):
    args = {"x-dead-letter-exchange": "dlx", "x-max-length": 10000} if i % 2 else {}
    if i % 97 == 0:
        args["x-queue-mode"] = "lazy"
    d["queues"].append({"name": f"q-{i:05d}", "vhost": vnames[i % vhosts], "durable": True,
                        "auto_delete": False, "arguments": args})
d["policies"].append({"vhost": vnames[0], "name": "catch-all", "pattern": ".*", "apply-to": "queues",
                      "definition": {"message-ttl": 86400000}, "priority": 0})
json.dump(d, sys.stdout)
PY
  curl -sf -u "warren-admin:$PW" -H 'content-type: application/json' -X POST \
    --data-binary @"$defs" "$API/api/definitions" >/dev/null
  rm -f "$defs"
  # Let the stats database see every queue before timing.
  for _ in $(seq 1 120); do
    have=$(curl -sf -u "warren-admin:$PW" "$API/api/overview" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["object_totals"]["queues"])')
    [ "$have" -ge "$QUEUES" ] && break
    sleep 1
  done
fi
counts=$(curl -sf -u "warren-admin:$PW" "$API/api/overview" | python3 -c '
import json,sys; t=json.load(sys.stdin)["object_totals"]; print(t["queues"], "queues")')
users=$(curl -sf -u "warren-admin:$PW" "$API/api/users" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
perms=$(curl -sf -u "warren-admin:$PW" "$API/api/permissions" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "bench: broker has $counts, $users users, $perms permissions"

cargo build --release --locked --quiet
WARREN=target/release/warren
times=()
for run in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  set +e
  "$WARREN" audit --output json --uri "amqp://warren-admin@localhost:$AMQP_PORT/%2f" \
    --api-url "$API" --password-file "$ADMIN_PASSWORD_FILE" >/tmp/warren-bench-audit.json \
    2>/tmp/warren-bench-audit.err
  code=$?
  set -e
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  # 0 = no finding at or above high, 3 = findings: both are a completed audit.
  if [ "$code" -ne 0 ] && [ "$code" -ne 3 ]; then
    echo "bench: warren audit failed with exit code $code:" >&2
    cat /tmp/warren-bench-audit.err >&2
    exit 1
  fi
  findings=$(python3 -c 'import json; r=json.load(open("/tmp/warren-bench-audit.json")); print(sum(len(x["findings"]) for x in r["rules"]))')
  echo "run $run: ${ms} ms (exit $code, $findings findings)"
  times+=("$ms")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
verdict=PASS
[ "$median" -lt "$TARGET_MS" ] || verdict=FAIL
echo "warren audit: median ${median} ms over $RUNS runs vs target ${TARGET_MS} ms ($(awk "BEGIN {printf \"%.2f\", $median/$TARGET_MS}") of target): $verdict"
[ "$verdict" = PASS ]
