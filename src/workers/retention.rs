//! The retention worker: at start and every hour, prunes finished outbox jobs and Slack event
//! delivery records older than `FIREBELL_RETENTION`, a batch at a time with a pause between
//! batches so requests and jobs keep their turn at the write lock. It looks first (a read) and
//! writes only when there is something to prune.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;

/// How often old rows are looked for.
const EVERY: Duration = Duration::from_secs(3600);
/// Rows deleted per statement.
pub const BATCH: i64 = 500;
/// The pause between batches.
const PAUSE: Duration = Duration::from_millis(50);

/// Runs until `shutdown` fires.
pub async fn run(app: App, retention: Duration, shutdown: CancellationToken) {
    loop {
        if let Err(error) = prune(&app, retention, &shutdown).await {
            tracing::warn!(error = format!("{error:#}"), "pruning old jobs and deliveries failed; trying again later");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Prunes everything older than `retention`, batch by batch; returns how many rows went.
pub async fn prune(app: &App, retention: Duration, shutdown: &CancellationToken) -> anyhow::Result<u64> {
    let before = app.clock.now() - chrono::Duration::from_std(retention)?;
    if !app.store.anything_to_prune(before).await? {
        return Ok(0);
    }
    let mut pruned = 0;
    for table in [Table::Jobs, Table::Deliveries] {
        loop {
            let deleted = match table {
                Table::Jobs => app.store.prune_finished_jobs(before, BATCH).await?,
                Table::Deliveries => app.store.prune_deliveries(before, BATCH).await?,
            };
            pruned += deleted;
            if deleted < u64::try_from(BATCH).unwrap_or(u64::MAX) || shutdown.is_cancelled() {
                break;
            }
            tokio::time::sleep(PAUSE).await;
        }
    }
    tracing::info!(rows = pruned, "pruned finished jobs and old event deliveries");
    Ok(pruned)
}

#[derive(Clone, Copy)]
enum Table {
    Jobs,
    Deliveries,
}
