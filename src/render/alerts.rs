//! The triage prompt of an alert group (what fired, how many, since when, the links people
//! click first, and Declare / Dismiss), the storm prompt that lists groups while the triage
//! channel is flooded, and what the incident channel hears when its alerts resolve.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{SlackMessage, context, section, user_text};
use crate::catalog::{Key, Locale, text};
use crate::domain::alert::{Alert, AlertGroup, AlertState, AlertStorm, StoredAlert};
use crate::domain::alert_group::{Link, LinkKind, differing_labels};
use crate::domain::incident::Incident;
use crate::domain::policy::Policy;
use crate::domain::text::escape_mrkdwn;

/// The `action_id` of the prompt's Declare button (value: the group id).
pub const DECLARE: &str = "alert_declare";
/// The `action_id` of the prompt's Dismiss button.
pub const DISMISS: &str = "alert_dismiss";

/// Alerts listed in a prompt; the rest are counted.
const LISTED: usize = 10;
/// Groups listed in a storm prompt; the rest are counted.
const STORM_LISTED: usize = 20;

/// What a link is called, by what it opens.
fn link_label(kind: LinkKind, locale: Locale) -> &'static str {
    let key = match kind {
        LinkKind::Graph => Key::AlertLinkGraph,
        LinkKind::AlertRule => Key::AlertLinkAlertRule,
        LinkKind::Alertmanager => Key::AlertLinkAlertmanager,
        LinkKind::Silence => Key::AlertLinkSilence,
        LinkKind::Dashboard => Key::AlertLinkDashboard,
        LinkKind::Panel => Key::AlertLinkPanel,
        LinkKind::Monitor => Key::AlertLinkMonitor,
    };
    text(locale, key).as_str()
}

/// `<url|label>`, or nothing for a URL that could break out of the link (the parsers keep
/// only http and https ones; a `|` or a space would end it early).
fn link_mrkdwn(link: &Link, locale: Locale) -> Option<String> {
    let url = link.url.as_str();
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c == '|' || c.is_whitespace() || c.is_control());
    safe.then(|| format!("<{}|{}>", escape_mrkdwn(url), link_label(link.kind, locale)))
}

