//! Pages and the climb of unanswered pages (migration 0019): who was paged and why, where
//! their direct message is, and when the next level is due. Every write that decides
//! something (a page, a level, an acknowledgement) is a compare-and-set inside the caller's
//! transaction, so two replicas or a restart racing a tick do it once.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::ids::UserId;
use crate::domain::incident::IncidentId;
use crate::domain::paging::{Page, PageReason, ServiceOnCall};

/// An incident's climb, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Climb {
    pub incident_id: IncidentId,
    /// The first page: level k is due at this + k × `ack_within`.
    pub paged_at: DateTime<Utc>,
    pub next_level: u32,
    /// `None` once acknowledged, resolved or exhausted.
    pub next_due_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Whether the external alerts were triggered.
    pub external: bool,
}

const PAGE_COLUMNS: &str =
    "id, incident_id, user_id, reason, level, paged_by, paged_at, dm_channel, dm_ts, acknowledged_at";
const CLIMB_COLUMNS: &str = "incident_id, paged_at, next_level, next_due_at, acknowledged_at, external";

fn user(text: &str) -> anyhow::Result<UserId> {
    UserId::parse(text).ok_or_else(|| anyhow::anyhow!("stored user {text:?} is not a user id"))
}

fn level(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or(u32::MAX)
}

fn read_page(row: &sqlx::any::AnyRow) -> anyhow::Result<Page> {
    let reason: String = row.try_get("reason")?;
    let channel: Option<String> = row.try_get("dm_channel")?;
    let ts: Option<String> = row.try_get("dm_ts")?;
    Ok(Page {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        user: user(&row.try_get::<String, _>("user_id")?)?,
        reason: PageReason::parse(&reason).ok_or_else(|| anyhow::anyhow!("stored page reason {reason:?}"))?,
        level: level(row.try_get("level")?),
        paged_by: row.try_get::<Option<String>, _>("paged_by")?.as_deref().map(user).transpose()?,
        paged_at: from_millis(row.try_get("paged_at")?),
        message: channel.zip(ts),
        acknowledged_at: row.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_millis),
    })
}

fn read_climb(row: &sqlx::any::AnyRow) -> anyhow::Result<Climb> {
    Ok(Climb {
        incident_id: row.try_get("incident_id")?,
        paged_at: from_millis(row.try_get("paged_at")?),
        next_level: level(row.try_get("next_level")?),
        next_due_at: row.try_get::<Option<i64>, _>("next_due_at")?.map(from_millis),
        acknowledged_at: row.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_millis),
        external: row.try_get::<i64, _>("external")? != 0,
    })
}

/// What a new page records.
pub struct NewPage<'a> {
    pub incident_id: IncidentId,
    pub user: &'a UserId,
    pub reason: PageReason,
    pub level: u32,
    pub paged_by: Option<&'a UserId>,
    /// Paging with a `dedupe` already used does nothing (`on_call:U1`, `level:2`…).
    pub dedupe: String,
}

