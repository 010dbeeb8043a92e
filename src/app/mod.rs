//! Use cases: take a typed inbound value, decide with the domain, record, and reply.
//!
//! No HTTP and no Slack Web API calls here: side effects on Slack become outbox jobs written
//! with the state they follow from (the worker that delivers them arrives with declaring).

pub mod alerts;
pub mod changes;
pub mod commands;
pub mod declare;
pub mod events;
pub mod followups;
pub mod health;
pub mod interactions;
pub mod jobs;
pub mod lifecycle;
pub mod reminders;
pub mod reply;
pub mod retro;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::ids::TeamId;
use crate::domain::policy::Policy;
use crate::metrics::Metrics;
use crate::slack::client::SlackApi;
use crate::store::Store;

/// What every use case needs.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub policy: Arc<Policy>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<health::Health>,
    /// The workspace whose requests are accepted.
    pub team_id: TeamId,
    /// The Web API: used by outbox steps, and by request handlers only for `views.open`
    /// (a `trigger_id` expires in 3 seconds, so a modal cannot wait for the outbox).
    pub slack: SlackApi,
    /// Wakes the outbox worker when a job is enqueued (no polling delay on the happy path).
    pub outbox_wakeup: Arc<Notify>,
}

impl App {
    /// Tells the outbox worker there is work (a permit is kept if it is busy).
    pub fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }
}
