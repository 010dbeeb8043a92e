//! Monitoring integrations: the webhook payloads of Alertmanager, Grafana and Datadog, parsed
//! into [`Notification`]s of grouped alerts. Pure: bytes in, alerts or a reason out.

pub mod alertmanager;
pub mod datadog;

use crate::domain::alert::Source;
use crate::domain::alert_group::Notification;

/// A body that is not the format the endpoint expects; the text says why (safe to return).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableAlert(pub String);

/// Parses a webhook body from `source`.
pub fn parse(source: Source, body: &[u8]) -> Result<Notification, UnreadableAlert> {
    match source {
        // Grafana's unified alerting payload is Alertmanager's with extra fields.
        Source::Alertmanager | Source::Grafana => alertmanager::parse(source, body),
        Source::Datadog => datadog::parse(body),
    }
}
