//! Datadog webhook payloads: a user-defined template in which every value is a string.
//!
//! The default template (`id`, `title`, `body`, `event_type`, `date`, `last_updated`, `org`)
//! is enough; the keys the README recommends (`alert_id`, `alert_transition`, `alert_status`,
//! `alert_priority`, `tags`, `aggregate_key`, `link`) make routing and de-duplication better.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::UnreadableAlert;
use crate::domain::alert::{Alert, AlertStatus, Source};
use crate::domain::alert_group::{Link, LinkKind, Notification};

fn text(body: &Value, key: &str) -> Option<String> {
    match &body[key] {
        Value::String(s) if !s.trim().is_empty() && !s.starts_with('$') => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `[Triggered on {service:payments}] Payments error rate` → `Payments error rate`.
fn strip_prefix(title: &str) -> String {
    match (title.starts_with('['), title.find("] ")) {
        (true, Some(end)) => title[end + 2..].to_owned(),
        _ => title.to_owned(),
    }
}

/// Parses a Datadog body: one alert, grouped by its aggregation key (a multi-alert monitor's
/// scopes, `alert_scope`, are the alerts of one group).
pub fn parse(body: &[u8]) -> Result<Notification, UnreadableAlert> {
    let body: Value = serde_json::from_slice(body).map_err(|e| UnreadableAlert(format!("not JSON: {e}")))?;
    if !body.is_object() {
        return Err(UnreadableAlert("expected a JSON object from the webhook template".to_owned()));
    }
    let raw_title = text(&body, "title").ok_or_else(|| UnreadableAlert("the payload has no title".to_owned()))?;
    let transition = text(&body, "alert_transition").unwrap_or_else(|| {
        // The default template only has the title's `[Triggered]` / `[Recovered]` prefix.
        raw_title.trim_start_matches('[').split([']', ' ']).next().unwrap_or_default().to_owned()
    });
    let status = if matches!(transition.as_str(), "Recovered" | "Resolved" | "OK") {
        AlertStatus::Resolved
    } else {
        AlertStatus::Firing
    };
    let mut labels = BTreeMap::new();
    for tag in text(&body, "tags").unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (key, value) = tag.split_once(':').unwrap_or((tag, ""));
        labels.insert(key.to_owned(), value.to_owned());
    }
    if let Some(priority) = text(&body, "alert_priority") {
        labels.entry("priority".to_owned()).or_insert(priority);
    }
    let group =
        text(&body, "aggregate_key").or_else(|| text(&body, "alert_id")).unwrap_or_else(|| strip_prefix(&raw_title));
    let fingerprint = match text(&body, "alert_scope") {
        Some(scope) => format!("{group}:{scope}"),
        None => group.clone(),
    };
    let link = text(&body, "link").filter(|l| l.starts_with("https://") || l.starts_with("http://"));
    let started_at =
        text(&body, "date").and_then(|d| d.parse::<i64>().ok()).and_then(DateTime::<Utc>::from_timestamp_millis);
    let summary = text(&body, "body").map(|b| b.replace("%%%", "").trim().to_owned()).filter(|b| !b.is_empty());
    let alert = Alert {
        source: Source::Datadog,
        fingerprint,
        status,
        title: strip_prefix(&raw_title),
        summary,
        labels,
        started_at,
        links: link.iter().map(|url| Link { kind: LinkKind::Monitor, url: url.clone() }).collect(),
        link,
    };
    Ok(Notification {
        source: Source::Datadog,
        group_key: Some(group),
        group_labels: Default::default(),
        links: Vec::new(),
        alerts: vec![alert],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_parses_and_degrades_gracefully() {
        let alert = parse(include_bytes!("../../tests/fixtures/alerts/datadog_default.json")).unwrap().alerts.remove(0);
        assert_eq!(alert.title, "High CPU on web-1");
        assert_eq!(alert.status, AlertStatus::Firing);
        assert_eq!(alert.fingerprint, "High CPU on web-1", "the title identifies it without an aggregation key");
        assert_eq!(alert.summary.as_deref(), Some("CPU above 90% on web-1 for 5 minutes"));
        assert!(alert.labels.is_empty());
    }

    #[test]
    fn the_recommended_template_gives_tags_priority_key_and_link() {
        let alert =
            parse(include_bytes!("../../tests/fixtures/alerts/datadog_recommended.json")).unwrap().alerts.remove(0);
        assert_eq!(alert.labels["service"], "payments");
        assert_eq!(alert.labels["severity"], "critical");
        assert_eq!(alert.labels["priority"], "P1");
        assert_eq!(alert.fingerprint, "7c0f3a6e2b");
        assert_eq!(alert.link.as_deref(), Some("https://app.datadoghq.com/monitors/98765"));
        assert_eq!(alert.title, "Payments error rate");
    }

    #[test]
    fn a_recovery_is_resolved_and_broken_bodies_are_refused() {
        let recovered = br#"{"title": "[Recovered] High CPU on web-1", "id": "1", "date": "1"}"#;
        assert_eq!(parse(recovered).unwrap().alerts[0].status, AlertStatus::Resolved);
        for body in [&b"nope"[..], b"[]", b"{}", br#"{"title": "$EVENT_TITLE"}"#] {
            assert!(parse(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }
}
