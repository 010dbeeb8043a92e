//! Incident rows: the current state of each incident, numbered for people.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::search::{self, Source};
use super::{Store, from_millis, to_millis};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{
    Incident, IncidentId, IncidentNumber, IncidentStatus, RoleName, ServiceName, SeverityName,
};
use crate::domain::reminders::Timers;

/// What declaring records before any Slack call is made.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub title: String,
    pub severity: SeverityName,
    pub private: bool,
    /// A practice incident (`declare --drill`).
    pub drill: bool,
    pub reporter: UserId,
    pub impact: Option<String>,
    pub description: Option<String>,
    pub services: Vec<ServiceName>,
    /// The reminder clock from the moment of declaring.
    pub timers: Timers,
}

pub(super) const COLUMNS: &str = "id, number, title, severity, status, is_private, is_drill, reporter, lead_user, impact, description, \
                       services, channel_id, channel_name, channel_attempt, summary_ts, declared_at, last_update_at, version, \
                       reminder_due_at, reminders_unanswered, escalated, lead_nudge_due_at, retro_nudge_due_at, last_reminder_ts";

pub(super) fn read(row: &AnyRow) -> anyhow::Result<Incident> {
    let status: String = row.try_get("status")?;
    let services: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("services")?)?;
    let reporter: String = row.try_get("reporter")?;
    Ok(Incident {
        id: row.try_get("id")?,
        number: IncidentNumber(row.try_get("number")?),
        title: row.try_get("title")?,
        severity: SeverityName::from_stored(row.try_get("severity")?),
        status: IncidentStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("unknown stored status {status:?}"))?,
        private: row.try_get::<i64, _>("is_private")? != 0,
        drill: row.try_get::<i64, _>("is_drill")? != 0,
        reporter: UserId::parse(&reporter)
            .ok_or_else(|| anyhow::anyhow!("stored reporter {reporter:?} is not a user id"))?,
        lead: row.try_get::<Option<String>, _>("lead_user")?.as_deref().and_then(UserId::parse),
        impact: row.try_get("impact")?,
        description: row.try_get("description")?,
        services: services.into_iter().map(ServiceName::from_stored).collect(),
        channel: row.try_get::<Option<String>, _>("channel_id")?.as_deref().and_then(ChannelId::parse),
        channel_name: row.try_get("channel_name")?,
        channel_attempt: u32::try_from(row.try_get::<i64, _>("channel_attempt")?).unwrap_or(1),
        summary_ts: row.try_get("summary_ts")?,
        declared_at: from_millis(row.try_get("declared_at")?),
        last_update_at: from_millis(row.try_get("last_update_at")?),
        version: row.try_get("version")?,
        timers: Timers {
            reminder_due_at: row.try_get::<Option<i64>, _>("reminder_due_at")?.map(from_millis),
            unanswered: u32::try_from(row.try_get::<i64, _>("reminders_unanswered")?).unwrap_or(0),
            escalated: row.try_get::<i64, _>("escalated")? != 0,
            lead_nudge_due_at: row.try_get::<Option<i64>, _>("lead_nudge_due_at")?.map(from_millis),
            retro_nudge_due_at: row.try_get::<Option<i64>, _>("retro_nudge_due_at")?.map(from_millis),
        },
        last_reminder_ts: row.try_get("last_reminder_ts")?,
    })
}

/// Inserts an incident inside the caller's transaction with the next free number.
///
/// The number is `MAX + 1` in the same statement; two replicas racing on PostgreSQL collide
/// on the unique constraint and the loser's transaction fails, to be retried by the caller.
pub async fn insert(conn: &mut AnyConnection, incident: &NewIncident, now: DateTime<Utc>) -> anyhow::Result<Incident> {
    let services: Vec<&str> = incident.services.iter().map(|s| s.as_str()).collect();
    let row = sqlx::query(&format!(
        "INSERT INTO incidents (number, title, severity, status, is_private, reporter, impact, description, services,
                                declared_at, last_update_at, updated_at, reminder_due_at, lead_nudge_due_at, is_drill)
         SELECT COALESCE(MAX(number), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10, $11, $12 FROM incidents
         RETURNING {COLUMNS}"
    ))
    .bind(&incident.title)
    .bind(incident.severity.as_str())
    .bind(IncidentStatus::Investigating.as_str())
    .bind(i64::from(incident.private))
    .bind(incident.reporter.as_str())
    .bind(incident.impact.as_deref())
    .bind(incident.description.as_deref())
    .bind(serde_json::to_string(&services)?)
    .bind(to_millis(now))
    .bind(incident.timers.reminder_due_at.map(to_millis))
    .bind(incident.timers.lead_nudge_due_at.map(to_millis))
    .bind(i64::from(incident.drill))
    .fetch_one(&mut *conn)
    .await?;
    let incident = read(&row)?;
    // Searchable from the start, in the same transaction.
    let texts = [
        (Source::Title, Some(incident.title.as_str())),
        (Source::Impact, incident.impact.as_deref()),
        (Source::Description, incident.description.as_deref()),
    ];
    for (source, text) in texts {
        if let Some(text) = text {
            search::index(&mut *conn, incident.id, &source, text).await?;
        }
    }
    Ok(incident)
}

