//! Overrides of on-call schedules, as `oncall override` sets them.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Store, from_millis, to_millis};
use crate::domain::ids::UserId;
use crate::domain::oncall::Override;

impl Store {
    /// Puts `user` on call for `schedule` from `from` until `until`, set by `by`.
    pub async fn add_oncall_override(
        &self,
        schedule: &str,
        user: &UserId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        by: &UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO oncall_overrides (schedule, user_id, starts_at, ends_at, set_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(schedule)
        .bind(user.as_str())
        .bind(to_millis(from))
        .bind(to_millis(until))
        .bind(by.as_str())
        .bind(to_millis(now))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The overrides of `schedule` not ended by `since` (see [`overrides`]).
    pub async fn oncall_overrides(&self, schedule: &str, since: DateTime<Utc>) -> anyhow::Result<Vec<Override>> {
        let mut conn = self.pool().acquire().await?;
        overrides(&mut conn, schedule, since).await
    }
}

/// The overrides of `schedule` not ended by `since`, in the order they were set (the
/// last set wins where two overlap).
pub async fn overrides(
    conn: &mut AnyConnection,
    schedule: &str,
    since: DateTime<Utc>,
) -> anyhow::Result<Vec<Override>> {
    let rows = sqlx::query(
        "SELECT user_id, starts_at, ends_at FROM oncall_overrides WHERE schedule = $1 AND ends_at > $2 ORDER BY id",
    )
    .bind(schedule)
    .bind(to_millis(since))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let user: String = row.try_get("user_id")?;
            Ok(Override {
                user: UserId::parse(&user).ok_or_else(|| anyhow::anyhow!("stored user {user:?}"))?,
                from: from_millis(row.try_get("starts_at")?),
                until: from_millis(row.try_get("ends_at")?),
            })
        })
        .collect()
}
