//! Follow-ups of incidents.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::UserId;
use crate::domain::incident::IncidentId;

pub(super) const COLUMNS: &str = "id, incident_id, grp, text, owner, due, created_by, created_at, done_at";

pub(super) fn read(row: &AnyRow) -> anyhow::Result<Followup> {
    let group: String = row.try_get("grp")?;
    let created_by: String = row.try_get("created_by")?;
    Ok(Followup {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        group: FollowupGroup::parse(&group).ok_or_else(|| anyhow::anyhow!("stored group {group:?}"))?,
        text: row.try_get("text")?,
        owner: row.try_get::<Option<String>, _>("owner")?.as_deref().and_then(UserId::parse),
        due: row.try_get::<Option<String>, _>("due")?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        created_by: UserId::parse(&created_by).ok_or_else(|| anyhow::anyhow!("stored author {created_by:?}"))?,
        created_at: from_millis(row.try_get("created_at")?),
        done_at: row.try_get::<Option<i64>, _>("done_at")?.map(from_millis),
    })
}

/// A follow-up to record.
#[derive(Clone, Debug)]
pub struct NewFollowup<'a> {
    pub incident_id: IncidentId,
    pub group: FollowupGroup,
    pub text: &'a str,
    pub owner: Option<&'a UserId>,
    pub due: Option<NaiveDate>,
    pub created_by: &'a UserId,
}

/// Records a follow-up inside the caller's transaction; returns it.
pub async fn add(conn: &mut AnyConnection, new: &NewFollowup<'_>, now: DateTime<Utc>) -> anyhow::Result<Followup> {
    let row = sqlx::query(&format!(
        "INSERT INTO followups (incident_id, grp, text, owner, due, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(new.incident_id)
    .bind(new.group.as_str())
    .bind(new.text)
    .bind(new.owner.map(|u| u.as_str().to_owned()))
    .bind(new.due.map(|d| d.format("%Y-%m-%d").to_string()))
    .bind(new.created_by.as_str())
    .bind(to_millis(now))
    .fetch_one(conn)
    .await?;
    read(&row)
}

impl Store {
    /// An incident's follow-ups, in the order they were added.
    pub async fn followups(&self, incident_id: IncidentId) -> anyhow::Result<Vec<Followup>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM followups WHERE incident_id = $1 ORDER BY id"))
            .bind(incident_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read).collect()
    }

    /// One follow-up.
    pub async fn followup(&self, id: i64) -> anyhow::Result<Option<Followup>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM followups WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// Marks a follow-up done (once); `false` when it already was.
    pub async fn complete_followup(&self, id: i64, by: &UserId, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let result = sqlx::query("UPDATE followups SET done_at = $1, done_by = $2 WHERE id = $3 AND done_at IS NULL")
            .bind(to_millis(now))
            .bind(by.as_str())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Open follow-ups whose due date is before `today` (for the digest).
    pub async fn overdue_followups(&self, today: NaiveDate) -> anyhow::Result<Vec<Followup>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM followups WHERE done_at IS NULL AND due IS NOT NULL AND due < $1 ORDER BY due, id LIMIT 100"
        ))
        .bind(today.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }
}
