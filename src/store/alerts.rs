//! The SQL of alerts as received, their prompts, and the incidents they led to. The row
//! types are the domain's (`domain::alert`); only the conversion lives here.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::alert::{Alert, AlertState, StoredAlert};
use crate::domain::incident::{IncidentId, ServiceName, SeverityName};

/// An alert state's spelling in the `state` column.
fn state_as_str(state: AlertState) -> &'static str {
    match state {
        AlertState::Open => "open",
        AlertState::Declared => "declared",
        AlertState::Dismissed => "dismissed",
        AlertState::Resolved => "resolved",
    }
}

/// Reads the `state` column; anything unknown is an open alert.
fn parse_state(text: &str) -> AlertState {
    match text {
        "declared" => AlertState::Declared,
        "dismissed" => AlertState::Dismissed,
        "resolved" => AlertState::Resolved,
        _ => AlertState::Open,
    }
}

const COLUMNS: &str = "id, source, fingerprint, state, status, title, summary, labels, link, severity, service, started_at, \
                       first_seen, seen, incident_id, prompt_channel, prompt_ts";

fn read(row: &AnyRow) -> anyhow::Result<StoredAlert> {
    let labels: String = row.try_get("labels")?;
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
        incident_id: row.try_get("incident_id")?,
        prompt_channel: row.try_get("prompt_channel")?,
        prompt_ts: row.try_get("prompt_ts")?,
    })
}

/// Records a firing alert as new and active; `None` when the same alert is active already.
pub async fn insert(
    conn: &mut AnyConnection,
    alert: &Alert,
    severity: &SeverityName,
    service: Option<&ServiceName>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<StoredAlert>> {
    let row = sqlx::query(&format!(
        "INSERT INTO alerts (source, fingerprint, active, state, status, title, summary, labels, link, severity, service,
                             started_at, first_seen, last_seen)
         VALUES ($1, $2, 'active', 'open', 'firing', $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (source, fingerprint, active) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(alert.source.as_str())
    .bind(&alert.fingerprint)
    .bind(&alert.title)
    .bind(alert.summary.as_deref())
    .bind(serde_json::to_string(&alert.labels)?)
    .bind(alert.link.as_deref())
    .bind(severity.as_str())
    .bind(service.map(|s| s.as_str().to_owned()))
    .bind(alert.started_at.map(to_millis))
    .bind(to_millis(now))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Counts a repeat of the active alert; returns it.
pub async fn seen_again(
    conn: &mut AnyConnection,
    alert: &Alert,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<StoredAlert>> {
    let row = sqlx::query(&format!(
        "UPDATE alerts SET seen = seen + 1, last_seen = $1 WHERE source = $2 AND fingerprint = $3 AND active = 'active'
         RETURNING {COLUMNS}"
    ))
    .bind(to_millis(now))
    .bind(alert.source.as_str())
    .bind(&alert.fingerprint)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Marks the active alert resolved by its source; returns it. A declared alert stays linked
/// to its incident (and stops being active, so a new firing is a new alert).
pub async fn resolve(
    conn: &mut AnyConnection,
    alert: &Alert,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<StoredAlert>> {
    let row = sqlx::query(&format!(
        "UPDATE alerts SET status = 'resolved', active = NULL, last_seen = $1,
                state = CASE WHEN state = 'open' THEN 'resolved' ELSE state END
         WHERE source = $2 AND fingerprint = $3 AND active = 'active'
         RETURNING {COLUMNS}"
    ))
    .bind(to_millis(now))
    .bind(alert.source.as_str())
    .bind(&alert.fingerprint)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Moves an open alert to `state` (declared with its incident, or dismissed); `false` when it
/// was not open any more (someone else acted first).
pub async fn settle(
    conn: &mut AnyConnection,
    id: i64,
    state: AlertState,
    incident_id: Option<IncidentId>,
) -> anyhow::Result<bool> {
    let active = if state == AlertState::Dismissed { None } else { Some("active") };
    let result = sqlx::query("UPDATE alerts SET state = $1, incident_id = $2, active = CASE WHEN $3 = 1 THEN active ELSE NULL END WHERE id = $4 AND state = 'open'")
        .bind(state_as_str(state))
        .bind(incident_id)
        .bind(i64::from(active.is_some()))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Links a declared alert to the incident it led to.
pub async fn link_incident(conn: &mut AnyConnection, id: i64, incident_id: IncidentId) -> anyhow::Result<()> {
    sqlx::query("UPDATE alerts SET incident_id = $1 WHERE id = $2").bind(incident_id).bind(id).execute(conn).await?;
    Ok(())
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

    /// The alert whose prompt is the message `ts` in `channel`.
    pub async fn alert_by_prompt(&self, channel: &str, ts: &str) -> anyhow::Result<Option<StoredAlert>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM alerts WHERE prompt_channel = $1 AND prompt_ts = $2"))
            .bind(channel)
            .bind(ts)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// Every alert, oldest first (tests, stats).
    pub async fn alerts(&self) -> anyhow::Result<Vec<StoredAlert>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM alerts ORDER BY id")).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// Remembers where an alert's prompt was posted.
    pub async fn set_alert_prompt(&self, id: i64, channel: &str, ts: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE alerts SET prompt_channel = $1, prompt_ts = $2 WHERE id = $3")
            .bind(channel)
            .bind(ts)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
