//! The external pagers: PagerDuty's Events API v2 and Opsgenie's Alert API, as typed clients.
//!
//! This module owns the wire format of each service and the sorting of every failure into
//! [`PagerError`]: rate-limited (wait, then retry), transient (retry) or refused (retrying the
//! same request will not help). It does not retry, pace or remember anything: firebell's
//! durable outbox decides when a paging step runs again, and the use cases decide what to send
//! (one external alert per incident, its `dedup_key`/`alias`, the severity's mapping). Keys are
//! held as [`secrecy::SecretString`] and never appear in a log line or an error.

pub mod opsgenie;
mod outcome;
mod outlets;
pub mod pagerduty;

pub use opsgenie::{Opsgenie, OpsgenieAlert, OpsgeniePriority};
pub use outcome::PagerError;
pub use outlets::Outlets;
pub use pagerduty::{PagerDuty, PagerDutyEvent, PagerDutyLink, PagerDutySeverity, routing_key_is_well_formed};
