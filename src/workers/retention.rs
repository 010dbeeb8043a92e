//! The retention worker: at start and every hour, prunes finished outbox jobs and Slack event
//! delivery records older than `FIREBELL_RETENTION`, and — when the policy sets
//! `retention.messages` — drops the stored message text of incidents closed longer ago than
//! that. A batch at a time with a pause between batches, so requests and jobs keep their turn
//! at the write lock. Each part looks first (a read) and writes only when there is something to
//! do; running again after a crash or beside another replica finds less to do, never more.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::app::App;

/// How often old rows are looked for.
const EVERY: Duration = Duration::from_secs(3600);
/// Rows deleted (or messages dropped) per statement.
pub const BATCH: i64 = 500;
/// The pause between batches.
const PAUSE: Duration = Duration::from_millis(50);

/// Runs until `shutdown` fires.
pub async fn run(app: App, retention: Duration, shutdown: CancellationToken) {
    loop {
        if let Err(error) = prune(&app, retention, &shutdown).await {
            tracing::warn!(error = format!("{error:#}"), "pruning old jobs and deliveries failed; trying again later");
        }
        if let Err(error) = drop_message_texts(&app, &shutdown).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "dropping the message text of long-closed incidents failed; trying again later"
            );
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Prunes finished jobs and delivery records older than `retention`, batch by batch; returns
/// how many rows went.
pub async fn prune(app: &App, retention: Duration, shutdown: &CancellationToken) -> anyhow::Result<u64> {
    let Some(before) = cutoff(app.clock.now(), retention) else { return Ok(0) };
    if !app.store.anything_to_prune(before).await? {
        return Ok(0);
    }
    let jobs = in_batches(shutdown, || app.store.prune_finished_jobs(before, BATCH)).await?;
    let deliveries = in_batches(shutdown, || app.store.prune_deliveries(before, BATCH)).await?;
    tracing::info!(rows = jobs + deliveries, "pruned finished jobs and old event deliveries");
    Ok(jobs + deliveries)
}

/// Drops, batch by batch, the stored message text of incidents closed longer ago than the
/// policy's `retention.messages` (nothing when it is unset); returns how many messages.
pub async fn drop_message_texts(app: &App, shutdown: &CancellationToken) -> anyhow::Result<u64> {
    let Some(age) = app.policy.retention.messages else { return Ok(0) };
    let Some(closed_before) = cutoff(app.clock.now(), age) else { return Ok(0) };
    if !app.store.any_message_text_to_drop(closed_before).await? {
        return Ok(0);
    }
    let dropped = in_batches(shutdown, || app.store.drop_message_texts(closed_before, BATCH)).await?;
    tracing::info!(messages = dropped, "dropped the message text of incidents closed before the retention age");
    Ok(dropped)
}

/// `age` before `now`; `None` when that is before any time there can be (an age of a million
/// years is accepted, and nothing is that old).
fn cutoff(now: DateTime<Utc>, age: Duration) -> Option<DateTime<Utc>> {
    now.checked_sub_signed(chrono::Duration::from_std(age).ok()?)
}

/// Runs `batch` until it returns less than a full batch (or shutdown), pausing between
/// batches; returns the total.
async fn in_batches<F, Fut>(shutdown: &CancellationToken, mut batch: F) -> anyhow::Result<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<u64>>,
{
    let full = u64::try_from(BATCH).unwrap_or(u64::MAX);
    let mut total = 0;
    loop {
        let done = batch().await?;
        total += done;
        if done < full || shutdown.is_cancelled() {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_cutoff_is_the_age_before_now() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let ninety_days = Duration::from_secs(90 * 24 * 3600);
        assert_eq!(cutoff(now, ninety_days), Some(Utc.with_ymd_and_hms(2026, 9, 2, 0, 0, 0).unwrap()));
    }

    #[test]
    fn an_age_longer_than_time_itself_has_no_cutoff_instead_of_a_panic() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let a_million_years = humantime::parse_duration("1000000y").unwrap();
        assert_eq!(cutoff(now, a_million_years), None);
        assert_eq!(cutoff(now, Duration::MAX), None);
    }
}
