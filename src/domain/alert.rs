//! Alerts from monitoring: as received, as recorded, and where the policy routes them.
//! Pure; `store::alerts` reads and writes the rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::incident::{IncidentId, ServiceName, SeverityName};
use crate::domain::policy::{AlertAction, Policy};

/// Which monitoring system sent an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Alertmanager,
    Grafana,
    Datadog,
}

impl Source {
    /// The spelling in storage, metrics and the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Alertmanager => "alertmanager",
            Source::Grafana => "grafana",
            Source::Datadog => "datadog",
        }
    }
}

/// Firing or resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// One alert, whatever its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub source: Source,
    /// Identifies the same alert across notifications (fingerprint, aggregation key…).
    pub fingerprint: String,
    pub status: AlertStatus,
    pub title: String,
    pub summary: Option<String>,
    /// Labels (Prometheus, Grafana) or tags (Datadog, `key:value`).
    pub labels: BTreeMap<String, String>,
    pub started_at: Option<DateTime<Utc>>,
    /// Where to look first (generator, dashboard or monitor URL).
    pub link: Option<String>,
    /// Every link the source gave for this alert, labelled by what it opens.
    pub links: Vec<crate::domain::alert_group::Link>,
}

/// What has become of a stored alert (and of its group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertState {
    /// A prompt waits in the triage channel.
    Open,
    /// It led to an incident.
    Declared,
    /// Someone dismissed its prompt.
    Dismissed,
    /// Its source said it resolved before anyone declared.
    Resolved,
}

/// An alert as recorded: what arrived, how often, where its prompt is and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAlert {
    pub id: i64,
    /// The source's spelling (`Source::as_str`).
    pub source: String,
    pub fingerprint: String,
    pub state: AlertState,
    /// Whether its source has said it resolved.
    pub resolved: bool,
    pub title: String,
    pub summary: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub link: Option<String>,
    pub severity: SeverityName,
    pub service: Option<ServiceName>,
    pub started_at: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    /// How many notifications of it arrived.
    pub seen: i64,
    /// How many times it fired: once, and once more each time it fired again after resolving.
    pub fired: i64,
    /// The group it belongs to (its prompt, its incident).
    pub group_id: Option<i64>,
    pub links: Vec<crate::domain::alert_group::Link>,
    /// The incident it led to.
    pub incident_id: Option<IncidentId>,
    pub prompt_channel: Option<String>,
    pub prompt_ts: Option<String>,
}

/// Alerts of one source group routed alike: what one prompt stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertGroup {
    pub id: i64,
    /// The source's spelling (`Source::as_str`).
    pub source: String,
    /// The source's group key and the route (`alert_group::Arrival::key`).
    pub key: String,
    /// Whether notifications of this group still come to it.
    pub active: bool,
    pub state: AlertState,
    pub action: AlertAction,
    /// The rule that routed it, as `key=value, …` (`None`: no rule matched).
    pub rule: Option<String>,
    pub title: String,
    /// The labels the source grouped by.
    pub labels: BTreeMap<String, String>,
    pub links: Vec<crate::domain::alert_group::Link>,
    pub severity: SeverityName,
    pub service: Option<ServiceName>,
    /// When its earliest alert started.
    pub started_at: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    /// Counts its changes; each edit of its prompt is one revision.
    pub revision: i64,
    pub incident_id: Option<IncidentId>,
    /// The storm prompt that lists it instead of a prompt of its own.
    pub storm_id: Option<i64>,
    pub prompt_channel: Option<String>,
    pub prompt_ts: Option<String>,
}

/// An alert storm: the prompt listing the groups that came while the triage channel was
/// flooded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertStorm {
    pub id: i64,
    pub channel: String,
    pub started_at: DateTime<Utc>,
    pub revision: i64,
    pub prompt_ts: Option<String>,
}

/// What to do with a new firing alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub action: AlertAction,
    /// The rule's severity (a prompt's ✅ and a `declare` rule use it; else the default).
    pub severity: SeverityName,
    pub service: Option<ServiceName>,
    /// The matching rule's `match`, as `key=value, …` (`None`: no rule matched).
    pub rule: Option<String>,
}

/// The first rule whose labels all match decides; no match is a prompt in the triage channel.
pub fn route(policy: &Policy, alert: &Alert) -> Route {
    let rule = policy.alert_rules.iter().find(|rule| rule.matchers.iter().all(|(k, v)| alert.labels.get(k) == Some(v)));
    // A `service` label naming a policy service is taken when no rule names one.
    let labelled = alert.labels.get("service").and_then(|name| policy.service(name)).map(|s| s.name.clone());
    match rule {
        Some(rule) => Route {
            action: rule.action,
            severity: rule.severity.clone().unwrap_or_else(|| policy.default_severity.clone()),
            service: rule.service.clone().or(labelled),
            rule: Some(rule.matchers.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")),
        },
        None => Route {
            action: AlertAction::Prompt,
            severity: policy.default_severity.clone(),
            service: labelled,
            rule: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;

    fn alert(labels: &[(&str, &str)]) -> Alert {
        Alert {
            source: Source::Alertmanager,
            fingerprint: "f".into(),
            status: AlertStatus::Firing,
            title: "x".into(),
            summary: None,
            labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            started_at: None,
            link: None,
            links: vec![],
        }
    }

    #[test]
    fn a_matching_rule_declares_with_its_severity_and_service() {
        let route =
            route(&contract_policy(), &alert(&[("service", "payments"), ("severity", "critical"), ("instance", "a")]));
        assert_eq!(route.action, AlertAction::Declare);
        assert_eq!(route.severity.as_str(), "SEV2");
        assert_eq!(route.service.unwrap().as_str(), "payments");
    }

    #[test]
    fn no_matching_rule_prompts_with_the_default_severity_and_the_labelled_service() {
        let route = route(&contract_policy(), &alert(&[("service", "checkout"), ("severity", "critical")]));
        assert_eq!(route.action, AlertAction::Prompt);
        assert_eq!(route.severity.as_str(), "SEV3");
        assert_eq!(route.service.unwrap().as_str(), "checkout");
        assert_eq!(super::route(&contract_policy(), &alert(&[("service", "unknown")])).service, None);
    }
}
