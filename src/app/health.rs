//! Readiness: whether firebell can do its job right now (the database answers and its writer
//! is up, no background task is down after a panic, Slack has not rejected the token, and in
//! Socket Mode the WebSocket is up).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::store::Store;

/// How long `/readyz` waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Shared readiness facts that workers report and `/readyz` reads.
#[derive(Debug, Default)]
pub struct Health {
    slack_rejection: Mutex<Option<String>>,
    /// `None` in HTTP mode; in Socket Mode, why the WebSocket is down (`None` inside: up).
    socket_mode: Mutex<Option<Option<String>>>,
    /// Background tasks waiting to be restarted after a panic, by name, with the panic.
    tasks_down: Mutex<BTreeMap<String, String>>,
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

    /// A Slack call succeeded with the token: whatever was wrong is fixed. Returns whether the
    /// token had been rejected until now (so the work held back for it can go at once).
    pub fn slack_accepted(&self) -> bool {
        let was = self.slack_rejection.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(reason) = &was {
            tracing::info!(slack.error = reason, "Slack accepts the bot token again");
        }
        was.is_some()
    }

    /// Socket Mode is in use and not connected yet; readiness waits for its `hello`.
    pub fn socket_mode_starting(&self) {
        *self.socket_mode.lock().unwrap_or_else(|p| p.into_inner()) = Some(Some("connecting".to_owned()));
    }

    /// The Socket Mode connection said `hello`: Slack traffic can arrive.
    pub fn socket_mode_connected(&self) {
        *self.socket_mode.lock().unwrap_or_else(|p| p.into_inner()) = Some(None);
    }

    /// The Socket Mode connection is down (reconnecting), for this reason.
    pub fn socket_mode_down(&self, reason: &str) {
        *self.socket_mode.lock().unwrap_or_else(|p| p.into_inner()) = Some(Some(reason.to_owned()));
    }

    /// A supervised background task panicked and waits to be started again.
    pub fn task_down(&self, task: &str, panic: &str) {
        self.tasks_down.lock().unwrap_or_else(|p| p.into_inner()).insert(task.to_owned(), panic.to_owned());
    }

    /// The task was started again.
    pub fn task_up(&self, task: &str) {
        self.tasks_down.lock().unwrap_or_else(|p| p.into_inner()).remove(task);
    }

    /// The first background task that is down, as `"{task} down: {panic}"`, if any.
    pub fn tasks_down(&self) -> Option<String> {
        let down = self.tasks_down.lock().unwrap_or_else(|p| p.into_inner());
        down.first_key_value().map(|(task, panic)| format!("{task} down: {panic}"))
    }

    /// `Ok` when ready, else the reason.
    pub async fn check(&self, store: &Store) -> Result<(), String> {
        match tokio::time::timeout(PING_TIMEOUT, store.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(format!("database unavailable: {error:#}")),
            Err(_) => return Err("database unavailable: no answer within 2s".to_owned()),
        }
        if let Some(reason) = store.writer_down() {
            return Err(format!("database writer down: {reason}"));
        }
        if let Some(reason) = self.tasks_down() {
            return Err(reason);
        }
        if let Some(reason) = self.slack_rejection.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Err(format!("Slack rejected the bot token: {reason}"));
        }
        if let Some(Some(reason)) = self.socket_mode.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Err(format!("Socket Mode is not connected: {reason}"));
        }
        Ok(())
    }
}
