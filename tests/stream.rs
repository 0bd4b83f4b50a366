//! Streams against a real node: `consume` and `peek` read a stream from `--offset` (first,
//! an offset, a time), keep its messages, and record each message's offset; `--offset`
//! elsewhere and `--no-ack` on a stream are refused. Counted with rabbitmqctl, not warren.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{TestDir, TestVhost, shared_node};
use warren::exit::Code;

fn fill(vhost: &TestVhost, dir: &TestDir, stream: &str, from: usize, to: usize) {
    let lines: String = (from..to).map(|i| format!("s-{i:04}\n")).collect();
    vhost
        .warren(dir)
        .args(["publish", "-k", stream, "--lines"])
        .stdin(lines)
        .succeeds();
}

/// The node's clock now, as an RFC 3339 time in whole seconds, and how far (ms) the node's
/// clock is from the operating system's.
fn node_clock(node: &support::Node) -> (String, i64) {
    let out = node.ctl(&[
        "eval",
        "{erlang:system_time(second), erlang:system_time(millisecond) - os:system_time(millisecond)}.",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "rabbitmqctl eval: {text} {:?}",
        out.stderr
    );
    let (secs, skew) = text
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<i64>().ok()?)))
        .unwrap_or_else(|| panic!("rabbitmqctl eval said {text:?}"));
    let at = std::time::UNIX_EPOCH + Duration::from_secs(secs);
    (humantime::format_rfc3339_seconds(at).to_string(), skew)
}

/// Each consumed envelope's body index (`s-0042` -> 42) and its `x-stream-offset` header.
fn read(run: &support::Run) -> Vec<(usize, u64)> {
    run.stdout()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let body = v["body"].as_str().unwrap_or_default();
            let index = body.trim_start_matches("s-").parse().unwrap_or(usize::MAX);
            let offset = &v["properties"]["headers"]["x-stream-offset"];
            // The envelope's typed form ({"$i64": n}) or a plain number.
            let offset = offset
                .as_u64()
                .or_else(|| {
                    offset
                        .as_object()
                        .and_then(|o| o.values().next())
                        .and_then(Value::as_u64)
                })
                .unwrap_or_else(|| panic!("no x-stream-offset in {v}"));
            (index, offset)
        })
        .collect()
}

#[test]
fn a_stream_is_read_from_an_offset_and_keeps_its_messages() {
    let vhost = TestVhost::new(shared_node(), "stream");
    let dir = TestDir::new("stream");
    vhost.queue(
        "events",
        r#"{"durable":true,"arguments":{"x-queue-type":"stream"}}"#,
    );
    fill(&vhost, &dir, "events", 0, 1000);

    let all = vhost
        .warren(&dir)
        .args(["consume", "events", "--offset", "first", "--count", "1000"])
        .succeeds();
    let got = read(&all);
    assert_eq!(got.len(), 1000);
    assert!(
        got.iter().enumerate().all(|(i, (index, _))| *index == i),
        "in order"
    );
    let first_offset = got[0].1;
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, (_, o))| *o == first_offset + i as u64)
    );

    // From the 500th message, by its offset.
    let from = first_offset + 500;
    let half = vhost
        .warren(&dir)
        .args([
            "consume",
            "events",
            "--offset",
            &from.to_string(),
            "--idle-timeout",
            "2",
        ])
        .succeeds();
    let got = read(&half);
    assert_eq!(got.len(), 500, "{}", half.explain());
    assert_eq!(got[0], (500, from));

    // No --offset on a stream: from the first message, said on stderr.
    let default = vhost
        .warren(&dir)
        .args(["consume", "events", "--count", "10"])
        .succeeds();
    default.says("reading from its first message");
    assert_eq!(read(&default)[0].0, 0);

    // Peek reads without --requeue games: the stream keeps everything.
    vhost
        .warren(&dir)
        .args(["peek", "events", "-n", "3", "--offset", "last"])
        .succeeds();
    // Read again from the start: all 1000 are still there. (rabbitmqctl's message count of
    // a 3.10 stream is not reliable: it sometimes says 0 for a stream of 1000.)
    let again = vhost
        .warren(&dir)
        .args([
            "consume",
            "events",
            "--offset",
            "first",
            "--idle-timeout",
            "2",
        ])
        .succeeds();
    assert_eq!(read(&again).len(), 1000, "reading removes nothing");
}

#[test]
fn a_time_offset_starts_about_there() {
    let vhost = TestVhost::new(shared_node(), "stream-time");
    let dir = TestDir::new("stream-time");
    vhost.queue(
        "ticks",
        r#"{"durable":true,"arguments":{"x-queue-type":"stream"}}"#,
    );
    fill(&vhost, &dir, "ticks", 0, 500);
    std::thread::sleep(Duration::from_millis(2100));
    // The time is read from the node's clock, which stamps the chunks: 3.10 runs on Erlang
    // 25 without time warp, so after the machine's clock steps (a paused VM resumed) its
    // clock trails the machine's and catches up slowly, and a time from this process's
    // clock could lie after every chunk (the read then attaches at `next` and gets nothing).
    let (at, skew) = node_clock(&vhost.node);
    std::thread::sleep(Duration::from_millis(1100));
    fill(&vhost, &dir, "ticks", 500, 1000);
    let run = vhost
        .warren(&dir)
        .args(["consume", "ticks", "--offset", &at, "--idle-timeout", "3"])
        .succeeds();
    let got = read(&run);
    let indexes: Vec<usize> = got.iter().map(|(i, _)| *i).collect();
    assert!(
        !got.is_empty(),
        "--offset {at} (node clock {skew} ms off this machine's): nothing read in {:?}; \
         warren said: {}",
        run.elapsed,
        run.stderr()
    );
    eprintln!(
        "--offset {at} (node clock {skew} ms off): {} messages, from s-{:04}",
        got.len(),
        indexes[0]
    );
    // Every message published after the time is there, and the read starts at the chunk
    // holding the time: nothing from more than a chunk before it.
    assert!((500..1000).all(|i| indexes.contains(&i)), "{indexes:?}");
    assert!(indexes[0] <= 500 && got.len() <= 1000, "{indexes:?}");
    assert!(
        indexes[0] >= 250,
        "started far too early: s-{:04}",
        indexes[0]
    );
}

#[test]
fn offsets_only_for_streams_and_acks_for_streams() {
    let vhost = TestVhost::new(shared_node(), "stream-bad");
    let dir = TestDir::new("stream-bad");
    vhost.queue("plain", r#"{"durable":true}"#);
    vhost.queue(
        "log",
        r#"{"durable":true,"arguments":{"x-queue-type":"stream"}}"#,
    );
    vhost
        .warren(&dir)
        .args([
            "consume",
            "plain",
            "--offset",
            "first",
            "--idle-timeout",
            "1",
        ])
        .fails_with(Code::Usage.as_i32())
        .says("`plain` is a classic queue");
    vhost
        .warren(&dir)
        .args(["consume", "log", "--no-ack", "--idle-timeout", "1"])
        .fails_with(Code::Usage.as_i32())
        .says("--no-ack is refused");
    vhost
        .warren(&dir)
        .args(["tap", "amq.topic", "--offset", "first"])
        .fails_with(Code::Usage.as_i32());
    vhost
        .warren(&dir)
        .args(["consume", "log", "--offset", "soon"])
        .fails_with(Code::Usage.as_i32());
}
