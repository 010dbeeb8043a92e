//! Use cases: take a typed inbound value, decide with the domain, record, and reply.
//!
//! No HTTP here, and no Slack Web API call on a request path but one: opening a modal
//! (`views.open`, whose `trigger_id` expires in 3 seconds). Every other side effect on Slack
//! is an outbox job written in the same transaction as the state it follows from; the steps
//! that carry those jobs out live in [`jobs`], run by `workers::outbox` with a narrower
//! [`jobs::StepContext`], and call Slack only through the typed facade in `slack/`.

pub mod alerts;
pub mod api;
pub mod changes;
pub mod commands;
pub mod dashboard;
pub mod declare;
pub mod events;
pub mod followups;
pub mod health;
pub mod incident_page;
pub mod interactions;
pub mod jobs;
pub mod lifecycle;
pub mod overview;
pub mod paging;
pub mod reminders;
pub mod reply;
pub mod report;
pub mod retro;
pub mod similar;

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
    /// The Web API facade: handed to outbox steps through [`jobs::StepContext`]; request
    /// handlers use it only to open modals and to read the bot's cached identity.
    pub slack: SlackApi,
    /// The external pagers turned on (PagerDuty, Opsgenie), for the outbox's steps.
    pub pagers: Arc<crate::pagers::Outlets>,
    /// Wakes the outbox worker when a job is enqueued (no polling delay on the happy path).
    pub outbox_wakeup: Arc<Notify>,
    /// `FIREBELL_PUBLIC_URL`: where the dashboard is served; `None` turns it off.
    pub public_url: Option<Arc<str>>,
    /// `/incident help`, which depends only on the policy: built from `policy` and rendered on
    /// first use, then shared by every clone (start with `Arc::default()`).
    pub help: Arc<std::sync::OnceLock<reply::Reply>>,
}

impl App {
    /// Tells the outbox worker there is work (a permit is kept if it is busy).
    pub fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }
}
