//! Alerts as their sources group them: one prompt per group, not per alert.
//!
//! Alertmanager groups alerts on purpose (`group_by`) and sends the whole group in every
//! notification — when an alert joins, resolves, or `repeat_interval` passes. So a
//! notification is not a firing: an alert fires again only when it was resolved and is
//! firing now. Pure; `app::alerts` applies the result in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::alert::{Alert, AlertStatus, Route, Source, route};
use crate::domain::policy::{AlertAction, Policy};

/// What a link opens, so it is labelled by that and not by who sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The query behind a Prometheus alert (`generatorURL`).
    Graph,
    /// Grafana's alert rule (its `generatorURL`).
    AlertRule,
    /// The Alertmanager page of the group's alerts.
    Alertmanager,
    /// A form that silences the group (Alertmanager's, Grafana's `silenceURL`).
    Silence,
    /// Grafana's `dashboardURL`.
    Dashboard,
    /// Grafana's `panelURL`.
    Panel,
    /// Datadog's monitor (`link`).
    Monitor,
}

/// A link of an alert or a group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub kind: LinkKind,
    pub url: String,
}

/// One webhook delivery: alerts of one group, as the source grouped them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub source: Source,
    /// The source's group (Alertmanager's and Grafana's `groupKey`, Datadog's aggregation
    /// key); `None`: every alert is a group of its own.
    pub group_key: Option<String>,
    /// The labels the group is made by (`groupLabels`).
    pub group_labels: BTreeMap<String, String>,
    /// Links for the whole group (Alertmanager's alerts page and silence form).
    pub links: Vec<Link>,
    pub alerts: Vec<Alert>,
}

/// The alerts of one notification that go to one group: those of the source's group that the
/// policy routes the same way (rules still route each alert).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub source: Source,
    /// The group's identity: the source's key and the route.
    pub key: String,
    pub route: Route,
    pub title: String,
    pub labels: BTreeMap<String, String>,
    pub links: Vec<Link>,
    pub alerts: Vec<Alert>,
}

/// Splits a notification into the groups it feeds, one per route, in the order the routes
/// first appear.
pub fn arrivals(policy: &Policy, notification: &Notification) -> Vec<Arrival> {
    let mut out: Vec<Arrival> = Vec::new();
    for alert in &notification.alerts {
        let route = route(policy, alert);
        let source_key = match &notification.group_key {
            Some(key) => key.clone(),
            None => format!("alert:{}", alert.fingerprint),
        };
        let key = format!("{source_key}\u{1f}{}", route_key(&route));
        match out.iter_mut().find(|a| a.key == key) {
            Some(arrival) => arrival.alerts.push(alert.clone()),
            None => out.push(Arrival {
                source: notification.source,
                key,
                route,
                title: String::new(),
                labels: notification.group_labels.clone(),
                links: Vec::new(),
                alerts: vec![alert.clone()],
            }),
        }
    }
    for arrival in &mut out {
        arrival.title = title(&arrival.alerts, &arrival.labels);
        arrival.links = links(&notification.links, &arrival.alerts);
    }
    out
}

/// How a route is spelled in a group's key.
fn route_key(route: &Route) -> String {
    let action = match route.action {
        AlertAction::Declare => "declare",
        AlertAction::Prompt => "prompt",
    };
    let service = route.service.as_ref().map_or("", |s| s.as_str());
    format!("{action}/{}/{service}", route.severity.as_str())
}

/// A group's title: the alerts' own when they share one, else the group's alert name, else the
/// first alert's.
pub fn title(alerts: &[Alert], group_labels: &BTreeMap<String, String>) -> String {
    let first = alerts.first().map_or("Alert", |a| a.title.as_str());
    if alerts.iter().all(|a| a.title == first) {
        return first.to_owned();
    }
    let common_name = alerts
        .first()
        .and_then(|a| a.labels.get("alertname"))
        .filter(|name| alerts.iter().all(|a| a.labels.get("alertname") == Some(name)));
    group_labels.get("alertname").or(common_name).cloned().unwrap_or_else(|| first.to_owned())
}

/// The group's links: the notification's, then each kind's first from the alerts.
fn links(group: &[Link], alerts: &[Alert]) -> Vec<Link> {
    let mut out: Vec<Link> = group.to_vec();
    for link in alerts.iter().flat_map(|a| &a.links) {
        if !out.iter().any(|l| l.kind == link.kind) {
            out.push(link.clone());
        }
    }
    out.sort_by_key(|l| l.kind);
    out
}

