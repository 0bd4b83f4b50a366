//! Ctrl-C, caught once for the whole run. `main` calls [`install`] before any command
//! starts; from then on SIGINT never kills warren: it sets a flag that every waiting loop
//! reads through [`ctrl_c`], which also completes at once when the signal came earlier.
//!
//! Without this, each loop registered its own listener when it first polled
//! `tokio::signal::ctrl_c()`, and a SIGINT that arrived before that (between `tap` binding
//! its queue and starting to consume) took the default action and killed the process,
//! with no exit 130 and nothing settled.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static SIGNALLED: OnceLock<watch::Sender<bool>> = OnceLock::new();

/// Take SIGINT over for the rest of the run. Call inside the runtime, before anything that
/// an interrupt should stop; a second call does nothing.
pub fn install() {
    if SIGNALLED.get().is_some() {
        return;
    }
    let (tx, _) = watch::channel(false);
    if SIGNALLED.set(tx).is_err() {
        return;
    }
    #[cfg(unix)]
    let listener = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    tokio::spawn(async move {
        #[cfg(unix)]
        match listener {
            Some(mut signal) => {
                signal.recv().await;
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        INTERRUPTED.store(true, Ordering::SeqCst);
        if let Some(tx) = SIGNALLED.get() {
            tx.send_replace(true);
        }
    });
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Completes once Ctrl-C has been pressed (at once if it already was). Without [`install`]
/// (library callers, tests), it listens itself.
pub async fn ctrl_c() {
    let Some(tx) = SIGNALLED.get() else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    let mut rx = tx.subscribe();
    loop {
        if interrupted() || *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}
