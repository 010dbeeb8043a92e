//! Timeline events: every change to an incident, with its time and author.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};

/// One entry of an incident's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEvent {
    pub id: i64,
    pub incident_id: i64,
    /// `declared`, `status_changed`, `update`, `note`…
    pub kind: String,
    pub at: DateTime<Utc>,
    /// The Slack user who caused it; `None` for the bot or an alert.
    pub author: Option<String>,
    /// Kind-specific details.
    pub body: Value,
}

/// Appends an event inside the caller's transaction; returns its id.
pub async fn append(
    conn: &mut AnyConnection,
    incident_id: i64,
    kind: &str,
    at: DateTime<Utc>,
    author: Option<&str>,
    body: &Value,
) -> anyhow::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO timeline_events (incident_id, kind, at, author, body) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(incident_id)
    .bind(kind)
    .bind(to_millis(at))
    .bind(author)
    .bind(body.to_string())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

impl Store {
    /// An incident's timeline in time order (ties in insertion order).
    pub async fn timeline(&self, incident_id: i64) -> anyhow::Result<Vec<TimelineEvent>> {
        let rows = sqlx::query(
            "SELECT id, incident_id, kind, at, author, body FROM timeline_events
             WHERE incident_id = $1 ORDER BY at, id",
        )
        .bind(incident_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                let body: String = row.try_get("body")?;
                Ok(TimelineEvent {
                    id: row.try_get("id")?,
                    incident_id: row.try_get("incident_id")?,
                    kind: row.try_get("kind")?,
                    at: from_millis(row.try_get("at")?),
                    author: row.try_get("author")?,
                    body: serde_json::from_str(&body).unwrap_or(Value::Null),
                })
            })
            .collect()
    }
}
