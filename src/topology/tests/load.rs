//! Unit tests of `topology::load` (kept apart so the module reads in one go).

use super::*;
use crate::exit::{Code, code_of};

fn no_env(_: &str) -> Option<String> {
    None
}

fn err(text: &str) -> String {
    err_env(text, &no_env)
}

fn err_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let e = parse("t.yaml", text, env)
        .and_then(|t| merge(vec![t]))
        .unwrap_err();
    assert_eq!(code_of(&e), Code::InvalidInput);
    format!("{e:#}")
}

#[test]
fn a_typo_names_the_place_and_the_closest_key() {
    let e = err("queues:\n  - name: q\n    durabel: true\n");
    assert!(e.starts_with("t.yaml:3:5: "), "{e}");
    assert!(e.contains("did you mean `durable`?"), "{e}");
}

#[test]
fn a_wrong_type_names_the_place() {
    let e = err("queues:\n  - name: q\n    message_ttl: soon\n");
    assert!(e.starts_with("t.yaml:3:"), "{e}");
    assert!(e.contains("message_ttl"), "{e}");
}

#[test]
fn a_plain_password_is_refused_with_advice() {
    let e = err("users:\n  - name: app\n    password: hunter2\n");
    assert!(e.contains("password_env"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn duplicates_name_both_places() {
    let a = parse("a.yaml", "queues:\n  - name: q\n", &no_env).unwrap();
    let b = parse(
        "b.yaml",
        "# x\nqueues:\n  - name: other\n  - name: q\n",
        &no_env,
    )
    .unwrap();
    let e = format!("{:#}", merge(vec![a, b]).unwrap_err());
    assert!(
        e.contains("b.yaml:4:5: duplicate queue `q` in vhost `/`: first declared at a.yaml:2:5"),
        "{e}"
    );
}

#[test]
fn variables_are_interpolated_with_defaults() {
    let env = |k: &str| (k == "VH").then(|| "orders".to_string());
    let t = parse(
        "t.yaml",
        "queues:\n  - name: ${Q:-work}\n    vhost: ${VH}\n",
        &env,
    )
    .unwrap();
    assert_eq!(t.queues[0].name, "work");
    assert_eq!(t.queues[0].vhost, "orders");
    let t = parse("t.yaml", "queues:\n  - name: a$${b}\n", &env).unwrap();
    assert_eq!(t.queues[0].name, "a${b}");
}

#[test]
fn an_unset_variable_is_an_error_at_its_place() {
    let e = err("queues:\n  - name: q\n    vhost: ${NOPE}\n");
    assert!(e.starts_with("t.yaml:3:12: "), "{e}");
    assert!(e.contains("`NOPE` is not set"), "{e}");
    // Comments are not interpolated.
    parse("t.yaml", "# ${NOPE}\nqueues: []\n", &no_env).unwrap();
}

#[test]
fn hostile_values_load_as_plain_strings() {
    for value in [
        "a: b",
        "a #b",
        "x\nqueues:\n  - name: injected",
        "{q}",
        "'\"",
        "[1]",
    ] {
        let env = |k: &str| (k == "V").then(|| value.to_string());
        for text in [
            "queues:\n  - name: ${V}\n    vhost: v\n",
            "queues:\n  - name: \"${V}\"\n    vhost: v\n",
            "queues: [{name: ${V}, vhost: v}]\n",
            "queues:\n  - name: pre-${V}-post\n",
        ] {
            let t = parse("t.yaml", text, &env).unwrap_or_else(|e| panic!("{text}: {e:#}"));
            assert_eq!(t.queues.len(), 1, "{text}");
            assert!(
                t.queues[0].name.contains(value),
                "{text}: {:?}",
                t.queues[0].name
            );
        }
    }
}

#[test]
fn a_whole_unquoted_reference_can_be_a_number() {
    let env = |k: &str| (k == "TTL").then(|| "60000".to_string());
    let t = parse(
        "t.yaml",
        "queues:\n  - name: q\n    message_ttl: ${TTL}\n",
        &env,
    )
    .unwrap();
    assert_eq!(t.queues[0].message_ttl, Some(60000));
    let t = parse("t.yaml", "queues:\n  - name: \"${TTL}\"\n", &env).unwrap();
    assert_eq!(t.queues[0].name, "60000");
}

#[test]
fn a_reference_in_a_key_is_an_error() {
    let env = |_: &str| Some("name".to_string());
    let e = parse("t.yaml", "queues:\n  - ${K}: q\n", &env).unwrap_err();
    assert_eq!(format!("{e:#}").split(": ").next(), Some("t.yaml:2:5"));
    assert!(format!("{e:#}").contains("not allowed in a key"), "{e:#}");
}

#[test]
fn errors_after_interpolation_still_name_the_line() {
    let env = |_: &str| Some("q".to_string());
    let e = err_env("queues:\n  - name: ${Q}\n    durabel: true\n", &env);
    assert!(e.starts_with("t.yaml:3:5: "), "{e}");
}

#[test]
fn flow_style_lists_fall_back_to_the_section() {
    let t = parse("t.yaml", "\nqueues: [{name: a}, {name: b}]\n", &no_env).unwrap();
    assert_eq!(t.queues[1].origin.line, 2);
}

/// (line, column) of each queue, or of each binding where there are no queues.
fn positions(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<(usize, usize)> {
    let t = parse("t.yaml", text, env).unwrap();
    let origins = t.queues.iter().map(|q| &q.origin);
    (origins.chain(t.bindings.iter().map(|b| &b.origin)))
        .map(|o| (o.line, o.column))
        .collect()
}

#[test]
fn flow_style_items_have_exact_positions() {
    let text = "\nqueues: [{name: a}, {name: b}]\n";
    assert_eq!(positions(text, &no_env), [(2, 10), (2, 21)]);
    let text =
        "bindings:\n  [\n    {source: x, destination: q},\n      {source: y, destination: q}]\n";
    assert_eq!(positions(text, &no_env), [(3, 5), (4, 7)]);
}

#[test]
fn positions_after_a_reference_on_the_same_line_are_the_files() {
    let env = |_: &str| Some("a-rather-long-queue-name".to_string());
    let text = "queues: [{name: ${Q}}, {name: b}]\n";
    assert_eq!(positions(text, &env), [(1, 10), (1, 24)]);
}

#[test]
fn block_items_start_at_their_first_key() {
    let text = "queues:\n- name: a\n-   name: b\n- # c\n  name: c\n";
    assert_eq!(positions(text, &no_env), [(2, 3), (3, 5), (5, 3)]);
}

#[test]
fn what_the_broker_would_refuse_is_an_error_at_load() {
    let long = "q".repeat(256);
    let e = err(&format!("queues:\n  - name: {long}\n"));
    assert!(
        e.contains("t.yaml:2:5: queue name is 256 bytes long"),
        "{e}"
    );
    let e = err("queues:\n  - name: ok\n  - name: amq.mine\n");
    assert!(e.contains("t.yaml:3:5: queue `amq.mine`"), "{e}");
    let e = err("queues:\n  - name: q\n    max_priority: 256\n");
    assert!(
        e.contains("`x-max-priority` must be a whole number from 0 to 255"),
        "{e}"
    );
    let e = err("queues:\n  - name: q\n    arguments: {x-message-ttl: -1}\n");
    assert!(e.contains("`x-message-ttl`"), "{e}");
    let e = err(&format!(
        "bindings:\n  - {{source: x, destination: q, routing_key: {long}}}\n"
    ));
    assert!(e.contains("routing key is 256 bytes long"), "{e}");
    // 255 bytes is allowed.
    let name = "é".repeat(127);
    parse("t.yaml", &format!("queues:\n  - name: {name}x\n"), &no_env)
        .and_then(|t| merge(vec![t]))
        .unwrap();
}

#[test]
fn a_wrong_type_from_a_variable_names_it_and_its_type() {
    let env = |k: &str| match k {
        "DURABLE" => Some("not sure".to_string()),
        "TTL" => Some("soon".to_string()),
        "NAME" => Some("5".to_string()),
        _ => None,
    };
    let e = err_env("queues:\n  - name: q\n    durable: ${DURABLE}\n", &env);
    assert!(!e.contains('\u{f8ff}') && !e.contains("f8ff"), "{e}");
    assert!(e.starts_with("t.yaml:3:14: "), "{e}");
    assert!(
        e.contains("`${DURABLE}` is the string \"not sure\": expected a boolean"),
        "{e}"
    );
    let e = err_env("queues:\n  - name: q\n    message_ttl: ${TTL}\n", &env);
    assert!(e.contains("`${TTL}` is the string \"soon\""), "{e}");
    let e = err_env("queues:\n  - name: q\n    durable: \"${TTL}\"\n", &env);
    assert!(e.contains("`${TTL}` is the string \"soon\""), "{e}");
    let e = err_env("queues:\n  - name: q\n    durable: ${NAME}\n", &env);
    assert!(e.contains("`${NAME}` is the number \"5\""), "{e}");
}

#[test]
fn a_nested_default_is_refused_never_taken_literally() {
    for env in [no_env as fn(&str) -> Option<String>, |_: &str| {
        Some("x".to_string())
    }] {
        let e = err_env("queues:\n  - name: ${X:-${Y}}\n", &env);
        assert!(e.starts_with("t.yaml:2:11: "), "{e}");
        assert!(e.contains("`${X:-${Y}}`"), "{e}");
        assert!(e.contains("nested defaults are not supported"), "{e}");
    }
}

#[test]
fn nesting_beyond_the_limit_is_refused_before_parsing() {
    let started = std::time::Instant::now();
    let text = format!(
        "queues:\n  - name: q\n    arguments:\n      x: {}\n",
        "[".repeat(200_000)
    );
    let e = err(&text);
    assert!(
        e.starts_with("t.yaml: line 4, column 70: nested deeper than the limit of 64 levels"),
        "{e}"
    );
    assert!(e.contains("--max-depth"), "{e}");
    let e = err(&"- ".repeat(100_000));
    assert!(e.contains("nested deeper than the limit of 64"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // Just within the limit: parsed (and refused by the schema, not by depth).
    let text = format!(
        "queues:\n  - name: q\n    arguments:\n      x: {}1{}\n",
        "[".repeat(60),
        "]".repeat(60)
    );
    let t = parse("t.yaml", &text, &no_env).unwrap();
    assert_eq!(t.queues.len(), 1);
    assert!(parse_within("t.yaml", &text, 10, &no_env).is_err());
}
