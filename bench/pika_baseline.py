#!/usr/bin/env python3
"""The baseline for warren's message benchmarks: what people write by hand with pika.

publish: a windowed-confirm publisher (SelectConnection, at most WINDOW unconfirmed),
1 KiB persistent messages, mandatory off (pika's common usage), or on with MANDATORY=1 in
the environment (what warren does, so that an unroutable message is not lost silently).
consume: the ordinary fast consumer: a BlockingConnection, prefetch 1000, each message
written as a JSON line, the file flushed and basic_ack(multiple=True) every 250 messages.
Nothing here is slower than what people write by hand (confirms are counted in O(1)).

Usage: pika_baseline.py publish|consume HOST PORT USER PASSWORD_FILE VHOST QUEUE COUNT [OUT]
Prints one line: `<mode> <count> <seconds> <msg/s>`.
"""
import base64
import json
import os
import sys
import time

import pika

WINDOW = 1000
PREFETCH = 1000
ACK_EVERY = 250
MANDATORY = os.environ.get("MANDATORY") == "1"


def params(host, port, user, password_file, vhost):
    with open(password_file) as f:
        password = f.read().strip()
    return pika.ConnectionParameters(host=host, port=int(port), virtual_host=vhost,
                                     credentials=pika.PlainCredentials(user, password))


def publish(p, queue, count):
    body = b"x" * 1024
    props = pika.BasicProperties(delivery_mode=2)
    # Delivery tags run 1, 2, 3...: `floor` is the highest tag below which everything is
    # confirmed, `singles` the tags confirmed one by one above it (rare: the broker mostly
    # confirms in order). Every ack is O(1) in the usual case.
    state = {"sent": 0, "confirmed": 0, "floor": 0, "start": None, "end": None}
    singles = set()

    def pump(ch):
        while state["sent"] < count and state["sent"] - state["confirmed"] < WINDOW:
            state["sent"] += 1
            ch.basic_publish("", queue, body, props, mandatory=MANDATORY)

    def on_ack(frame):
        tag = frame.method.delivery_tag
        if frame.method.multiple:
            below = [t for t in singles if t <= tag]
            singles.difference_update(below)
            newly = max(0, tag - state["floor"] - len(below))
            state["floor"] = max(state["floor"], tag)
        elif tag == state["floor"] + 1:
            state["floor"] = tag
            while state["floor"] + 1 in singles:
                singles.remove(state["floor"] + 1)
                state["floor"] += 1
            newly = 1
        else:
            singles.add(tag)
            newly = 1
        state["confirmed"] += newly
        if state["confirmed"] >= count:
            state["end"] = time.monotonic()
            conn.close()
        else:
            pump(ch_holder[0])

    ch_holder = []

    def on_channel(ch):
        ch_holder.append(ch)
        ch.confirm_delivery(on_ack, callback=lambda _f: start(ch))

    def start(ch):
        state["start"] = time.monotonic()
        pump(ch)

    conn = pika.SelectConnection(p, on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
                                 on_close_callback=lambda c, _reason: c.ioloop.stop())
    conn.ioloop.start()
    return state["end"] - state["start"]


def consume(p, queue, count, out_path):
    conn = pika.BlockingConnection(p)
    ch = conn.channel()
    ch.basic_qos(prefetch_count=PREFETCH)
    got = 0
    batch = ACK_EVERY
    last = None
    start = time.monotonic()
    with open(out_path, "w") as out:
        for method, props, body in ch.consume(queue, inactivity_timeout=5):
            if method is None:
                break
            try:
                text, enc = body.decode("utf-8"), "utf8"
            except UnicodeDecodeError:
                text, enc = base64.b64encode(body).decode(), "base64"
            out.write(json.dumps({"exchange": method.exchange, "routing_key": method.routing_key,
                                  "properties": {"delivery_mode": props.delivery_mode},
                                  "body": text, "body_encoding": enc}) + "\n")
            got += 1
            last = method.delivery_tag
            if got % batch == 0 or got == count:
                out.flush()
                ch.basic_ack(last, multiple=True)
            if got >= count:
                break
        out.flush()
    elapsed = time.monotonic() - start
    ch.cancel()
    conn.close()
    return elapsed


def main():
    mode, host, port, user, pwfile, vhost, queue, count = sys.argv[1:9]
    count = int(count)
    p = params(host, port, user, pwfile, vhost)
    if mode == "publish":
        secs = publish(p, queue, count)
    else:
        secs = consume(p, queue, count, sys.argv[9])
    print(f"{mode} {count} {secs:.3f} {count / secs:.0f}")


if __name__ == "__main__":
    main()
