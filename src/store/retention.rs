//! Retention: finished outbox jobs (with their payloads and de-duplication keys) and Slack
//! event delivery records are deleted once older than the retention age, a small batch per
//! statement so the write lock is never held for long. Incidents, timelines and messages
//! are the record and are kept.

use chrono::{DateTime, Utc};

use super::{Store, to_millis};

impl Store {
    /// Whether anything finished or received before `before` is left to prune (a read, so an
    /// idle process that finds nothing writes nothing).
    pub async fn anything_to_prune(&self, before: DateTime<Utc>) -> anyhow::Result<bool> {
        let before = to_millis(before);
        let jobs: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox_jobs WHERE state IN ('done', 'failed') AND finished_at < $1 LIMIT 1",
        )
        .bind(before)
        .fetch_optional(self.pool())
        .await?;
        if jobs.is_some() {
            return Ok(true);
        }
        let deliveries: Option<String> =
            sqlx::query_scalar("SELECT event_id FROM slack_deliveries WHERE received_at < $1 LIMIT 1")
                .bind(before)
                .fetch_optional(self.pool())
                .await?;
        Ok(deliveries.is_some())
    }

    /// Deletes at most `batch` jobs that finished (done or failed) before `before`; returns
    /// how many. Pending and running jobs are never touched.
    pub async fn prune_finished_jobs(&self, before: DateTime<Utc>, batch: i64) -> anyhow::Result<u64> {
        let deleted = sqlx::query(
            "DELETE FROM outbox_jobs WHERE id IN (
                 SELECT id FROM outbox_jobs WHERE state IN ('done', 'failed') AND finished_at < $1
                 ORDER BY id LIMIT $2)",
        )
        .bind(to_millis(before))
        .bind(batch)
        .execute(self.pool())
        .await?;
        Ok(deleted.rows_affected())
    }

    /// Deletes at most `batch` event delivery records received before `before`; returns how
    /// many. Slack stops retrying a delivery within the hour, so older records de-duplicate
    /// nothing.
    pub async fn prune_deliveries(&self, before: DateTime<Utc>, batch: i64) -> anyhow::Result<u64> {
        let deleted = sqlx::query(
            "DELETE FROM slack_deliveries WHERE event_id IN (
                 SELECT event_id FROM slack_deliveries WHERE received_at < $1 ORDER BY received_at LIMIT $2)",
        )
        .bind(to_millis(before))
        .bind(batch)
        .execute(self.pool())
        .await?;
        Ok(deleted.rows_affected())
    }
}
