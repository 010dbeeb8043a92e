//! Prometheus Alertmanager (webhook version 4) and Grafana alerting payloads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::UnreadableAlert;
use crate::domain::alert::{Alert, AlertStatus, Source};
use crate::domain::alert_group::{Link, LinkKind, Notification, alertmanager_links};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    alerts: Vec<RawAlert>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    group_labels: BTreeMap<String, String>,
    group_key: Option<String>,
    #[serde(rename = "externalURL")]
    external_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(rename = "dashboardURL")]
    dashboard_url: Option<String>,
    #[serde(rename = "panelURL")]
    panel_url: Option<String>,
    #[serde(rename = "silenceURL")]
    silence_url: Option<String>,
    fingerprint: Option<String>,
}

/// A link the payload gave, if it is one people can open.
fn link(kind: LinkKind, url: Option<&String>) -> Option<Link> {
    let url = url?.trim();
    (url.starts_with("https://") || url.starts_with("http://")).then(|| Link { kind, url: url.to_owned() })
}

/// Alertmanager zero time (`0001-01-01T00:00:00Z`) and unreadable times count as unknown.
fn instant(text: Option<&str>) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(text?).ok()?.with_timezone(&Utc);
    (at.timestamp() > 0).then_some(at)
}

/// Parses an Alertmanager or Grafana body: one notification of one group.
pub fn parse(source: Source, body: &[u8]) -> Result<Notification, UnreadableAlert> {
    let payload: Payload =
        serde_json::from_slice(body).map_err(|e| UnreadableAlert(format!("not a {} webhook: {e}", source.as_str())))?;
    if payload.alerts.is_empty() {
        return Err(UnreadableAlert("the payload has no alerts".to_owned()));
    }
    let alerts = payload
        .alerts
        .iter()
        .map(|raw| {
            let status = match raw.status.as_str() {
                "firing" => AlertStatus::Firing,
                "resolved" => AlertStatus::Resolved,
                other => {
                    return Err(UnreadableAlert(format!(
                        "alert status {other:?}; expected \"firing\" or \"resolved\""
                    )));
                }
            };
            let annotation =
                |key: &str| raw.annotations.get(key).or_else(|| payload.common_annotations.get(key)).cloned();
            let name = raw.labels.get("alertname").cloned();
            let title = annotation("summary").or_else(|| name.clone()).unwrap_or_else(|| "Alert".to_owned());
            // Without a fingerprint, the label set identifies the alert.
            let fingerprint =
                raw.fingerprint.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| {
                    raw.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
                });
            // Grafana's generator is the alert rule; Alertmanager's is the Prometheus graph.
            let generator = if source == Source::Grafana { LinkKind::AlertRule } else { LinkKind::Graph };
            let links: Vec<Link> = [
                link(generator, raw.generator_url.as_ref()),
                link(LinkKind::Silence, raw.silence_url.as_ref()),
                link(LinkKind::Dashboard, raw.dashboard_url.as_ref()),
                link(LinkKind::Panel, raw.panel_url.as_ref()),
            ]
            .into_iter()
            .flatten()
            .collect();
            let first = |kind| links.iter().find(|l| l.kind == kind).map(|l| l.url.clone());
            let link = first(LinkKind::Dashboard).or_else(|| first(generator));
            Ok(Alert {
                source,
                fingerprint,
                status,
                title,
                summary: annotation("description"),
                labels: raw.labels.clone(),
                started_at: instant(raw.starts_at.as_deref()),
                link,
                links,
            })
        })
        .collect::<Result<Vec<Alert>, UnreadableAlert>>()?;
    let group_labels = if payload.group_labels.is_empty() { payload.common_labels } else { payload.group_labels };
    // Alertmanager's own pages; Grafana gives a silence link with each alert instead.
    let links = match (source, payload.external_url.as_deref()) {
        (Source::Alertmanager, Some(url)) => alertmanager_links(url, &group_labels),
        _ => Vec::new(),
    };
    Ok(Notification { source, group_key: payload.group_key.filter(|k| !k.is_empty()), group_labels, links, alerts })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRING: &str = include_str!("../../tests/fixtures/alerts/alertmanager_firing.json");
    const RESOLVED: &str = include_str!("../../tests/fixtures/alerts/alertmanager_resolved.json");
    const GRAFANA: &str = include_str!("../../tests/fixtures/alerts/grafana_firing.json");

    #[test]
    fn alertmanagers_documented_payload_parses() {
        let notification = parse(Source::Alertmanager, FIRING.as_bytes()).unwrap();
        assert!(notification.group_key.is_some());
        let alerts = notification.alerts;
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!((alert.status, alert.fingerprint.as_str()), (AlertStatus::Firing, "c6a1b1e8e2a5f9d3"));
        assert_eq!(alert.title, "Payments 5xx ratio above 5%");
        assert_eq!(alert.labels["service"], "payments");
        assert_eq!(alert.started_at.unwrap().to_rfc3339(), "2026-11-26T05:01:00+00:00");
        assert!(alert.link.as_deref().unwrap().starts_with("http://prometheus.example"));
        assert_eq!(parse(Source::Alertmanager, RESOLVED.as_bytes()).unwrap().alerts[0].status, AlertStatus::Resolved);
    }

    #[test]
    fn grafanas_documented_payload_parses_with_its_dashboard_link() {
        let notification = parse(Source::Grafana, GRAFANA.as_bytes()).unwrap();
        assert!(notification.links.is_empty(), "Grafana's silence link comes with each alert");
        let alert = notification.alerts.into_iter().next().unwrap();
        let kinds: Vec<LinkKind> = alert.links.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [LinkKind::AlertRule, LinkKind::Silence, LinkKind::Dashboard, LinkKind::Panel]);
        assert_eq!(alert.title, "Checkout p99 latency is high");
        assert_eq!(alert.fingerprint, "c6eadffa33fcdf37");
        assert_eq!(alert.link.as_deref(), Some("https://grafana.example/d/checkout"));
        assert_eq!(alert.started_at.unwrap().to_rfc3339(), "2026-11-26T05:03:03.157076+00:00");
    }

    #[test]
    fn broken_payloads_are_refused_with_a_reason() {
        for body in ["", "{}", "{\"alerts\": []}", "{\"alerts\": [{\"status\": \"maybe\"}]}", "[1]"] {
            assert!(parse(Source::Alertmanager, body.as_bytes()).is_err(), "{body}");
        }
    }
}
