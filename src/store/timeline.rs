//! Timeline events: every change to an incident, with its time and author.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};

pub use crate::domain::record::TimelineEvent;

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
