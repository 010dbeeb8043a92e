//! Monitoring integrations: the webhook payloads of Alertmanager, Grafana and Datadog, parsed
//! into [`Alert`](crate::domain::alert::Alert)s. Pure: bytes in, alerts or a reason out.

pub mod alertmanager;
pub mod datadog;

use crate::domain::alert::{Alert, Source};

/// A body that is not the format the endpoint expects; the text says why (safe to return).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableAlert(pub String);

/// Parses a webhook body from `source`.
pub fn parse(source: Source, body: &[u8]) -> Result<Vec<Alert>, UnreadableAlert> {
    match source {
        // Grafana's unified alerting payload is Alertmanager's with extra fields.
        Source::Alertmanager | Source::Grafana => alertmanager::parse(source, body),
        Source::Datadog => datadog::parse(body),
    }
}
