//! The reminder worker: every quarter second, sends whatever reminders, nudges and digests
//! the stored instants say are due. No timers live in memory, so a restart loses nothing.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;

/// How often due reminders are looked for (a reminder goes out within this of its time).
const TICK: Duration = Duration::from_millis(250);

/// Runs until `shutdown` fires.
pub async fn run(app: App, shutdown: CancellationToken) {
    tracing::info!("reminder worker started");
    loop {
        if let Err(error) = app.tick_reminders().await {
            tracing::warn!(error = format!("{error:#}"), "reminder tick failed; trying again");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(TICK) => {}
        }
    }
    tracing::info!("reminder worker stopped");
}
