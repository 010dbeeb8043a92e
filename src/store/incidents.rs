//! Incident rows: the current state of each incident, numbered for people.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::incident::{IncidentNumber, IncidentStatus};

/// What declaring records before any Slack call is made.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub title: String,
    pub severity: String,
    pub is_private: bool,
    pub reporter: String,
    pub impact: Option<String>,
    pub description: Option<String>,
    pub services: Vec<String>,
}

/// An incident as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredIncident {
    pub id: i64,
    pub number: IncidentNumber,
    pub title: String,
    pub severity: String,
    pub status: IncidentStatus,
    pub is_private: bool,
    pub reporter: String,
    pub lead: Option<String>,
    pub impact: Option<String>,
    pub description: Option<String>,
    pub services: Vec<String>,
    pub channel_id: Option<String>,
    pub channel_name: Option<String>,
    pub declared_at: DateTime<Utc>,
    pub last_update_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, number, title, severity, status, is_private, reporter, lead_user, impact, description, \
                       services, channel_id, channel_name, declared_at, last_update_at";

fn read(row: &AnyRow) -> anyhow::Result<StoredIncident> {
    let status: String = row.try_get("status")?;
    let services: String = row.try_get("services")?;
    Ok(StoredIncident {
        id: row.try_get("id")?,
        number: IncidentNumber(row.try_get("number")?),
        title: row.try_get("title")?,
        severity: row.try_get("severity")?,
        status: IncidentStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown stored status {status:?}"))?,
        is_private: row.try_get::<i64, _>("is_private")? != 0,
        reporter: row.try_get("reporter")?,
        lead: row.try_get("lead_user")?,
        impact: row.try_get("impact")?,
        description: row.try_get("description")?,
        services: serde_json::from_str(&services)?,
        channel_id: row.try_get("channel_id")?,
        channel_name: row.try_get("channel_name")?,
        declared_at: from_millis(row.try_get("declared_at")?),
        last_update_at: from_millis(row.try_get("last_update_at")?),
    })
}

/// Inserts an incident inside the caller's transaction with the next free number.
///
/// The number is `MAX + 1` in the same statement; two replicas racing on PostgreSQL collide
/// on the unique constraint and the loser's transaction fails, to be retried by the caller.
pub async fn insert(
    conn: &mut AnyConnection,
    incident: &NewIncident,
    now: DateTime<Utc>,
) -> anyhow::Result<StoredIncident> {
    let row = sqlx::query(&format!(
        "INSERT INTO incidents (number, title, severity, status, is_private, reporter, impact, description, services,
                                declared_at, last_update_at, updated_at)
         SELECT COALESCE(MAX(number), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9 FROM incidents
         RETURNING {COLUMNS}"
    ))
    .bind(&incident.title)
    .bind(&incident.severity)
    .bind(IncidentStatus::Investigating.as_str())
    .bind(i64::from(incident.is_private))
    .bind(&incident.reporter)
    .bind(incident.impact.as_deref())
    .bind(incident.description.as_deref())
    .bind(serde_json::to_string(&incident.services)?)
    .bind(to_millis(now))
    .fetch_one(conn)
    .await?;
    read(&row)
}

impl Store {
    /// The incident with this number.
    pub async fn incident_by_number(
        &self,
        number: IncidentNumber,
    ) -> anyhow::Result<Option<StoredIncident>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE number = $1"
        ))
        .bind(number.0)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(read).transpose()
    }

    /// The incident whose dedicated channel is `channel_id`.
    pub async fn incident_by_channel(
        &self,
        channel_id: &str,
    ) -> anyhow::Result<Option<StoredIncident>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE channel_id = $1"
        ))
        .bind(channel_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(read).transpose()
    }

    /// Records the channel created for an incident.
    pub async fn set_incident_channel(
        &self,
        id: i64,
        channel_id: &str,
        channel_name: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE incidents SET channel_id = $1, channel_name = $2, updated_at = $3 WHERE id = $4")
            .bind(channel_id)
            .bind(channel_name)
            .bind(to_millis(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Incidents not yet resolved or closed, oldest first.
    pub async fn open_incidents(&self) -> anyhow::Result<Vec<StoredIncident>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE status NOT IN ('resolved', 'closed') ORDER BY number"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }
}
