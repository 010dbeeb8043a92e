//! Signing in to the dashboard: one-time links (from `/incident dashboard` or `firebell
//! login-link`, for when Slack itself is down) that open a session kept in the database.

use super::App;
use crate::domain::dashboard::{self, LINK_LIFETIME};
use crate::domain::ids::UserId;
use crate::domain::reminders::plus;
use crate::store::dashboard::DashboardSession;

/// 32 bytes from the operating system's random source.
fn random_bytes() -> anyhow::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random bytes from the system: {e}"))?;
    Ok(bytes)
}

/// A one-time sign-in link for `user` (`/incident dashboard`, and `firebell login-link` for
/// when Slack itself is down): only the token's hash is stored.
pub async fn login_link(
    store: &crate::store::Store,
    now: chrono::DateTime<chrono::Utc>,
    public_url: &str,
    user: &UserId,
) -> anyhow::Result<String> {
    let token = dashboard::token(&random_bytes()?);
    store.create_dashboard_link(&dashboard::hash(&token), user, now, plus(now, LINK_LIFETIME)).await?;
    Ok(format!("{}/login/{token}", public_url.trim_end_matches('/')))
}

/// A session just opened: the cookie's token and how long it lasts.
pub struct SignedIn {
    pub token: String,
    pub user: UserId,
    pub lifetime: std::time::Duration,
}

impl App {
    /// A one-time sign-in link for `user` under `public_url` (valid five minutes, single use).
    pub async fn login_link(&self, public_url: &str, user: &UserId) -> anyhow::Result<String> {
        login_link(&self.store, self.clock.now(), public_url, user).await
    }

    /// Uses a sign-in link's token: a new session, or `None` for a link that is unknown,
    /// used or expired.
    pub async fn sign_in(&self, token: &str) -> anyhow::Result<Option<SignedIn>> {
        if !dashboard::is_token(token) {
            return Ok(None);
        }
        let now = self.clock.now();
        let Some(user) = self.store.use_dashboard_link(&dashboard::hash(token), now).await? else {
            return Ok(None);
        };
        let session = dashboard::token(&random_bytes()?);
        let csrf = dashboard::token(&random_bytes()?);
        let lifetime = self.policy.dashboard_session;
        let hash = dashboard::hash(&session);
        self.store.create_dashboard_session(&hash, &user, &csrf, now, plus(now, lifetime)).await?;
        tracing::info!(slack.user = %user, "signed in to the dashboard");
        Ok(Some(SignedIn { token: session, user, lifetime }))
    }

    /// The live session a cookie's token opens, if any.
    pub async fn dashboard_session(&self, token: &str) -> anyhow::Result<Option<DashboardSession>> {
        if !dashboard::is_token(token) {
            return Ok(None);
        }
        self.store.dashboard_session(&dashboard::hash(token), self.clock.now()).await
    }
}
