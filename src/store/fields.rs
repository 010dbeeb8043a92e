//! Custom fields and the first response action of an incident (migration 0020): written in
//! the transaction of the change that sets them, read by the summary, `stats` and reports.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Store, to_millis};
use crate::domain::incident::IncidentId;

/// Records a field's value (the latest set wins).
pub async fn set_field(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    field: &str,
    value: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO incident_fields (incident_id, field, value, set_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (incident_id, field) DO UPDATE SET value = excluded.value, set_at = excluded.set_at",
    )
    .bind(incident_id)
    .bind(field)
    .bind(value)
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the incident's first action, unless it has one.
pub async fn first_action(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    kind: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE incidents SET first_action_at = $1, first_action_kind = $2 WHERE id = $3 AND first_action_at IS NULL",
    )
    .bind(to_millis(at))
    .bind(kind)
    .bind(incident_id)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The fields set on an incident, by field name.
    pub async fn incident_fields(&self, incident_id: IncidentId) -> anyhow::Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT field, value FROM incident_fields WHERE incident_id = $1 ORDER BY field")
            .bind(incident_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok((row.try_get("field")?, row.try_get("value")?))).collect()
    }
}
