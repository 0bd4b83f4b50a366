#!/usr/bin/env python3
"""Baseline for bench/replay.sh: the replay loop people write with pika 1.4.4
(`pip install pika==1.4.4`). For each dead-lettered message: publish a copy to its
x-death[0] queue with a confirm and `mandatory` (BlockingChannel.confirm_delivery makes
every basic_publish wait for its confirm), then ack the original. Prints the rate.
With DEST (the baseline of bench/move.sh), each message goes to queue DEST unchanged
instead: the move loop people write.

usage: pika_replay.py AMQP_URL DLQ COUNT [DEST]   (password read from the file $PASSWORD_FILE)
"""
import os
import sys
import time
import urllib.parse

import pika


def main():
    url, dlq, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dest = sys.argv[4] if len(sys.argv) > 4 else None
    u = urllib.parse.urlsplit(url)
    with open(os.environ["PASSWORD_FILE"]) as f:
        credentials = pika.PlainCredentials(u.username, f.read().strip())
    vhost = urllib.parse.unquote(u.path[1:]) or "/"
    params = pika.ConnectionParameters(u.hostname, u.port or 5672, vhost, credentials)
    conn = pika.BlockingConnection(params)
    consume = conn.channel()
    publish = conn.channel()
    publish.confirm_delivery()
    consume.basic_qos(prefetch_count=100)
    done = 0
    started = time.monotonic()
    for method, props, body in consume.consume(dlq, inactivity_timeout=5):
        if method is None:
            break
        if dest is None:
            death = (props.headers or {}).get("x-death", [{}])[0]
            headers = {k: v for k, v in (props.headers or {}).items() if not k.startswith("x-")}
            props.headers = headers
            props.expiration = None
            to = death["queue"]
        else:
            to = dest
        # Raises UnroutableError / NackError: the message then stays unacked.
        publish.basic_publish("", to, body, props, mandatory=True)
        consume.basic_ack(method.delivery_tag)
        done += 1
        if done >= count:
            break
    elapsed = time.monotonic() - started
    consume.cancel()
    conn.close()
    what = "replay" if dest is None else "move"
    print(f"pika confirm-each {what}: {done} messages in {elapsed:.2f}s = {done / elapsed:.0f} msg/s")


if __name__ == "__main__":
    main()
