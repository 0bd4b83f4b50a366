#!/usr/bin/env python3
"""The baseline for warren's message benchmarks: what people write by hand with pika.

publish: a windowed-confirm publisher (SelectConnection, at most WINDOW unconfirmed),
1 KiB persistent messages, mandatory off (pika's common usage).
consume: a prefetch consumer that writes each message as a JSON line and acks in batches
with multiple=True after flushing, like warren consume.

Usage: pika_baseline.py publish|consume HOST PORT USER PASSWORD_FILE VHOST QUEUE COUNT [OUT]
Prints one line: `<mode> <count> <seconds> <msg/s>`.
"""
import base64
import json
import sys
import time

import pika

WINDOW = 1000
PREFETCH = 1000


def params(host, port, user, password_file, vhost):
    with open(password_file) as f:
        password = f.read().strip()
    return pika.ConnectionParameters(host=host, port=int(port), virtual_host=vhost,
                                     credentials=pika.PlainCredentials(user, password))


def publish(p, queue, count):
    body = b"x" * 1024
    props = pika.BasicProperties(delivery_mode=2)
    state = {"sent": 0, "confirmed": 0, "outstanding": set(), "start": None, "end": None}

    def pump(ch):
        while state["sent"] < count and len(state["outstanding"]) < WINDOW:
            state["sent"] += 1
            state["outstanding"].add(state["sent"])
            ch.basic_publish("", queue, body, props)

    def on_ack(frame):
        tag = frame.method.delivery_tag
        if frame.method.multiple:
            done = [t for t in state["outstanding"] if t <= tag]
        else:
            done = [tag]
        for t in done:
            state["outstanding"].discard(t)
        state["confirmed"] += len(done)
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
    batch = PREFETCH // 2
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
