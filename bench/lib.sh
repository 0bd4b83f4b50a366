# Shared by bench/replay.sh and bench/move.sh (sourced, with VH set): the node `bench`, and
# warren, the management API and queue depths in vhost $VH.
# BENCH_BROKER=4.0 runs the bench on a RabbitMQ 4.0 node instead of 3.10.
BENCH_BROKER=${BENCH_BROKER:-3.10}
eval "$(scripts/broker start bench --version "$BENCH_BROKER" | grep '=')"
echo "bench: one RabbitMQ $BENCH_BROKER node"
PW=$(cat "$ADMIN_PASSWORD_FILE")
API="http://localhost:$MGMT_PORT/api"
api() { curl -sf -u "warren-admin:$PW" -H 'content-type: application/json' -X "$1" "$API$2" ${3:+--data-binary "$3"} >/dev/null; }
W() { target/release/warren --uri "amqp://warren-admin@localhost:$AMQP_PORT/$VH" --api-url "http://localhost:$MGMT_PORT" --password-file "$ADMIN_PASSWORD_FILE" "$@"; }
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):.0f}')"; }
depth() { scripts/broker ctl --version "$BENCH_BROKER" bench list_queues -p "$VH" name messages_ready --no-table-headers -q | awk -v q="$1" '$1 == q {print $2}'; }
wait_depth() { for _ in $(seq 1 300); do [ "$(depth "$1")" = "$2" ] && return; sleep 0.2; done; echo "$1 never reached $2" >&2; exit 1; }
# A fresh vhost $VH with the admin's permissions.
fresh_vhost() {
  api DELETE "/vhosts/$VH" || true
  api PUT "/vhosts/$VH" '{}'
  api PUT "/permissions/$VH/warren-admin" '{"configure":".*","write":".*","read":".*"}'
}
