//! Pages: the direct message that wakes someone (title, severity, impact, channel and an
//! Acknowledge button), what it becomes once acknowledged, and what the incident channel and
//! the announcements channel are told as the page climbs.

use serde_json::{Value, json};

use super::{SlackMessage, context, fields, section, user_text};
use crate::catalog::{Key, text};
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::paging::{Page, PageReason};
use crate::domain::policy::Policy;

/// The `action_id` of a page's Acknowledge button (value: the page id).
pub const ACKNOWLEDGE: &str = "page_ack";

fn mention(user: &UserId) -> String {
    format!("<@{user}>")
}

fn services(incident: &Incident, policy: &Policy) -> String {
    if incident.services.is_empty() {
        return text(policy.locale, Key::NoneConfigured).as_str().to_owned();
    }
    incident.services.iter().map(|s| format!("*{}*", user_text(s.as_str(), 80))).collect::<Vec<_>>().join(", ")
}

/// `ack_within` as people read it ("5m", "5분").
fn within(policy: &Policy) -> String {
    super::lifecycle::duration_in(
        policy.locale,
        chrono::Duration::from_std(policy.paging.ack_within).unwrap_or_default(),
    )
}

/// The page as a direct message: open with its Acknowledge button, or acknowledged.
pub fn page(incident: &Incident, page: &Page, policy: &Policy) -> SlackMessage {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    let headline = t(Key::PageHeadline)
        .fill_trusted(&[("number", &incident.number.to_string()), ("title", &user_text(&incident.title, 200))]);
    let severity = policy
        .severity(incident.severity.as_str())
        .map_or_else(|| incident.severity.to_string(), |s| format!("{} ({})", s.name, user_text(&s.label, 40)));
    let channel =
        incident.channel.as_ref().map_or_else(|| t(Key::PageChannelOpening).as_str().to_owned(), |c| format!("<#{c}>"));
    let mut facts = vec![(t(Key::PageFieldSeverity).as_str().to_owned(), severity)];
    if let Some(impact) = &incident.impact {
        facts.push((t(Key::PageFieldImpact).as_str().to_owned(), user_text(impact, 500)));
    }
    facts.push((t(Key::PageFieldChannel).as_str().to_owned(), channel.clone()));
    let why = match (page.reason, &page.paged_by) {
        (PageReason::Manual, Some(by)) => t(Key::PageWhyManual).fill_trusted(&[("by", &mention(by))]),
        (PageReason::Escalation, _) => {
            t(Key::PageWhyEscalation).fill_trusted(&[("within", &within(policy)), ("level", &page.level.to_string())])
        }
        _ => t(Key::PageWhyOnCall).fill_trusted(&[("services", &services(incident, policy))]),
    };
    let mut blocks = vec![section(&headline), fields(&facts), context(&why)];
    match page.acknowledged_at {
        Some(at) => blocks.push(section(&t(Key::PageAcknowledged).fill_trusted(&[
            ("time", &super::time::moment(at, policy)),
            ("channel", &incident.channel.as_ref().map_or(channel, |c| format!("<#{c}>"))),
        ]))),
        None => blocks.push(json!({"type": "actions", "block_id": "page_actions", "elements": [
            {"type": "button", "action_id": ACKNOWLEDGE, "value": page.id.to_string(), "style": "primary",
             "text": {"type": "plain_text", "text": t(Key::PageAcknowledge).as_str()}},
        ]})),
    }
    SlackMessage { text: headline, blocks: Value::Array(blocks) }
}

/// The incident channel's line when someone is paged.
pub fn paged_in_channel(incident: &Incident, page: &Page, policy: &Policy) -> String {
    let t = |key| text(policy.locale, key);
    let user = mention(&page.user);
    match (page.reason, &page.paged_by) {
        (PageReason::Manual, Some(by)) => t(Key::PagingManual).fill_trusted(&[("by", &mention(by)), ("user", &user)]),
        (PageReason::Escalation, _) => t(Key::PagingEscalated).fill_trusted(&[
            ("within", &within(policy)),
            ("user", &user),
            ("level", &page.level.to_string()),
        ]),
        _ => t(Key::PagingPaged).fill_trusted(&[("user", &user), ("services", &services(incident, policy))]),
    }
}

/// The incident channel's line when a page is acknowledged.
pub fn acknowledged_in_channel(user: &UserId, policy: &Policy) -> String {
    text(policy.locale, Key::PagingAcknowledged).fill_trusted(&[("user", &mention(user))])
}

/// The announcements channel's message when nobody acknowledged any level (a private
/// incident's without its title or channel).
pub fn unanswered(incident: &Incident, levels: u32, policy: &Policy) -> String {
    if incident.private {
        return text(policy.locale, Key::PagingUnansweredPrivate)
            .fill_trusted(&[("number", &incident.number.to_string()), ("levels", &levels.to_string())]);
    }
    text(policy.locale, Key::PagingUnanswered).fill_trusted(&[
        ("number", &incident.number.to_string()),
        ("severity", &user_text(incident.severity.as_str(), 40)),
        ("title", &user_text(&incident.title, 200)),
        ("levels", &levels.to_string()),
        ("channel", &incident.channel.as_ref().map_or_else(String::new, |c| format!("<#{c}>"))),
    ])
}

/// The incident channel's line when nobody acknowledged any level.
pub fn unanswered_in_channel(levels: u32, policy: &Policy) -> String {
    text(policy.locale, Key::PagingUnansweredInChannel).fill_trusted(&[("levels", &levels.to_string())])
}