/// What a notification says of one alert of a group, given whether the group holds it and
/// whether it was firing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// New to the group, firing.
    Joined,
    /// It had resolved and fires again: its count rises.
    FiredAgain,
    /// It was firing and resolved.
    Resolved,
    /// Nothing new (a repeat of the group's state, `repeat_interval`, another alert's change).
    Unchanged,
    /// Resolved, but the group never had it firing: nothing to say.
    Unknown,
}

/// The change one alert's status makes, given its state in the group (`None`: not in it;
/// `Some(true)`: firing).
pub fn change(firing_before: Option<bool>, status: AlertStatus) -> Change {
    match (firing_before, status) {
        (None, AlertStatus::Firing) => Change::Joined,
        (None, AlertStatus::Resolved) => Change::Unknown,
        (Some(false), AlertStatus::Firing) => Change::FiredAgain,
        (Some(true), AlertStatus::Resolved) => Change::Resolved,
        (Some(_), _) => Change::Unchanged,
    }
}

/// The label names whose values differ between the alerts: what tells them apart in a list.
pub fn differing_labels<'a>(labels: impl IntoIterator<Item = &'a BTreeMap<String, String>>) -> Vec<String> {
    let all: Vec<&BTreeMap<String, String>> = labels.into_iter().collect();
    let names: BTreeSet<&String> = all.iter().flat_map(|l| l.keys()).collect();
    names
        .into_iter()
        .filter(|name| {
            let first = all.first().and_then(|l| l.get(*name));
            all.iter().any(|l| l.get(*name) != first)
        })
        .cloned()
        .collect()
}

