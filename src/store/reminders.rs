//! Claiming due reminders, nudges and scheduled posts, by compare-and-set on the stored
//! instant that made them due: of two replicas (or a restart racing a tick) exactly one wins.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::incidents::{COLUMNS, read};
use super::{Store, from_millis, to_millis};
use crate::domain::incident::Incident;
use crate::domain::incident::IncidentId;
use crate::domain::reminders::Timers;

/// A one-shot nudge column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nudge {
    Lead,
    Retro,
}

impl Nudge {
    fn column(self) -> &'static str {
        match self {
            Nudge::Lead => "lead_nudge_due_at",
            Nudge::Retro => "retro_nudge_due_at",
        }
    }
}

/// Takes the reminder due at `due` by writing the timers that follow it; `false` when someone
/// else took it, or the incident changed so that it is no longer due.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    id: IncidentId,
    due: DateTime<Utc>,
    next: &Timers,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE incidents SET reminder_due_at = $1, reminders_unanswered = $2, escalated = $3, version = version + 1
         WHERE id = $4 AND reminder_due_at = $5",
    )
    .bind(next.reminder_due_at.map(to_millis))
    .bind(i64::from(next.unanswered))
    .bind(i64::from(next.escalated))
    .bind(id)
    .bind(to_millis(due))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Takes a one-shot nudge due at `due` (it will not fire again).
pub async fn claim_nudge(
    conn: &mut AnyConnection,
    id: IncidentId,
    nudge: Nudge,
    due: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let column = nudge.column();
    let result = sqlx::query(&format!(
        "UPDATE incidents SET {column} = NULL, version = version + 1 WHERE id = $1 AND {column} = $2"
    ))
    .bind(id)
    .bind(to_millis(due))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Writes snoozed timers, provided the incident is still at `version`.
pub async fn snooze(
    conn: &mut AnyConnection,
    incident: &Incident,
    next: &Timers,
    reminder_ts: Option<&str>,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE incidents SET reminder_due_at = $1, reminders_unanswered = $2,
                snoozed_reminder_ts = COALESCE($3, snoozed_reminder_ts), version = version + 1
         WHERE id = $4 AND version = $5",
    )
    .bind(next.reminder_due_at.map(to_millis))
    .bind(i64::from(next.unanswered))
    .bind(reminder_ts)
    .bind(incident.id)
    .bind(incident.version)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Whether the reminder at `ts` was snoozed already, as the caller's transaction sees it.
pub async fn reminder_snoozed(conn: &mut AnyConnection, id: IncidentId, ts: &str) -> anyhow::Result<bool> {
    let snoozed: Option<String> = sqlx::query_scalar("SELECT snoozed_reminder_ts FROM incidents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .flatten();
    Ok(snoozed.as_deref() == Some(ts))
}

impl Store {
    /// Incidents with a reminder or a nudge due by `now` (each instant is indexed).
    pub async fn due_incidents(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Incident>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM incidents WHERE id IN (
                 SELECT id FROM incidents WHERE reminder_due_at <= $1
                 UNION SELECT id FROM incidents WHERE lead_nudge_due_at <= $1
                 UNION SELECT id FROM incidents WHERE retro_nudge_due_at <= $1)
             ORDER BY id LIMIT 500"
        ))
        .bind(to_millis(now))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// Remembers the latest reminder message (a 👀 on it snoozes once).
    pub async fn set_last_reminder_ts(&self, id: IncidentId, ts: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE incidents SET last_reminder_ts = $1 WHERE id = $2")
            .bind(ts)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Whether the reminder at `ts` was snoozed already.
    pub async fn reminder_snoozed(&self, id: IncidentId, ts: &str) -> anyhow::Result<bool> {
        let mut conn = self.pool().acquire().await?;
        reminder_snoozed(&mut conn, id, ts).await
    }

    /// When the schedule `name` last fired.
    pub async fn schedule_last_fired(&self, name: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let row = sqlx::query("SELECT last_fired_at FROM schedules WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| -> anyhow::Result<DateTime<Utc>> { Ok(from_millis(row.try_get("last_fired_at")?)) }).transpose()
    }
}

/// Takes the firing of schedule `name` at `at`, given it last fired at `last` (`None`: never).
pub async fn claim_schedule(
    conn: &mut AnyConnection,
    name: &str,
    last: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let result = match last {
        None => {
            sqlx::query("INSERT INTO schedules (name, last_fired_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(to_millis(at))
                .execute(conn)
                .await?
        }
        Some(last) => {
            sqlx::query("UPDATE schedules SET last_fired_at = $1 WHERE name = $2 AND last_fired_at = $3")
                .bind(to_millis(at))
                .bind(name)
                .bind(to_millis(last))
                .execute(conn)
                .await?
        }
    };
    Ok(result.rows_affected() == 1)
}
