#!/usr/bin/env bash
# Benchmark: `warren list queues` against rabbitmqadmin-ng 2.x (the Rust rewrite of the
# management CLI) on one node with 10,000 queues in 10 vhosts, every 10th queue holding one
# message (issue 13: warren at least 2x faster). In one run, RUNS runs of each case; the
# median wall time, the largest peak RSS (wait4), and the time to the first byte of output:
#   all queues     warren list queues --all-vhosts -o json
#                  vs  rabbitmqadmin -V VHOST queues list --columns ... for every vhost
#                  (it lists one vhost per call and has no JSON output: its table, narrowed
#                  to warren's default columns with its own --columns)
#   messages > 0   warren list queues --all-vhosts --where 'messages > 0' -o json
#                  vs  the same rabbitmqadmin listing (it has no filter; nothing is piped)
# rabbitmqadmin-ng is installed into target/tools with `cargo install` when missing. The node
# `bench-list` is started here and stopped at the end.
#
# Usage: bench/list.sh [runs]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-5}
VHOSTS=10
PER_VHOST=1000 # queues per vhost
EVERY=10       # every EVERY-th queue holds one message
QUEUES=$((VHOSTS * PER_VHOST))
WITH_MESSAGES=$((QUEUES / EVERY))
TOOLS=$PWD/target/tools
PEER=$TOOLS/bin/rabbitmqadmin

scripts/broker install >/dev/null
if ! [ -x "$PEER" ]; then
  echo "bench: installing rabbitmqadmin-ng into $TOOLS (cargo install rabbitmqadmin --locked)"
  build=$(mktemp -d)
  CARGO_TARGET_DIR=$build nice -n 10 cargo install rabbitmqadmin --locked --root "$TOOLS" --quiet
  rm -rf "$build"
fi
nice cargo build --release --locked --quiet
WARREN=$PWD/target/release/warren

work=$(mktemp -d)
trap 'scripts/broker stop bench-list >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
scripts/broker start bench-list >"$work/env"
# shellcheck disable=SC1091
. "$work/env"
PW=$(cat "$ADMIN_PASSWORD_FILE")
API="http://localhost:$MGMT_PORT"
api() { curl -sf -u "$ADMIN_USER:$PW" -H 'content-type: application/json' "$@"; }

# Queues with statistics the management API lists, and the messages they hold.
listed() {
  api "$API/api/queues?columns=name,messages" | python3 -c '
import json, sys
qs = json.load(sys.stdin)
print(sum(1 for q in qs if "messages" in q), sum(q.get("messages") or 0 for q in qs))'
}

read -r have held < <(listed)
if [ "$have" -lt "$QUEUES" ] || [ "$held" -lt "$WITH_MESSAGES" ]; then
  echo "bench: loading $QUEUES queues in $VHOSTS vhosts via POST /api/definitions"
  python3 - "$VHOSTS" "$PER_VHOST" "$ADMIN_USER" >"$work/defs.json" <<'PY'
import json, sys
vhosts, per_vhost, admin = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
names = [f"bench-{v}" for v in range(vhosts)]
json.dump({
    "vhosts": [{"name": v} for v in names],
    "permissions": [{"user": admin, "vhost": v, "configure": ".*", "write": ".*", "read": ".*"}
                    for v in names],
    "queues": [{"name": f"q-{i:04d}", "vhost": v, "durable": True, "auto_delete": False,
                "arguments": {"x-max-length": 100000} if i % 3 == 0 else {}}
               for v in names for i in range(per_vhost)],
}, sys.stdout)
PY
  start=$(date +%s)
  api -X POST --data-binary @"$work/defs.json" "$API/api/definitions" >/dev/null
  echo "bench: imported in $(($(date +%s) - start)) s; publishing 1 message to every ${EVERY}th queue"
  # One keep-alive connection, one publish through the default exchange per queue.
  python3 - "$API" "$ADMIN_USER" "$PW" "$VHOSTS" "$PER_VHOST" "$EVERY" <<'PY'
import base64, http.client, json, sys, urllib.parse
api, user, pw = sys.argv[1:4]
vhosts, per_vhost, every = (int(a) for a in sys.argv[4:7])
url = urllib.parse.urlparse(api)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
auth = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
body = lambda q: json.dumps({"properties": {"delivery_mode": 2}, "routing_key": q,
                             "payload": "bench", "payload_encoding": "string"})
for v in range(vhosts):
    for i in range(0, per_vhost, every):
        conn.request("POST", f"/api/exchanges/bench-{v}/amq.default/publish", body(f"q-{i:04d}"),
                     {"Authorization": auth, "content-type": "application/json"})
        answer = conn.getresponse()
        data = answer.read()
        if answer.status != 200 or not json.loads(data).get("routed"):
            sys.exit(f"publish to bench-{v}/q-{i:04d}: {answer.status} {data[:200]!r}")
