//! The SQL of alerts as received (each in its group: `store::alert_groups`). The row
//! types are the domain's (`domain::alert`); only the conversion lives here.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, from_millis};
use crate::domain::alert::{AlertState, StoredAlert};
use crate::domain::incident::{ServiceName, SeverityName};

/// An alert state's spelling in the `state` column.
pub(super) fn state_as_str(state: AlertState) -> &'static str {
    match state {
        AlertState::Open => "open",
        AlertState::Declared => "declared",
        AlertState::Dismissed => "dismissed",
        AlertState::Resolved => "resolved",
    }
}

/// Reads the `state` column; anything unknown is an open alert.
pub(super) fn parse_state(text: &str) -> AlertState {
    match text {
        "declared" => AlertState::Declared,
        "dismissed" => AlertState::Dismissed,
        "resolved" => AlertState::Resolved,
        _ => AlertState::Open,
    }
}

pub(super) const COLUMNS: &str = "id, source, fingerprint, state, status, title, summary, labels, link, links, severity, \
                                  service, started_at, first_seen, seen, fired, group_id, incident_id, prompt_channel, \
                                  prompt_ts";

pub(super) fn read(row: &AnyRow) -> anyhow::Result<StoredAlert> {
    let labels: String = row.try_get("labels")?;
    let links: String = row.try_get("links")?;
    Ok(StoredAlert {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        fingerprint: row.try_get("fingerprint")?,
        state: parse_state(&row.try_get::<String, _>("state")?),
        resolved: row.try_get::<String, _>("status")? == "resolved",
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        link: row.try_get("link")?,
        severity: SeverityName::from_stored(row.try_get("severity")?),
        service: row.try_get::<Option<String>, _>("service")?.map(ServiceName::from_stored),
        started_at: row.try_get::<Option<i64>, _>("started_at")?.map(from_millis),
        first_seen: from_millis(row.try_get("first_seen")?),
        seen: row.try_get("seen")?,
        fired: row.try_get("fired")?,
        group_id: row.try_get("group_id")?,
        links: serde_json::from_str(&links).unwrap_or_default(),
        incident_id: row.try_get("incident_id")?,
        prompt_channel: row.try_get("prompt_channel")?,
        prompt_ts: row.try_get("prompt_ts")?,
    })
}

impl Store {
    /// One alert.
    pub async fn alert(&self, id: i64) -> anyhow::Result<Option<StoredAlert>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// Every alert, oldest first (tests, stats).
    pub async fn alerts(&self) -> anyhow::Result<Vec<StoredAlert>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM alerts ORDER BY id")).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }
}
