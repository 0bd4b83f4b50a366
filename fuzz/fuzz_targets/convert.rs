//! A RabbitMQ definitions export, converted to a topology and written as YAML.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::topology::export;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(converted) = export::convert("fuzz.json", &text, "/") {
        let _ = export::to_yaml(&converted.topology, "fuzz");
    }
});