/// The links line: the group's, labelled by what they open.
pub fn links_line(links: &[Link], locale: Locale) -> Option<String> {
    let parts: Vec<String> = links.iter().filter_map(|l| link_mrkdwn(l, locale)).collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// One alert in a group's list: its name, the labels that tell it apart, since when, and
/// whether it fired again or resolved.
fn member_line(alert: &StoredAlert, differing: &[String], policy: &Policy) -> String {
    let t = |key| text(policy.locale, key);
    let name = alert.labels.get("alertname").unwrap_or(&alert.title);
    let labels: Vec<String> = differing
        .iter()
        .filter(|k| k.as_str() != "alertname")
        .filter_map(|k| alert.labels.get(k).map(|v| format!("{k}={}", user_text(v, 60))))
        .collect();
    let mut line = format!("• {}", user_text(name, 100));
    if !labels.is_empty() {
        line.push_str(&format!(" `{}`", labels.join(", ")));
    }
    if let Some(summary) = &alert.summary {
        line.push_str(&format!(" — {}", user_text(summary, 120)));
    }
    let since = super::time::moment(alert.started_at.unwrap_or(alert.first_seen), policy);
    line.push_str(&format!(" — {}", t(Key::AlertMemberSince).fill(&[("since", &since)])));
    if alert.fired > 1 {
        line.push_str(&format!(" · {}", t(Key::AlertMemberFired).fill(&[("count", &alert.fired.to_string())])));
    }
    if alert.resolved {
        line.push_str(&format!(" · {}", t(Key::AlertMemberResolved).as_str()));
    }
    line
}

/// The prompt as it stands: open with buttons, or settled with what happened.
pub fn prompt(
    group: &AlertGroup,
    members: &[StoredAlert],
    policy: &Policy,
    incident: Option<&Incident>,
    dismissed_by: Option<&str>,
    _now: DateTime<Utc>,
) -> SlackMessage {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    let first = members.first();
    let shown_labels: Vec<String> = ["service", "severity", "priority", "instance"]
        .iter()
        .filter_map(|key| {
            let value = group.labels.get(*key).or_else(|| {
                // A group of one shows its alert's labels; a bigger group only what all share.
                let shared = members.iter().all(|m| m.labels.get(*key) == first.and_then(|f| f.labels.get(*key)));
                if shared { first.and_then(|f| f.labels.get(*key)) } else { None }
            })?;
            Some(format!("{key}={}", user_text(value, 80)))
        })
        .collect();
    let labels = if shown_labels.is_empty() { String::new() } else { format!(" · {}", shown_labels.join(", ")) };
    let headline = t(Key::AlertPrompt).fill_trusted(&[
        ("title", &user_text(&group.title, 150)),
        ("source", &group.source),
        ("labels", &labels),
    ]);
    let mut blocks = vec![section(&headline)];
    let mut lines: Vec<String> = Vec::new();
    if let [only] = members {
        if let Some(summary) = &only.summary {
            blocks.push(section(&user_text(summary, 1500)));
        }
        let since = super::time::moment(only.started_at.unwrap_or(only.first_seen), policy);
        lines.push(t(Key::AlertSeen).fill(&[("count", &only.fired.to_string()), ("first", &since)]));
    } else {
        let firing = members.iter().filter(|m| !m.resolved).count();
        let since = super::time::moment(group.started_at, policy);
        lines.push(t(Key::AlertGroupCounts).fill(&[
            ("firing", &firing.to_string()),
            ("resolved", &(members.len() - firing).to_string()),
            ("since", &since),
        ]));
        let differing = differing_labels(members.iter().map(|m| &m.labels));
        let mut list: Vec<String> = members.iter().take(LISTED).map(|m| member_line(m, &differing, policy)).collect();
        if members.len() > LISTED {
            list.push(t(Key::AlertMore).fill(&[("count", &(members.len() - LISTED).to_string())]));
        }
        blocks.push(section(&list.join("\n")));
    }
    if let Some(links) = links_line(&group.links, locale) {
        lines.push(links);
    }
    blocks.push(context(&lines.join("  ")));
    let settled = match (group.state, incident) {
        (AlertState::Declared, Some(incident)) => Some(t(Key::AlertDeclared).fill_trusted(&[
            ("number", &incident.number.to_string()),
            ("channel", &incident.channel.as_ref().map_or_else(String::new, |c| format!("<#{c}>"))),
        ])),
        (AlertState::Dismissed, _) => Some(match dismissed_by {
            Some(actor) => t(Key::AlertDismissed).fill_trusted(&[("actor", actor)]),
            None => t(Key::AlertDismissedUnattributed).as_str().to_owned(),
        }),
        (AlertState::Resolved, _) => Some(t(Key::AlertResolved).as_str().to_owned()),
        _ => None,
    };
    match settled {
        Some(line) => blocks.push(section(&line)),
        None => {
            blocks.push(context(t(Key::AlertHint).as_str()));
            let id = group.id.to_string();
            blocks.push(json!({"type": "actions", "block_id": "alert_actions", "elements": [
                {"type": "button", "action_id": DECLARE, "value": id, "style": "danger", "text": {"type": "plain_text", "text": t(Key::ButtonDeclare).as_str()}},
                {"type": "button", "action_id": DISMISS, "value": id, "text": {"type": "plain_text", "text": t(Key::ButtonDismiss).as_str()}},
            ]}));
        }
    }
    SlackMessage { text: headline, blocks: Value::Array(blocks) }
}

/// The storm prompt: the groups that came while the channel was flooded, each with its counts.
pub fn storm(
    storm: &AlertStorm,
    groups: &[AlertGroup],
    counts: &BTreeMap<i64, (i64, i64)>,
    policy: &Policy,
) -> SlackMessage {
    let t = |key| text(policy.locale, key);
    let since = super::time::moment(storm.started_at, policy);
    let headline = t(Key::AlertStorm).fill(&[("count", &groups.len().to_string()), ("since", &since)]);
    let mut list: Vec<String> = groups
        .iter()
        .take(STORM_LISTED)
        .map(|g| {
            let (firing, resolved) = counts.get(&g.id).copied().unwrap_or_default();
            t(Key::AlertStormLine).fill_trusted(&[
                ("title", &user_text(&g.title, 120)),
                ("source", &g.source),
                ("firing", &firing.to_string()),
                ("resolved", &resolved.to_string()),
            ])
        })
        .collect();
    if groups.len() > STORM_LISTED {
        list.push(t(Key::AlertMore).fill(&[("count", &(groups.len() - STORM_LISTED).to_string())]));
    }
    let mut blocks = vec![section(&headline)];
    if !list.is_empty() {
        blocks.push(section(&list.join("\n")));
    }
    blocks.push(context(t(Key::AlertStormHint).as_str()));
    SlackMessage { text: headline, blocks: Value::Array(blocks) }
}

/// What the incident channel hears when alerts that led to it resolve: which ones, or — when
/// every alert of the incident has — that the signal cleared.
pub fn resolved_in_incident(resolved: &[&Alert], everything: bool, policy: &Policy) -> String {
    let mut names: Vec<String> = resolved.iter().take(5).map(|a| a.title.clone()).collect();
    names.dedup();
    if resolved.len() > 5 {
        names.push(text(policy.locale, Key::AlertMore).fill(&[("count", &(resolved.len() - 5).to_string())]));
    }
    let key = if everything { Key::AlertIncidentAllResolved } else { Key::AlertIncidentResolved };
    text(policy.locale, key).fill(&[("names", &names.join(", "))])
}
