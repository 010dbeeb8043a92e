//! The SQL of alert groups (what one prompt stands for), their alerts, and alert storms (one
//! prompt listing the groups that came while the triage channel was flooded). The row types
//! are the domain's; only the conversion lives here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::alert::{Alert, AlertGroup, AlertState, AlertStorm};
use crate::domain::alert_group::Arrival;
use crate::domain::incident::{IncidentId, ServiceName, SeverityName};
use crate::domain::policy::AlertAction;

const COLUMNS: &str = "id, source, group_key, active, state, action, rule, title, labels, links, severity, service, \
                       started_at, first_seen, revision, incident_id, storm_id, prompt_channel, prompt_ts";

fn read(row: &AnyRow) -> anyhow::Result<AlertGroup> {
    let labels: String = row.try_get("labels")?;
    let links: String = row.try_get("links")?;
    Ok(AlertGroup {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        key: row.try_get("group_key")?,
        active: row.try_get::<Option<String>, _>("active")?.is_some(),
        state: super::alerts::parse_state(&row.try_get::<String, _>("state")?),
        action: if row.try_get::<String, _>("action")? == "declare" {
            AlertAction::Declare
        } else {
            AlertAction::Prompt
        },
        rule: row.try_get("rule")?,
        title: row.try_get("title")?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        links: serde_json::from_str(&links).unwrap_or_default(),
        severity: SeverityName::from_stored(row.try_get("severity")?),
        service: row.try_get::<Option<String>, _>("service")?.map(ServiceName::from_stored),
        started_at: from_millis(row.try_get("started_at")?),
        first_seen: from_millis(row.try_get("first_seen")?),
        revision: row.try_get("revision")?,
        incident_id: row.try_get("incident_id")?,
        storm_id: row.try_get("storm_id")?,
        prompt_channel: row.try_get("prompt_channel")?,
        prompt_ts: row.try_get("prompt_ts")?,
    })
}

