//! Parse, run, and map the error to a documented exit code; nothing else.

fn main() {
    let cli = warren::cli::Cli::from_args();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            warren::error!("starting the async runtime: {e}");
            std::process::exit(warren::exit::Code::Internal.as_i32());
        }
    };
    let result = runtime.block_on(async {
        // SIGINT is caught from here on: a command that is interrupted exits 130.
        warren::interrupt::install();
        warren::cmd::run(cli).await
    });
    // Don't wait for lapin's or reqwest's background tasks to wind down.
    runtime.shutdown_background();
    if let Err(err) = result {
        let code = warren::exit::code_of(&err);
        // A closed pipe ends the run quietly, as it would a shell tool.
        if code != warren::exit::Code::BrokenPipe {
            warren::error!("{err:#}");
        }
        std::process::exit(code.as_i32());
    }
}