/// Alertmanager's own pages for the group: its alerts, and a silence form filled with the
/// group's labels (`#/silences/new?filter={…}`, the link Alertmanager's UI itself builds).
pub fn alertmanager_links(external_url: &str, group_labels: &BTreeMap<String, String>) -> Vec<Link> {
    let base = external_url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Vec::new();
    }
    let matchers: Vec<String> =
        group_labels.iter().map(|(k, v)| format!("{k}=\"{}\"", v.replace('"', "\\\""))).collect();
    let filter = percent_encode(&format!("{{{}}}", matchers.join(",")));
    vec![
        Link { kind: LinkKind::Alertmanager, url: format!("{base}/#/alerts?filter={filter}") },
        Link { kind: LinkKind::Silence, url: format!("{base}/#/silences/new?filter={filter}") },
    ]
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether a new prompt in a channel that had `recent` new groups in the last minute is one
/// too many: from the threshold on, groups are listed in one storm prompt instead. A storm
/// that is already on lasts until the minute's count falls to half the threshold, so it does
/// not flap at the edge.
pub fn joins_storm(recent: u32, threshold: u32, storm_on: bool) -> bool {
    if storm_on { recent.saturating_mul(2) >= threshold } else { recent >= threshold }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;

    fn alert(fingerprint: &str, labels: &[(&str, &str)], status: AlertStatus) -> Alert {
        Alert {
            source: Source::Alertmanager,
            fingerprint: fingerprint.into(),
            status,
            title: "Node down".into(),
            summary: None,
            labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            started_at: None,
            link: None,
            links: vec![],
        }
    }

    fn notification(alerts: Vec<Alert>) -> Notification {
        Notification {
            source: Source::Alertmanager,
            group_key: Some("{}:{alertname=\"NodeDown\"}".into()),
            group_labels: [("alertname".to_owned(), "NodeDown".to_owned())].into(),
            links: vec![],
            alerts,
        }
    }

    #[test]
    fn alerts_of_one_group_that_route_alike_arrive_together() {
        let alerts = (0..30)
            .map(|n| {
                alert(
                    &format!("f{n}"),
                    &[("alertname", "NodeDown"), ("instance", &format!("n{n}"))],
                    AlertStatus::Firing,
                )
            })
            .collect();
        let arrivals = arrivals(&contract_policy(), &notification(alerts));
        assert_eq!(arrivals.len(), 1);
        assert_eq!(arrivals[0].alerts.len(), 30);
        assert_eq!(arrivals[0].title, "Node down");
        assert_eq!(arrivals[0].route.action, AlertAction::Prompt);
    }

    #[test]
    fn alerts_of_one_group_that_route_differently_are_split_by_route() {
        // The contract's rule declares payments + critical; the rest of the group is prompted.
        let alerts = vec![
            alert(
                "a",
                &[("alertname", "HighErrors"), ("service", "payments"), ("severity", "critical")],
                AlertStatus::Firing,
            ),
            alert(
                "b",
                &[("alertname", "HighErrors"), ("service", "checkout"), ("severity", "critical")],
                AlertStatus::Firing,
            ),
            alert(
                "c",
                &[("alertname", "HighErrors"), ("service", "payments"), ("severity", "critical")],
                AlertStatus::Firing,
            ),
        ];
        let arrivals = arrivals(&contract_policy(), &notification(alerts));
        let shape: Vec<(AlertAction, usize)> = arrivals.iter().map(|a| (a.route.action, a.alerts.len())).collect();
        assert_eq!(shape, [(AlertAction::Declare, 2), (AlertAction::Prompt, 1)]);
        assert_ne!(arrivals[0].key, arrivals[1].key);
    }

    #[test]
    fn without_a_group_key_each_alert_is_its_own_group() {
        let mut n = notification(vec![
            alert("a", &[("alertname", "X")], AlertStatus::Firing),
            alert("b", &[("alertname", "X")], AlertStatus::Firing),
        ]);
        n.group_key = None;
        assert_eq!(arrivals(&contract_policy(), &n).len(), 2);
    }

    #[test]
    fn a_notification_is_not_a_firing_only_a_return_from_resolved_is() {
        assert_eq!(change(None, AlertStatus::Firing), Change::Joined);
        assert_eq!(change(Some(true), AlertStatus::Firing), Change::Unchanged);
        assert_eq!(change(Some(true), AlertStatus::Resolved), Change::Resolved);
        assert_eq!(change(Some(false), AlertStatus::Resolved), Change::Unchanged);
        assert_eq!(change(Some(false), AlertStatus::Firing), Change::FiredAgain);
        assert_eq!(change(None, AlertStatus::Resolved), Change::Unknown);
    }

    #[test]
    fn a_group_title_is_the_shared_title_else_the_alert_name() {
        let mut a = alert("a", &[("alertname", "NodeDown")], AlertStatus::Firing);
        let mut b = a.clone();
        assert_eq!(title(&[a.clone(), b.clone()], &BTreeMap::new()), "Node down");
        a.title = "node-1 is down".into();
        b.title = "node-2 is down".into();
        assert_eq!(title(&[a.clone(), b.clone()], &BTreeMap::new()), "NodeDown");
        a.labels.clear();
        assert_eq!(title(&[a, b], &BTreeMap::new()), "node-1 is down");
    }

    #[test]
    fn the_labels_that_tell_alerts_apart_are_those_whose_values_differ() {
        let a: BTreeMap<String, String> =
            [("alertname", "NodeDown"), ("instance", "n1"), ("job", "node")].map(|(k, v)| (k.into(), v.into())).into();
        let b: BTreeMap<String, String> =
            [("alertname", "NodeDown"), ("instance", "n2"), ("job", "node"), ("zone", "b")]
                .map(|(k, v)| (k.into(), v.into()))
                .into();
        assert_eq!(differing_labels([&a, &b]), ["instance", "zone"]);
        assert!(differing_labels([&a]).is_empty());
    }

    #[test]
    fn alertmanager_links_open_its_alerts_and_a_silence_of_the_group() {
        let labels: BTreeMap<String, String> = [("alertname".to_owned(), "NodeDown".to_owned())].into();
        let links = alertmanager_links("http://alertmanager:9093/", &labels);
        assert_eq!(links[0].kind, LinkKind::Alertmanager);
        assert_eq!(links[0].url, "http://alertmanager:9093/#/alerts?filter=%7Balertname%3D%22NodeDown%22%7D");
        assert_eq!(links[1].kind, LinkKind::Silence);
        assert_eq!(links[1].url, "http://alertmanager:9093/#/silences/new?filter=%7Balertname%3D%22NodeDown%22%7D");
        assert!(alertmanager_links("", &labels).is_empty());
        assert!(alertmanager_links("javascript:alert(1)", &labels).is_empty());
    }

    #[test]
    fn a_storm_starts_at_the_threshold_and_ends_below_half_of_it() {
        assert!(!joins_storm(19, 20, false));
        assert!(joins_storm(20, 20, false));
        assert!(joins_storm(10, 20, true));
        assert!(!joins_storm(9, 20, true));
    }
}