/// The active group of `key` from `source`.
pub async fn active(conn: &mut AnyConnection, source: &str, key: &str) -> anyhow::Result<Option<AlertGroup>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_groups WHERE source = $1 AND group_key = $2 AND active = 'active'"
    ))
    .bind(source)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Records a new active group for `arrival`; `None` when one is active already (a copy of the
/// notification arriving at the same time made it).
pub async fn insert(
    conn: &mut AnyConnection,
    arrival: &Arrival,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<AlertGroup>> {
    let started = arrival.alerts.iter().filter_map(|a| a.started_at).min().unwrap_or(now).min(now);
    let action = match arrival.route.action {
        AlertAction::Declare => "declare",
        AlertAction::Prompt => "prompt",
    };
    let row = sqlx::query(&format!(
        "INSERT INTO alert_groups (source, group_key, active, state, action, title, labels, links, severity, service,
                                   started_at, first_seen, last_seen, rule)
         VALUES ($1, $2, 'active', 'open', $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
         ON CONFLICT (source, group_key, active) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(arrival.source.as_str())
    .bind(&arrival.key)
    .bind(action)
    .bind(&arrival.title)
    .bind(serde_json::to_string(&arrival.labels)?)
    .bind(serde_json::to_string(&arrival.links)?)
    .bind(arrival.route.severity.as_str())
    .bind(arrival.route.service.as_ref().map(|s| s.as_str().to_owned()))
    .bind(to_millis(started))
    .bind(to_millis(now))
    .bind(arrival.route.rule.as_deref())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(read).transpose()
}

/// Adds a firing alert to a group (linked to the group's incident, if it has one).
pub async fn add_member(
    conn: &mut AnyConnection,
    group: &AlertGroup,
    alert: &Alert,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO alerts (source, fingerprint, active, state, status, title, summary, labels, link, links, severity,
                             service, started_at, first_seen, last_seen, group_id, incident_id)
         VALUES ($1, $2, 'active', $3, 'firing', $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14)",
    )
    .bind(alert.source.as_str())
    .bind(&alert.fingerprint)
    .bind(super::alerts::state_as_str(group.state))
    .bind(&alert.title)
    .bind(alert.summary.as_deref())
    .bind(serde_json::to_string(&alert.labels)?)
    .bind(alert.link.as_deref())
    .bind(serde_json::to_string(&alert.links)?)
    .bind(group.severity.as_str())
    .bind(group.service.as_ref().map(|s| s.as_str().to_owned()))
    .bind(alert.started_at.map(to_millis))
    .bind(to_millis(now))
    .bind(group.id)
    .bind(group.incident_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an alert of the group as firing (`fired_again`: after it had resolved, so its
/// count rises) or resolved; a notification that changes nothing only moves `last_seen`.
pub async fn set_member_status(
    conn: &mut AnyConnection,
    group_id: i64,
    fingerprint: &str,
    firing: bool,
    fired_again: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE alerts SET status = $1, fired = fired + $2, seen = seen + 1, last_seen = $3
         WHERE group_id = $4 AND fingerprint = $5",
    )
    .bind(if firing { "firing" } else { "resolved" })
    .bind(i64::from(fired_again))
    .bind(to_millis(now))
    .bind(group_id)
    .bind(fingerprint)
    .execute(conn)
    .await?;
    Ok(())
}

/// A change of the group, for its prompt: bumps and returns its revision.
pub async fn changed(conn: &mut AnyConnection, group_id: i64, now: DateTime<Utc>) -> anyhow::Result<i64> {
    let revision: i64 = sqlx::query_scalar(
        "UPDATE alert_groups SET revision = revision + 1, last_seen = $1 WHERE id = $2 RETURNING revision",
    )
    .bind(to_millis(now))
    .bind(group_id)
    .fetch_one(conn)
    .await?;
    Ok(revision)
}

/// Every alert of the group was resolved by its source: the group stops taking notifications
/// (a later firing is news, a group of its own), and an open prompt is settled as resolved.
pub async fn all_resolved(conn: &mut AnyConnection, group_id: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE alert_groups SET active = NULL, state = CASE WHEN state = 'open' THEN 'resolved' ELSE state END
         WHERE id = $1",
    )
    .bind(group_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE alerts SET active = NULL, state = CASE WHEN state = 'open' THEN 'resolved' ELSE state END
         WHERE group_id = $1",
    )
    .bind(group_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an open group to `state` (declared, dismissed); `false` when it was not open any
/// more (someone else acted first). It stays active: its alerts' news still belongs to it.
pub async fn settle(conn: &mut AnyConnection, group_id: i64, state: AlertState) -> anyhow::Result<bool> {
    let state = super::alerts::state_as_str(state);
    let result = sqlx::query("UPDATE alert_groups SET state = $1 WHERE id = $2 AND state = 'open'")
        .bind(state)
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE alerts SET state = $1 WHERE group_id = $2").bind(state).bind(group_id).execute(conn).await?;
    Ok(true)
}

/// Links the group and every alert in it to the incident it led to.
pub async fn link_incident(conn: &mut AnyConnection, group_id: i64, incident_id: IncidentId) -> anyhow::Result<()> {
    sqlx::query("UPDATE alert_groups SET incident_id = $1 WHERE id = $2")
        .bind(incident_id)
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE alerts SET incident_id = $1 WHERE group_id = $2")
        .bind(incident_id)
        .bind(group_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The group's alerts, oldest first.
pub async fn members(
    conn: &mut AnyConnection,
    group_id: i64,
) -> anyhow::Result<Vec<crate::domain::alert::StoredAlert>> {
    let rows = sqlx::query(&format!("SELECT {} FROM alerts WHERE group_id = $1 ORDER BY id", super::alerts::COLUMNS))
        .bind(group_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(super::alerts::read).collect()
}

/// Whether every alert linked to the incident has resolved (and there is at least one).
pub async fn incident_alerts_all_resolved(conn: &mut AnyConnection, incident_id: IncidentId) -> anyhow::Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END), 0) AS resolved
         FROM alerts WHERE incident_id = $1",
    )
    .bind(incident_id)
    .fetch_one(conn)
    .await?;
    let (total, resolved): (i64, i64) = (row.try_get("total")?, row.try_get("resolved")?);
    Ok(total > 0 && total == resolved)
}

/// Serialises the flood decision: whoever counts the minute's new prompts holds this row until
/// commit (PostgreSQL's row lock; SQLite has one writer anyway), so two webhooks at once
/// cannot both take the last prompt under the threshold.
pub async fn hold_flood_gate(conn: &mut AnyConnection, now: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO schedules (name, last_fired_at) VALUES ('alert_flood_gate', $1)
         ON CONFLICT (name) DO UPDATE SET last_fired_at = EXCLUDED.last_fired_at",
    )
    .bind(to_millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// New prompt groups since `since` (those listed in a storm included: each would have been a
/// prompt).
pub async fn new_prompt_groups(conn: &mut AnyConnection, since: DateTime<Utc>) -> anyhow::Result<u32> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alert_groups WHERE action = 'prompt' AND first_seen >= $1")
        .bind(to_millis(since))
        .fetch_one(conn)
        .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

const STORM_COLUMNS: &str = "id, channel, started_at, revision, prompt_ts";

fn read_storm(row: &AnyRow) -> anyhow::Result<AlertStorm> {
    Ok(AlertStorm {
        id: row.try_get("id")?,
        channel: row.try_get("channel")?,
        started_at: from_millis(row.try_get("started_at")?),
        revision: row.try_get("revision")?,
        prompt_ts: row.try_get("prompt_ts")?,
    })
}

/// The storm going on in `channel`, if any.
pub async fn active_storm(conn: &mut AnyConnection, channel: &str) -> anyhow::Result<Option<AlertStorm>> {
    let row =
        sqlx::query(&format!("SELECT {STORM_COLUMNS} FROM alert_storms WHERE channel = $1 AND active = 'active'"))
            .bind(channel)
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(read_storm).transpose()
}

/// Starts a storm in `channel`.
pub async fn start_storm(conn: &mut AnyConnection, channel: &str, now: DateTime<Utc>) -> anyhow::Result<AlertStorm> {
    let row = sqlx::query(&format!(
        "INSERT INTO alert_storms (channel, active, started_at) VALUES ($1, 'active', $2) RETURNING {STORM_COLUMNS}"
    ))
    .bind(channel)
    .bind(to_millis(now))
    .fetch_one(conn)
    .await?;
    read_storm(&row)
}

/// The storm calmed down: the next group gets a prompt of its own again.
pub async fn end_storm(conn: &mut AnyConnection, storm_id: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE alert_storms SET active = NULL WHERE id = $1").bind(storm_id).execute(conn).await?;
    Ok(())
}

/// Lists the group in the storm; returns the storm's new revision (for its prompt's edit).
pub async fn join_storm(conn: &mut AnyConnection, group_id: i64, storm_id: i64) -> anyhow::Result<i64> {
    sqlx::query("UPDATE alert_groups SET storm_id = $1 WHERE id = $2")
        .bind(storm_id)
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    storm_changed(conn, storm_id).await
}

/// A change of a group in the storm: bumps and returns the storm's revision.
pub async fn storm_changed(conn: &mut AnyConnection, storm_id: i64) -> anyhow::Result<i64> {
    let revision: i64 =
        sqlx::query_scalar("UPDATE alert_storms SET revision = revision + 1 WHERE id = $1 RETURNING revision")
            .bind(storm_id)
            .fetch_one(conn)
            .await?;
    Ok(revision)
}

impl Store {
    /// One group.
    pub async fn alert_group(&self, id: i64) -> anyhow::Result<Option<AlertGroup>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM alert_groups WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// The group whose prompt is the message `ts` in `channel`.
    pub async fn alert_group_by_prompt(&self, channel: &str, ts: &str) -> anyhow::Result<Option<AlertGroup>> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM alert_groups WHERE prompt_channel = $1 AND prompt_ts = $2"))
                .bind(channel)
                .bind(ts)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(read).transpose()
    }

    /// Every group, oldest first (tests).
    pub async fn alert_groups(&self) -> anyhow::Result<Vec<AlertGroup>> {
        let rows =
            sqlx::query(&format!("SELECT {COLUMNS} FROM alert_groups ORDER BY id")).fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// The group's alerts, oldest first.
    pub async fn alert_group_members(&self, group_id: i64) -> anyhow::Result<Vec<crate::domain::alert::StoredAlert>> {
        let mut conn = self.pool().acquire().await?;
        members(&mut conn, group_id).await
    }

    /// Remembers where a group's prompt was posted.
    pub async fn set_alert_group_prompt(&self, id: i64, channel: &str, ts: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE alert_groups SET prompt_channel = $1, prompt_ts = $2 WHERE id = $3")
            .bind(channel)
            .bind(ts)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// One storm.
    pub async fn alert_storm(&self, id: i64) -> anyhow::Result<Option<AlertStorm>> {
        let row = sqlx::query(&format!("SELECT {STORM_COLUMNS} FROM alert_storms WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read_storm).transpose()
    }

    /// The groups listed in a storm, oldest first.
    pub async fn storm_groups(&self, storm_id: i64) -> anyhow::Result<Vec<AlertGroup>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM alert_groups WHERE storm_id = $1 ORDER BY id"))
            .bind(storm_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read).collect()
    }

    /// Firing and resolved alerts per group of a storm.
    pub async fn storm_counts(&self, storm_id: i64) -> anyhow::Result<BTreeMap<i64, (i64, i64)>> {
        let rows = sqlx::query(
            "SELECT a.group_id AS group_id,
                    SUM(CASE WHEN a.status = 'firing' THEN 1 ELSE 0 END) AS firing,
                    SUM(CASE WHEN a.status = 'resolved' THEN 1 ELSE 0 END) AS resolved
             FROM alerts a JOIN alert_groups g ON g.id = a.group_id
             WHERE g.storm_id = $1 GROUP BY a.group_id",
        )
        .bind(storm_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = BTreeMap::new();
        for row in rows {
            out.insert(row.try_get("group_id")?, (row.try_get("firing")?, row.try_get("resolved")?));
        }
        Ok(out)
    }

    /// Remembers where a storm's prompt was posted.
    pub async fn set_alert_storm_prompt(&self, id: i64, ts: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE alert_storms SET prompt_ts = $1 WHERE id = $2")
            .bind(ts)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
