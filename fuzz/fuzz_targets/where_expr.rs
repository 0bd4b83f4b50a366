//! A `list --where` expression: parsed against a kind's column names and without them, then
//! evaluated against a fixed row holding every kind of value (numbers, strings, timestamps,
//! booleans, unknowns, lists and objects).
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::list::expr;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let row = serde_json::json!({
        "name": "orders.retry", "messages": 1500, "consumers": 0, "durable": true,
        "exclusive": false, "memory": 2_000_000, "rate": 0.5, "node": null,
        "idle_since": "2026-12-03 10:00:00", "started": "2026-12-03T11:59:00Z",
        "arguments": {"x-queue-type": "quorum"}, "tags": ["a", "b"],
    });
    let Some(row) = row.as_object() else { return };
    let columns: Vec<&str> = row.keys().map(String::as_str).collect();
    for known in [&columns[..], &[]] {
        if let Ok(e) = expr::parse(&text, known) {
            let _ = e.columns();
            let _ = e.matches(row, &text);
        }
    }
});