/// Records the dedicated channel inside the caller's transaction.
pub async fn set_channel(
    conn: &mut AnyConnection,
    id: IncidentId,
    channel: &ChannelId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE incidents SET channel_id = $1, channel_lookup_cursor = NULL, updated_at = $2 WHERE id = $3")
        .bind(channel.as_str())
        .bind(to_millis(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes an incident's current state inside the caller's transaction, stamping the
/// acknowledgement (once), the resolution and the closing as the status says. `false` when
/// someone else changed the incident since `incident.version` was read: nothing was written.
pub async fn save(
    conn: &mut AnyConnection,
    incident: &Incident,
    acknowledged: bool,
    resolution: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let services: Vec<&str> = incident.services.iter().map(|s| s.as_str()).collect();
    let result = sqlx::query(
        "UPDATE incidents SET title = $1, severity = $2, status = $3, lead_user = $4, impact = $5, services = $6,
                last_update_at = $7, updated_at = $8,
                acknowledged_at = CASE WHEN $9 = 1 THEN COALESCE(acknowledged_at, $8) ELSE acknowledged_at END,
                resolved_at = CASE WHEN $3 = 'resolved' THEN COALESCE(resolved_at, $8)
                                   WHEN $3 = 'closed' THEN resolved_at ELSE NULL END,
                resolution = CASE WHEN $3 = 'resolved' AND resolved_at IS NULL THEN $10 ELSE resolution END,
                closed_at = CASE WHEN $3 = 'closed' THEN COALESCE(closed_at, $8) ELSE NULL END,
                reminder_due_at = $13, reminders_unanswered = $14, escalated = $15,
                lead_nudge_due_at = $16, retro_nudge_due_at = $17,
                version = version + 1
         WHERE id = $11 AND version = $12",
    )
    .bind(&incident.title)
    .bind(incident.severity.as_str())
    .bind(incident.status.as_str())
    .bind(incident.lead.as_ref().map(|u| u.as_str().to_owned()))
    .bind(incident.impact.as_deref())
    .bind(serde_json::to_string(&services)?)
    .bind(to_millis(incident.last_update_at))
    .bind(to_millis(now))
    .bind(i64::from(acknowledged))
    .bind(resolution)
    .bind(incident.id)
    .bind(incident.version)
    .bind(incident.timers.reminder_due_at.map(to_millis))
    .bind(i64::from(incident.timers.unanswered))
    .bind(i64::from(incident.timers.escalated))
    .bind(incident.timers.lead_nudge_due_at.map(to_millis))
    .bind(incident.timers.retro_nudge_due_at.map(to_millis))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives `role` to `user` (replacing whoever held it) inside the caller's transaction.
pub async fn assign_role(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    role: &RoleName,
    user: &UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO incident_roles (incident_id, role, user_id, assigned_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (incident_id, role) DO UPDATE SET user_id = excluded.user_id, assigned_at = excluded.assigned_at",
    )
    .bind(incident_id)
    .bind(role.as_str())
    .bind(user.as_str())
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The incident with this storage id, as the caller's transaction sees it.
pub async fn find(conn: &mut AnyConnection, id: IncidentId) -> anyhow::Result<Option<Incident>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM incidents WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(read).transpose()
}

impl Store {
    /// Who holds which role (besides the lead), in the order they were given.
    pub async fn roles(&self, incident_id: IncidentId) -> anyhow::Result<Vec<(RoleName, UserId)>> {
        let rows =
            sqlx::query("SELECT role, user_id FROM incident_roles WHERE incident_id = $1 ORDER BY assigned_at, role")
                .bind(incident_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|row| {
                let user: String = row.try_get("user_id")?;
                Ok((
                    RoleName::from_stored(row.try_get("role")?),
                    UserId::parse(&user).ok_or_else(|| anyhow::anyhow!("stored role holder {user:?}"))?,
                ))
            })
            .collect()
    }

    /// The incident with this storage id.
    pub async fn incident(&self, id: IncidentId) -> anyhow::Result<Option<Incident>> {
        let mut conn = self.pool().acquire().await?;
        find(&mut conn, id).await
    }

    /// Whether the incident is a drill (`false` for one that does not exist). Asked before
    /// each of its outbox jobs, to mark what they post: read once per incident and kept, since
    /// it never changes after the declaration (an incident not found is not kept).
    pub async fn is_drill(&self, id: IncidentId) -> anyhow::Result<bool> {
        /// Past this many incidents the memory starts over: it only saves reads.
        const REMEMBERED: usize = 10_000;
        if let Some(known) = self.drills.lock().ok().and_then(|drills| drills.get(&id).copied()) {
            return Ok(known);
        }
        let drill: Option<i64> = sqlx::query_scalar("SELECT is_drill FROM incidents WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        if let (Some(drill), Ok(mut drills)) = (drill, self.drills.lock()) {
            if drills.len() >= REMEMBERED {
                drills.clear();
            }
            drills.insert(id, drill != 0);
        }
        Ok(drill.is_some_and(|d| d != 0))
    }

    /// The incident with this number.
    pub async fn incident_by_number(&self, number: IncidentNumber) -> anyhow::Result<Option<Incident>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM incidents WHERE number = $1"))
            .bind(number.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// The incident whose channel is named `name`.
    pub async fn incident_by_channel_name(&self, name: &str) -> anyhow::Result<Option<Incident>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM incidents WHERE channel_name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// The incident whose dedicated channel is `channel`.
    pub async fn incident_by_channel(&self, channel: &ChannelId) -> anyhow::Result<Option<Incident>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM incidents WHERE channel_id = $1"))
            .bind(channel.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// Reserves the channel name (and its attempt number) before `conversations.create`, so a
    /// restart knows which name it asked for.
    pub async fn reserve_channel_name(
        &self,
        id: IncidentId,
        name: &str,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        // A new name starts with no look-up under way.
        sqlx::query(
            "UPDATE incidents SET channel_name = $1, channel_attempt = $2, channel_lookup_cursor = NULL, updated_at = $3
             WHERE id = $4",
        )
        .bind(name)
        .bind(i64::from(attempt))
        .bind(to_millis(now))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Where the look-up of our own channel under the reserved name continues (the bot's
    /// channels are paged after `name_taken`); `None` when no look-up is under way.
    pub async fn channel_lookup_cursor(&self, id: IncidentId) -> anyhow::Result<Option<String>> {
        let cursor: Option<Option<String>> =
            sqlx::query_scalar("SELECT channel_lookup_cursor FROM incidents WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(cursor.flatten())
    }

    /// Records where the look-up of our own channel continues, or (`None`) that it is over.
    pub async fn set_channel_lookup_cursor(&self, id: IncidentId, cursor: Option<&str>) -> anyhow::Result<()> {
        sqlx::query("UPDATE incidents SET channel_lookup_cursor = $1 WHERE id = $2")
            .bind(cursor)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Remembers the pinned summary message.
    pub async fn set_summary_ts(&self, id: IncidentId, ts: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query("UPDATE incidents SET summary_ts = $1, updated_at = $2 WHERE id = $3")
            .bind(ts)
            .bind(to_millis(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Incidents not yet resolved or closed, oldest first.
    pub async fn open_incidents(&self) -> anyhow::Result<Vec<Incident>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE status NOT IN ('resolved', 'closed') ORDER BY number"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// Incidents for the API, newest first, at most `limit`: those in `status` (`open` is
    /// every status before resolved), declared at or after `since`; each with when it was
    /// resolved.
    pub async fn incidents_for_api(
        &self,
        status: Option<ApiStatus>,
        since: Option<DateTime<Utc>>,
        limit: i64,
    ) -> anyhow::Result<Vec<(Incident, Option<DateTime<Utc>>)>> {
        let filter = match status {
            None => "1 = 1",
            Some(ApiStatus::Open) => "status NOT IN ('resolved', 'closed')",
            Some(ApiStatus::Resolved) => "status = 'resolved'",
            Some(ApiStatus::Closed) => "status = 'closed'",
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, resolved_at FROM incidents WHERE {filter} AND declared_at >= $1
             ORDER BY number DESC LIMIT $2"
        ))
        .bind(since.map_or(i64::MIN, to_millis))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((read(row)?, row.try_get::<Option<i64>, _>("resolved_at")?.map(from_millis))))
            .collect()
    }
}

/// The API's `?status=` filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiStatus {
    /// Investigating, identified or monitoring.
    Open,
    Resolved,
    Closed,
}
