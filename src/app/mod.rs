//! Use cases: take a typed inbound value, decide with the domain, record, and reply.
//!
//! No HTTP and no Slack Web API calls here: side effects on Slack become outbox jobs written
//! with the state they follow from (the worker that delivers them arrives with declaring).

pub mod commands;
pub mod events;
pub mod health;
pub mod reply;

use std::sync::Arc;

use crate::clock::Clock;
use crate::domain::ids::TeamId;
use crate::domain::policy::Policy;
use crate::metrics::Metrics;
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
}