/// Records a page; `None` when one with the same dedupe exists (it was sent already).
pub async fn insert_page(
    conn: &mut AnyConnection,
    page: &NewPage<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO pages (incident_id, user_id, reason, level, dedupe, paged_by, paged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe) DO NOTHING RETURNING id",
    )
    .bind(page.incident_id)
    .bind(page.user.as_str())
    .bind(page.reason.as_str())
    .bind(i64::from(page.level))
    .bind(format!("{}:{}", page.incident_id, page.dedupe))
    .bind(page.paged_by.map(UserId::as_str))
    .bind(to_millis(now))
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// A page, as the caller's transaction sees it.
pub async fn page(conn: &mut AnyConnection, id: i64) -> anyhow::Result<Option<Page>> {
    let row =
        sqlx::query(&format!("SELECT {PAGE_COLUMNS} FROM pages WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(read_page).transpose()
}

/// Every page of an incident, in the order sent, as the caller's transaction sees it.
pub async fn pages(conn: &mut AnyConnection, incident_id: IncidentId) -> anyhow::Result<Vec<Page>> {
    let rows = sqlx::query(&format!("SELECT {PAGE_COLUMNS} FROM pages WHERE incident_id = $1 ORDER BY id"))
        .bind(incident_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(read_page).collect()
}

/// Marks a page acknowledged; `false` when it was already.
pub async fn acknowledge_page(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE pages SET acknowledged_at = $1 WHERE id = $2 AND acknowledged_at IS NULL")
        .bind(to_millis(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts the incident's climb at its first page, with the first level due at `next`;
/// `false` when it had started already (a raise after a raise pages nobody twice).
pub async fn start_climb(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    paged_at: DateTime<Utc>,
    next: Option<(u32, DateTime<Utc>)>,
    external: bool,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO paging (incident_id, paged_at, next_level, next_due_at, external)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(to_millis(paged_at))
    .bind(next.map_or(0, |(level, _)| i64::from(level)))
    .bind(next.map(|(_, due)| to_millis(due)))
    .bind(i64::from(external))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the level due at `due` by writing the one after it (`None`: the climb is over);
/// `false` when someone else took it, or an acknowledgement or resolution stopped it.
pub async fn claim_level(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    level: u32,
    due: DateTime<Utc>,
    next: Option<(u32, DateTime<Utc>)>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE paging SET next_level = $1, next_due_at = $2
         WHERE incident_id = $3 AND next_level = $4 AND next_due_at = $5",
    )
    .bind(next.map_or(i64::from(level), |(level, _)| i64::from(level)))
    .bind(next.map(|(_, due)| to_millis(due)))
    .bind(incident_id)
    .bind(i64::from(level))
    .bind(to_millis(due))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The incident's first acknowledgement stops the climb; `Some(climb)` (as it was before)
/// when this was that first one, `None` when there is no climb or it was acknowledged already.
pub async fn acknowledge_climb(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    by: &UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Climb>> {
    let Some(climb) = climb(conn, incident_id).await? else { return Ok(None) };
    let done = sqlx::query(
        "UPDATE paging SET acknowledged_at = $1, acknowledged_by = $2, next_due_at = NULL
         WHERE incident_id = $3 AND acknowledged_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(by.as_str())
    .bind(incident_id)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(climb))
}

/// Stops the climb (the incident was resolved); the climb as it was, if there is one.
pub async fn stop_climb(conn: &mut AnyConnection, incident_id: IncidentId) -> anyhow::Result<Option<Climb>> {
    let climb = climb(conn, incident_id).await?;
    if climb.is_some() {
        sqlx::query("UPDATE paging SET next_due_at = NULL WHERE incident_id = $1")
            .bind(incident_id)
            .execute(conn)
            .await?;
    }
    Ok(climb)
}

/// The incident's climb, as the caller's transaction sees it.
pub async fn climb(conn: &mut AnyConnection, incident_id: IncidentId) -> anyhow::Result<Option<Climb>> {
    let row = sqlx::query(&format!("SELECT {CLIMB_COLUMNS} FROM paging WHERE incident_id = $1"))
        .bind(incident_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(read_climb).transpose()
}

/// Records the on-call of one of the incident's services as its responder (once per person).
pub async fn add_incident_oncall(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    oncall: &ServiceOnCall,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO incident_oncall (incident_id, service, schedule, user_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (incident_id, user_id) DO NOTHING",
    )
    .bind(incident_id)
    .bind(oncall.service.as_str())
    .bind(oncall.schedule.as_str())
    .bind(oncall.user.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// The on-call recorded for the incident, in the order recorded.
pub async fn incident_oncall(conn: &mut AnyConnection, incident_id: IncidentId) -> anyhow::Result<Vec<ServiceOnCall>> {
    let rows = sqlx::query(
        "SELECT service, schedule, user_id FROM incident_oncall WHERE incident_id = $1 ORDER BY service, user_id",
    )
    .bind(incident_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ServiceOnCall {
                service: crate::domain::incident::ServiceName::from_stored(row.try_get("service")?),
                schedule: row.try_get("schedule")?,
                user: user(&row.try_get::<String, _>("user_id")?)?,
            })
        })
        .collect()
}

/// Marks the incident acknowledged (MTTA) unless it was already.
pub async fn acknowledge_incident(
    conn: &mut AnyConnection,
    incident_id: IncidentId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, $1) WHERE id = $2")
        .bind(to_millis(now))
        .bind(incident_id)
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Climbs with a level due by `now`.
    pub async fn due_climbs(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Climb>> {
        let rows = sqlx::query(&format!(
            "SELECT {CLIMB_COLUMNS} FROM paging WHERE next_due_at <= $1 ORDER BY next_due_at LIMIT 500"
        ))
        .bind(to_millis(now))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read_climb).collect()
    }

    /// One page.
    pub async fn page(&self, id: i64) -> anyhow::Result<Option<Page>> {
        let mut conn = self.pool().acquire().await?;
        page(&mut conn, id).await
    }

    /// Every page of an incident, in the order sent.
    pub async fn pages(&self, incident_id: IncidentId) -> anyhow::Result<Vec<Page>> {
        let mut conn = self.pool().acquire().await?;
        pages(&mut conn, incident_id).await
    }

    /// Remembers where a page's direct message is (to edit it when acknowledged).
    pub async fn set_page_message(&self, id: i64, channel: &str, ts: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE pages SET dm_channel = $1, dm_ts = $2 WHERE id = $3")
            .bind(channel)
            .bind(ts)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The incident's climb.
    pub async fn climb(&self, incident_id: IncidentId) -> anyhow::Result<Option<Climb>> {
        let mut conn = self.pool().acquire().await?;
        climb(&mut conn, incident_id).await
    }

    /// The on-call recorded for the incident.
    pub async fn incident_oncall(&self, incident_id: IncidentId) -> anyhow::Result<Vec<ServiceOnCall>> {
        let mut conn = self.pool().acquire().await?;
        incident_oncall(&mut conn, incident_id).await
    }
}
