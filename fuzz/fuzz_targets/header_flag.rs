//! The `-H key:type=value` header flag of `warren publish`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::message::headers;

fuzz_target!(|data: &[u8]| {
    let spec = String::from_utf8_lossy(data);
    if let Ok((_, value)) = headers::parse_flag(&spec) {
        let _ = headers::value_from_json(&value, "header");
    }
});
