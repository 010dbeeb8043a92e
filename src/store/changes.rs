//! The SQL of pre-shared changes (planned work announced before it happens). The row type
//! is the domain's (`domain::change`); only the conversion lives here.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, from_millis, to_millis};
use crate::domain::change::PlannedChange;
use crate::domain::ids::UserId;
use crate::domain::incident::ServiceName;

pub(super) fn read(row: &AnyRow) -> anyhow::Result<PlannedChange> {
    let services: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("services")?)?;
    let author: String = row.try_get("author")?;
    Ok(PlannedChange {
        id: row.try_get("id")?,
        text: row.try_get("text")?,
        services: services.into_iter().map(ServiceName::from_stored).collect(),
        planned_at: row.try_get::<Option<i64>, _>("planned_at")?.map(from_millis),
        author: UserId::parse(&author).ok_or_else(|| anyhow::anyhow!("stored author {author:?}"))?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

impl Store {
    /// Records an announced change.
    pub async fn add_change(
        &self,
        text: &str,
        services: &[ServiceName],
        planned_at: Option<DateTime<Utc>>,
        author: &UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<PlannedChange> {
        let names: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
        let row = sqlx::query(
            "INSERT INTO changes (text, services, planned_at, author, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, text, services, planned_at, author, created_at",
        )
        .bind(text)
        .bind(serde_json::to_string(&names)?)
        .bind(planned_at.map(to_millis))
        .bind(author.as_str())
        .bind(to_millis(now))
        .fetch_one(self.pool())
        .await?;
        read(&row)
    }

    /// Changes announced since `since`, oldest first.
    pub async fn changes_since(&self, since: DateTime<Utc>) -> anyhow::Result<Vec<PlannedChange>> {
        let rows = sqlx::query(
            "SELECT id, text, services, planned_at, author, created_at FROM changes WHERE created_at >= $1 ORDER BY created_at, id LIMIT 50",
        )
        .bind(to_millis(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }
}
