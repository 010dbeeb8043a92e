//! Readiness: whether firebell can do its job right now (the database answers and Slack has
//! not rejected the token).

use std::sync::Mutex;
use std::time::Duration;

use crate::store::Store;

/// How long `/readyz` waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Shared readiness facts that workers report and `/readyz` reads.
#[derive(Debug, Default)]
pub struct Health {
    slack_rejection: Mutex<Option<String>>,
}

impl Health {
    /// Slack rejected the token (`invalid_auth`, `token_revoked`…): not ready until fixed.
    pub fn slack_rejected(&self, reason: &str) {
        let mut slot = self.slack_rejection.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            tracing::error!(slack.error = reason, "Slack rejected the bot token; check SLACK_BOT_TOKEN");
        }
        *slot = Some(reason.to_owned());
    }

    /// A Slack call succeeded with the token: whatever was wrong is fixed.
    pub fn slack_accepted(&self) {
        *self.slack_rejection.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// `Ok` when ready, else the reason.
    pub async fn check(&self, store: &Store) -> Result<(), String> {
        match tokio::time::timeout(PING_TIMEOUT, store.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(format!("database unavailable: {error:#}")),
            Err(_) => return Err("database unavailable: no answer within 2s".to_owned()),
        }
        if let Some(reason) = self.slack_rejection.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Err(format!("Slack rejected the bot token: {reason}"));
        }
        Ok(())
    }
}
