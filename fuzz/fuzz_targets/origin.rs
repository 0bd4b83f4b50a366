//! x-death origin resolution over an arbitrary header table (JSON, as the envelope has it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::replay::origin;

fuzz_target!(|data: &[u8]| {
    if let Ok(headers) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = origin::resolve(Some(&headers));
        let _ = warren::message::headers::table_from_json(&headers, "headers");
    }
});
