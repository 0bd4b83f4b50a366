//! One JSON line of the envelope format: parse it, then build the AMQP message from it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::message::envelope::Envelope;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    if let Ok(envelope) = Envelope::parse(&line) {
        let _ = envelope.encode();
    }
});
