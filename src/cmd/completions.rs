//! `warren completions SHELL`: print a completion script. The checked-in copies under
//! `completions/` and the man pages under `man/` come from `generate` below.

use std::path::Path;

use anyhow::{Context, Result};
use clap_complete::Shell;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  warren completions bash > ~/.local/share/bash-completion/completions/warren
  warren completions zsh > ~/.zfunc/_warren
  warren completions fish > ~/.config/fish/completions/warren.fish")]
pub struct Args {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args) -> Result<()> {
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, completion(args.shell).as_bytes())
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| crate::output::io_error(e, "writing the completion script"))
}

pub fn completion(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "warren", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The shells whose scripts are checked in, with their file names.
pub const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "warren.bash"),
    (Shell::Zsh, "_warren"),
    (Shell::Fish, "warren.fish"),
];

/// Every generated file: (path relative to the repo root, contents).
pub fn generated_files() -> Result<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = SHELLS
        .iter()
        .map(|(shell, name)| {
            (
                format!("completions/{name}"),
                completion(*shell).into_bytes(),
            )
        })
        .collect();
    let root = crate::cli::command();
    let mut pages = vec![("warren".to_string(), root.clone())];
    for sub in root.get_subcommands() {
        pages.push((format!("warren-{}", sub.get_name()), sub.clone()));
    }
    for (name, cmd) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.name(name.clone()))
            .render(&mut buf)
            .context("rendering man page")?;
        files.push((format!("man/{name}.1"), buf));
    }
    Ok(files)
}

/// Write every generated file below `root`.
pub fn write_generated(root: &Path) -> Result<()> {
    for (rel, contents) in generated_files()? {
        let path = root.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
