//! A topology file with `${VAR}` references: every variable resolves to the input's first
//! line, so hostile values meet hostile documents.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warren::topology::load;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let value = text.lines().next().unwrap_or_default().to_string();
    let env = move |name: &str| (name != "UNSET").then(|| value.clone());
    if let Ok(t) = load::parse("fuzz.yaml", &text, &env) {
        if let Ok(t) = load::merge(vec![t]) {
            let _ = t.to_defs();
            let _ = warren::topology::lint::lint(&t);
        }
    }
});
