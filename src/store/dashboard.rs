//! The SQL of dashboard sign-in links and sessions (only tokens' hashes are stored).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, from_millis, to_millis};
use crate::domain::ids::UserId;

/// A signed-in session as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardSession {
    pub user: UserId,
    /// The token every form of this session carries.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Records a one-time sign-in link for `user`.
    pub async fn create_dashboard_link(
        &self,
        token_hash: &str,
        user: &UserId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO dashboard_links (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user.as_str())
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Uses a sign-in link: its user, once, while it has not expired; `None` for an unknown,
    /// used or expired one. The use is one conditional update, so two clicks at once sign in
    /// once.
    pub async fn use_dashboard_link(&self, token_hash: &str, now: DateTime<Utc>) -> anyhow::Result<Option<UserId>> {
        let user: Option<String> = sqlx::query_scalar(
            "UPDATE dashboard_links SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(to_millis(now))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(user.as_deref().and_then(UserId::parse))
    }

    /// Opens a session for `user`.
    pub async fn create_dashboard_session(
        &self,
        token_hash: &str,
        user: &UserId,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO dashboard_sessions (token_hash, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.as_str())
        .bind(csrf)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live session with this token's hash: not expired, not revoked.
    pub async fn dashboard_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DashboardSession>> {
        let row = sqlx::query(
            "SELECT user_id, csrf, expires_at FROM dashboard_sessions
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(to_millis(now))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(user) = UserId::parse(&row.try_get::<String, _>("user_id")?) else { return Ok(None) };
        Ok(Some(DashboardSession {
            user,
            csrf: row.try_get("csrf")?,
            expires_at: from_millis(row.try_get("expires_at")?),
        }))
    }

    /// Ends every session of `user` (all their signed-in browsers).
    pub async fn revoke_dashboard_sessions(&self, user: &UserId, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let done =
            sqlx::query("UPDATE dashboard_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(to_millis(now))
                .bind(user.as_str())
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }
}