PY
  # The statistics (messages) reach the management API every few seconds.
  for _ in $(seq 1 180); do
    read -r have held < <(listed)
    [ "$have" -ge "$QUEUES" ] && [ "$held" -ge "$WITH_MESSAGES" ] && break
    sleep 2
  done
fi
version=$(api "$API/api/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rabbitmq_version"])')
echo "bench: RabbitMQ $version: $have queues with statistics, $held of them holding a message"
if [ "$have" -lt "$QUEUES" ] || [ "$held" -lt "$WITH_MESSAGES" ]; then
  echo "bench: the node did not report every queue" >&2
  exit 1
fi

export WARREN_PASSWORD=$PW
W=("$WARREN" --uri "amqp://$ADMIN_USER@localhost:$AMQP_PORT/%2f" --api-url "$API")
P=("$PEER" --host localhost --port "$MGMT_PORT" --username "$ADMIN_USER" --password "$PW" --non-interactive)
# rabbitmqadmin lists the queues of one vhost per call: one call per vhost, the vhosts read
# once here (not timed, in the peer's favour).
mapfile -t vhosts < <(api "$API/api/vhosts?columns=name" | python3 -c '
import json, sys; print("\n".join(v["name"] for v in json.load(sys.stdin)))')
PEER_COLUMNS=name,vhost,queue_type,state,message_count,consumer_count # warren's default columns
{
  echo '#!/usr/bin/env bash'
  echo 'set -e'
  echo "for v in $(printf '%q ' "${vhosts[@]}"); do"
  echo "  $(printf '%q ' "${P[@]}") -V \"\$v\" queues list --columns $PEER_COLUMNS"
  echo 'done'
} >"$work/peer-list"
chmod +x "$work/peer-list"
peer_version=$("$PEER" --version)
echo "bench: $("$WARREN" --version), $peer_version; $RUNS runs of each"

# measure NAME CMD... -- CMD...: RUNS runs of each command, alternating (so that the
# machine's load falls on both alike), stdout read through a pipe. Prints, per command,
# "median_wall_s peak_rss_kib median_first_byte_s" and keeps its last output in
# $work/NAME-warren.out and $work/NAME-peer.out.
measure() {
  local name=$1
  shift
  python3 - "$RUNS" "$work/$name" "$@" <<'PY'
import os, statistics, subprocess, sys, time
runs, keep, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
split = args.index("--")
cmds = {"warren": args[:split], "peer": args[split + 1:]}
walls, rss, first = ({k: [] for k in cmds} for _ in range(3))
for _ in range(runs):
    for who, cmd in cmds.items():
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = bytearray()
        chunk = p.stdout.read1(65536)
        first[who].append(time.monotonic() - start)
        while chunk:
            out += chunk
            chunk = p.stdout.read1(65536)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)  # the child's own peak RSS (KiB)
        walls[who].append(time.monotonic() - start)
        rss[who].append(usage.ru_maxrss)
        if status != 0:
            sys.exit(f"bench: failed ({status}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
        with open(f"{keep}-{who}.out", "wb") as f:
            f.write(out)
for who in cmds:
    print(f"{statistics.median(walls[who]):.3f} {max(rss[who])} {statistics.median(first[who]):.3f}")
PY
}

peer_all=("$work/peer-list")
all=$(measure all "${W[@]}" list queues --all-vhosts -o json -- "${peer_all[@]}")
where=$(measure where "${W[@]}" list queues --all-vhosts --where 'messages > 0' -o json -- "${peer_all[@]}")
all_w=$(sed -n 1p <<<"$all") all_p=$(sed -n 2p <<<"$all")
where_w=$(sed -n 1p <<<"$where") where_p=$(sed -n 2p <<<"$where")

# The listings must hold what the node has: every queue, and the ones with a message.
rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/all-warren.out")
matched=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/where-warren.out")
peer_rows=$(grep -c . "$work/all-peer.out")
echo "bench: warren listed $rows queues, $matched with messages > 0; rabbitmqadmin $peer_rows lines"
if [ "$rows" -ne "$have" ] || [ "$matched" -ne "$held" ] || [ "$peer_rows" -ne "$have" ]; then
  echo "bench: a listing does not match the node" >&2
  exit 1
fi

row() { # CASE "warren-line" "peer-line"
  python3 - "$@" <<'PY'
import sys
case, w, p = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
ws, pf = float(w[0]), float(p[0])
print(f"{case:<34} {ws:>8.3f} {pf:>8.3f} {pf / ws:>6.2f}x {int(w[1]) / 1024:>10.1f} {int(p[1]) / 1024:>8.1f}")
PY
}
printf '%-34s %8s %8s %7s %10s %8s\n' case "warren s" "peer s" ratio "warren MiB" "peer MiB"
row "all queues, all vhosts" "$all_w" "$all_p"
row "messages > 0 (peer: full listing)" "$where_w" "$where_p"
echo "time to warren's first byte (JSON, all queues): $(echo "$all_w" | awk '{print $3}') s median;" \
  "peer's: $(echo "$all_p" | awk '{print $3}') s"
echo "target: ratio >= 2.00x; load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
