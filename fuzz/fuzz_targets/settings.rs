//! Connection settings: the input as a `--uri` flag and as `WARREN_URI` (comma-separated).
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::broker::settings::{self, ConnectionFlags, Secret};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let no_password = |_: &std::path::Path| -> anyhow::Result<Secret> { anyhow::bail!("no file") };
    let args = ConnectionFlags {
        uris: vec![text.clone()],
        ..Default::default()
    };
    let _ = settings::resolve(&args, &|_| None, None, &no_password);
    let env_text = text.clone();
    let env = move |name: &str| (name == "WARREN_URI").then(|| env_text.clone());
    let _ = settings::resolve(&ConnectionFlags::default(), &env, None, &no_password);
    let _ = settings::redact_uri_text(&text);
});
