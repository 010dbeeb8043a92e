//! Retention: finished outbox jobs (with their payloads and de-duplication keys) and Slack
//! event delivery records are deleted once older than the retention age, and — when the
//! policy sets `retention.messages` — the stored message text of incidents closed longer ago
//! than that is dropped as a deletion drops it. A small batch per statement, so the write lock
//! is never held for long. Incidents and timelines are the record and are kept; so are the
//! messages of incidents that are open, resolved, or closed more recently.

use chrono::{DateTime, Utc};

use super::messages::AS_DELETED;
use super::{Store, to_millis};

/// The messages whose text is still kept, of incidents closed before `$1`.
const KEPT_TEXT_OF_CLOSED: &str = "SELECT m.channel_id, m.ts FROM channel_messages m
     JOIN incidents i ON i.id = m.incident_id
     WHERE i.status = 'closed' AND i.closed_at < $1 AND m.deleted = 0";

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

    /// Whether an incident closed before `closed_before` still has a message with its text
    /// kept (a read, so an idle process that finds nothing writes nothing).
    pub async fn any_message_text_to_drop(&self, closed_before: DateTime<Utc>) -> anyhow::Result<bool> {
        let found: Option<String> =
            sqlx::query_scalar(&format!("SELECT kept.ts FROM ({KEPT_TEXT_OF_CLOSED}) kept LIMIT 1"))
                .bind(to_millis(closed_before))
                .fetch_optional(self.pool())
                .await?;
        Ok(found.is_some())
    }

    /// Drops the text of at most `batch` messages of incidents closed before `closed_before`,
    /// exactly as a deletion does (the text gone, the mark kept: the retrospective shows them
    /// as deleted, and a later copy from the channel's history never brings the text back);
    /// returns how many. Messages already dropped are not counted again.
    pub async fn drop_message_texts(&self, closed_before: DateTime<Utc>, batch: i64) -> anyhow::Result<u64> {
        let dropped = sqlx::query(&format!(
            "UPDATE channel_messages SET {AS_DELETED}
             WHERE (channel_id, ts) IN ({KEPT_TEXT_OF_CLOSED} LIMIT $2)"
        ))
        .bind(to_millis(closed_before))
        .bind(batch)
        .execute(self.pool())
        .await?;
        // Their words leave the search index too.
        sqlx::query(
            "DELETE FROM search_entries
             WHERE source LIKE 'message:%'
               AND incident_id IN (SELECT id FROM incidents WHERE status = 'closed' AND closed_at < $1)
               AND EXISTS (SELECT 1 FROM channel_messages m
                           WHERE m.incident_id = search_entries.incident_id
                             AND search_entries.source = 'message:' || m.ts AND m.deleted = 1)",
        )
        .bind(to_millis(closed_before))
        .execute(self.pool())
        .await?;
        Ok(dropped.rows_affected())
    }
}
