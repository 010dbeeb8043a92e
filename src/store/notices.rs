//! The channels each incident's first notice went to: the set told, stored per incident.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, from_millis, to_millis};
use crate::domain::ids::ChannelId;
use crate::domain::incident::IncidentId;

/// One channel's notice: posted (with its `ts`) or failed for good (with Slack's reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub channel: ChannelId,
    pub ts: Option<String>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// Records, inside the caller's transaction, that the notice reached `channel` (`ts`) or
/// failed for good (`error`). A second record for the same channel changes nothing.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    incident_id: IncidentId,
    channel: &ChannelId,
    ts: Option<&str>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO incident_notices (incident_id, channel_id, ts, error, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (incident_id, channel_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(channel.as_str())
    .bind(ts)
    .bind(error)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Records that the notice reached `channel` (`ts`) or failed for good (`error`).
    /// A second record for the same channel changes nothing.
    pub async fn record_notice(
        &self,
        incident_id: IncidentId,
        channel: &ChannelId,
        ts: Option<&str>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut conn = self.pool().acquire().await?;
        record(&mut conn, incident_id, channel, ts, error, now).await
    }

    /// Every notice of an incident, in the order they were recorded.
    pub async fn notices(&self, incident_id: IncidentId) -> anyhow::Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT channel_id, ts, error, at FROM incident_notices WHERE incident_id = $1 ORDER BY at, channel_id",
        )
        .bind(incident_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let channel: String = row.try_get("channel_id")?;
                Ok(Notice {
                    channel: ChannelId::parse(&channel).ok_or_else(|| anyhow::anyhow!("stored channel {channel:?}"))?,
                    ts: row.try_get("ts")?,
                    error: row.try_get("error")?,
                    at: from_millis(row.try_get("at")?),
                })
            })
            .collect()
    }
}
