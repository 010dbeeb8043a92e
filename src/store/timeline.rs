//! Timeline events: every change to an incident, with its time and author, in the
//! `timeline_events` table. Kinds and bodies come from [`TimelineEntry`] only — written by
//! [`append`], read back by [`Store::timeline`] — so this module never spells a kind.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::ids::UserId;
use crate::domain::incident::IncidentId;
use crate::domain::timeline::DeclaringRule;

pub use crate::domain::record::TimelineEvent;
pub use crate::domain::timeline::{TimelineEntry, TimelineKind};

/// Appends an entry inside the caller's transaction; returns its id.
pub async fn append(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    at: DateTime<Utc>,
    author: Option<&UserId>,
    entry: &TimelineEntry,
) -> anyhow::Result<i64> {
    let (kind, body) = entry.to_stored()?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO timeline_events (incident_id, kind, at, author, body) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(incident_id)
    .bind(kind)
    .bind(to_millis(at))
    .bind(author.map(UserId::as_str))
    .bind(body.to_string())
    .fetch_one(&mut *conn)
    .await?;
    super::search::index_event(conn, incident_id, id, entry).await?;
    Ok(id)
}

impl Store {
    /// The alert rule that declared the incident, if a rule did (from its `declared` entry).
    pub async fn declaring_rule(&self, incident_id: IncidentId) -> anyhow::Result<Option<DeclaringRule>> {
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM timeline_events WHERE incident_id = $1 AND kind = 'declared' ORDER BY id LIMIT 1",
        )
        .bind(incident_id)
        .fetch_optional(self.pool())
        .await?;
        // The body holds the entry's fields; only `rule` is wanted here.
        Ok(body
            .and_then(|body| serde_json::from_str::<Value>(&body).ok())
            .and_then(|body| serde_json::from_value::<DeclaringRule>(body.get("rule")?.clone()).ok()))
    }

    /// An incident's timeline in time order (ties in insertion order). Every row comes back:
    /// one this version cannot read is a [`TimelineEntry::Unknown`], never an error.
    pub async fn timeline(&self, incident_id: IncidentId) -> anyhow::Result<Vec<TimelineEvent>> {
        let rows = sqlx::query(
            "SELECT id, incident_id, kind, at, author, body FROM timeline_events
             WHERE incident_id = $1 ORDER BY at, id",
        )
        .bind(incident_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let body: String = row.try_get("body")?;
                // A body that is not JSON is kept as its text, so the entry still shows.
                let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
                Ok(TimelineEvent {
                    id: row.try_get("id")?,
                    incident_id: row.try_get("incident_id")?,
                    at: from_millis(row.try_get("at")?),
                    author: row.try_get("author")?,
                    entry: TimelineEntry::from_stored(&kind, body),
                })
            })
            .collect()
    }
}
