//! warren: a command-line operations toolkit for RabbitMQ. The binary in `main.rs` only
//! parses, runs and maps errors to exit codes; everything else lives in these modules.

pub mod audit;
pub mod broker;
pub mod cli;
pub mod cmd;
pub mod doctor;
pub mod exit;
pub mod flags;
pub mod health;
pub mod input;
pub mod interrupt;
pub mod json;
pub mod list;
pub mod message;
pub mod ops;
pub mod output;
pub mod pace;
pub mod perf;
pub mod quorum;
pub mod rabbit;
pub mod replay;
pub mod route;
pub mod show;
pub mod suggest;
pub mod topology;

/// The layers of ARCHITECTURE.md, lowest first: a module imports from its own layer's
/// modules (the base, and cli with cmd) or from lower layers; a feature imports no other
/// feature.
#[cfg(test)]
const LAYERS: &[&[&str]] = &[
    &[
        "exit",
        "output",
        "flags",
        "input",
        "interrupt",
        "json",
        "pace",
        "suggest",
    ],
    &["rabbit"],
    &["broker"],
    &["message"],
    &[
        "audit", "doctor", "health", "list", "ops", "perf", "quorum", "replay", "route", "show",
        "topology",
    ],
    &["cli", "cmd"],
];

#[cfg(test)]
mod layers {
    use super::LAYERS;

    const FEATURES: usize = 4;

    fn layer(module: &str) -> Option<usize> {
        // The reporting macros are exported at the crate's root from output.rs.
        let module = match module {
            "note" | "warning" | "error" => "output",
            m => m,
        };
        LAYERS.iter().position(|l| l.contains(&module))
    }

    /// Every `crate::x` a module's non-test code names, as (file, x).
    fn imports(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                imports(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for (i, _) in code.match_indices("crate::") {
                    let name: String = code[i + 7..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push((path.display().to_string(), name));
                }
            }
        }
    }

    #[test]
    fn layers_import_only_downward() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        imports(&src, &mut found);
        let mut wrong = Vec::new();
        for (file, to) in &found {
            let rel = file.trim_start_matches(&format!("{}/", src.display()));
            let from = rel.split(['/', '.']).next().unwrap_or_default().to_string();
            if from == "main" || from == "lib" || *to == from {
                continue;
            }
            let (Some(a), Some(b)) = (layer(&from), layer(to)) else {
                wrong.push(format!("{rel}: `{from}` or `{to}` is in no layer"));
                continue;
            };
            if b > a || (a == b && a == FEATURES) {
                wrong.push(format!("{rel}: `{from}` imports `{to}`"));
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(
            wrong.is_empty(),
            "imports that break the layers:\n{}",
            wrong.join("\n")
        );
    }
}
