//! The first notice, the pinned summary and the channel topic of an incident.

use serde_json::Value;

use super::{SlackMessage, context, fields, section, status_word, user_text};
use crate::catalog::{Key, text};
use crate::domain::change::PlannedChange;
use crate::domain::incident::Incident;
use crate::domain::policy::{Mention, Policy};
use crate::domain::text::truncate_chars;

/// Titles are bounded so the first line of a notice stays readable.
pub const TITLE_MAX: usize = 150;
const IMPACT_MAX: usize = 1000;

fn severity_label(incident: &Incident, policy: &Policy) -> String {
    match policy.severity(incident.severity.as_str()) {
        Some(level) if level.label != level.name.as_str() => {
            format!("{} ({})", level.name, user_text(&level.label, 50))
        }
        _ => incident.severity.to_string(),
    }
}

fn started(incident: &Incident, policy: &Policy) -> String {
    super::time::moment(incident.declared_at, policy)
}

fn channel_link(incident: &Incident) -> String {
    match &incident.channel {
        Some(channel) => format!("<#{channel}>"),
        None => incident.channel_name.as_ref().map_or_else(String::new, |name| format!("#{name}")),
    }
}

fn impact(incident: &Incident, policy: &Policy) -> String {
    match incident.impact.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(impact) => user_text(impact, IMPACT_MAX),
        None => text(policy.locale, Key::ValueUnknown).as_str().to_owned(),
    }
}

fn lead(incident: &Incident, policy: &Policy) -> String {
    incident.lead.as_ref().map_or_else(|| text(policy.locale, Key::ValueNoLead).as_str().to_owned(), |u| u.mention())
}

/// The first notice: the minimum confirmed facts — title, severity, start time, impact, the
/// incident channel, status — with the mass mention a broad notice carries.
pub fn notice(incident: &Incident, policy: &Policy, mention: Mention, changes: &[PlannedChange]) -> SlackMessage {
    let locale = policy.locale;
    let title = text(locale, Key::NoticeTitle).fill_trusted(&[
        ("severity", &user_text(incident.severity.as_str(), 50)),
        ("number", &incident.number.to_string()),
        ("title", &user_text(&incident.title, TITLE_MAX)),
    ]);
    let ping = match mention {
        Mention::None => "",
        Mention::Here => "<!here> ",
        Mention::Channel => "<!channel> ",
    };
    let label = |key| text(locale, key).as_str().to_owned();
    let facts = fields(&[
        (label(Key::FieldSeverity), severity_label(incident, policy)),
        (label(Key::FieldStatus), status_word(locale, incident.status).to_owned()),
        (label(Key::FieldStarted), started(incident, policy)),
        (label(Key::FieldChannel), channel_link(incident)),
        (label(Key::FieldImpact), impact(incident, policy)),
        (label(Key::FieldLead), lead(incident, policy)),
        (label(Key::FieldLastUpdate), super::time::moment(incident.last_update_at, policy)),
    ]);
    let headline = format!("{ping}{title}");
    let mut blocks = vec![section(&headline), facts];
    blocks.extend(changes_section(changes, policy));
    SlackMessage { text: truncate_chars(&headline, 3000), blocks: Value::Array(blocks) }
}

/// The summary pinned in the incident channel.
pub fn summary(
    incident: &Incident,
    policy: &Policy,
    changes: &[PlannedChange],
    set_fields: &[(String, String)],
    similar: &[crate::domain::similar::PastIncident],
    rule: Option<&crate::domain::timeline::DeclaringRule>,
) -> SlackMessage {
    let locale = policy.locale;
    let title = text(locale, Key::SummaryTitle)
        .fill_trusted(&[("number", &incident.number.to_string()), ("title", &user_text(&incident.title, TITLE_MAX))]);
    let label = |key| text(locale, key).as_str().to_owned();
    let services = if incident.services.is_empty() {
        text(locale, Key::ValueNoServices).as_str().to_owned()
    } else {
        incident.services.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    };
    let mut blocks = vec![
        section(&title),
        fields(&[
            (label(Key::FieldSeverity), severity_label(incident, policy)),
            (label(Key::FieldStatus), status_word(locale, incident.status).to_owned()),
            (label(Key::FieldStarted), started(incident, policy)),
            (label(Key::FieldLead), lead(incident, policy)),
            (label(Key::FieldServices), services),
            (label(Key::FieldImpact), impact(incident, policy)),
        ]),
    ];
    if let Some(description) = incident.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        blocks.push(section(&format!("*{}*\n{}", label(Key::FieldDescription), user_text(description, 2500))));
    }
    // The custom fields that are set, in the policy's order, with their labels.
    let custom: Vec<(String, String)> = policy
        .fields
        .iter()
        .filter_map(|field| {
            let (_, value) = set_fields.iter().find(|(name, _)| *name == field.name)?;
            Some((user_text(&field.label, 80), user_text(value, 500)))
        })
        .collect();
    if !custom.is_empty() {
        blocks.push(fields(&custom));
    }
    blocks.extend(changes_section(changes, policy));
    blocks.extend(super::similar::summary_section(similar, policy));
    let footer = match rule {
        // Declared by an alert rule: the rule and its source, not the bot, reported it.
        Some(rule) => text(locale, Key::SummaryFooterByRule)
            .fill(&[("rule", &truncate_chars(&rule.matchers, 200)), ("source", &rule.source)]),
        None => text(locale, Key::SummaryFooter).fill_trusted(&[("reporter", &incident.reporter.mention())]),
    };
    blocks.push(context(&footer));
    if incident.status != crate::domain::incident::IncidentStatus::Closed {
        blocks.push(super::lifecycle_modals::summary_buttons(incident, policy));
    }
    SlackMessage { text: title, blocks: Value::Array(blocks) }
}

/// The "what changed?" section: recent pre-shared changes, newest last (at most five).
fn changes_section(changes: &[PlannedChange], policy: &Policy) -> Option<Value> {
    if changes.is_empty() {
        return None;
    }
    let locale = policy.locale;
    let mut lines = vec![text(locale, Key::NoticeRecentChanges).as_str().to_owned()];
    for change in changes.iter().rev().take(5).rev() {
        let time = super::time::clock(change.when(), policy);
        lines.push(text(locale, Key::NoticeChangeItem).fill_trusted(&[
            ("time", &time),
            ("author", &change.author.mention()),
            ("text", &user_text(&change.text, 300)),
        ]));
    }
    Some(section(&lines.join("\n")))
}

/// The channel topic: severity, status and lead (Slack allows 250 characters).
pub fn topic(incident: &Incident, policy: &Policy) -> String {
    let locale = policy.locale;
    let topic = text(locale, Key::TopicText).fill_trusted(&[
        ("severity", &user_text(incident.severity.as_str(), 50)),
        ("status", status_word(locale, incident.status)),
        ("lead", &lead(incident, policy)),
    ]);
    truncate_chars(&topic, 250)
}

/// The ephemeral `list` of open incidents. A private incident shows only its number,
/// severity and status — never its title or channel. A drill is marked `[DRILL]`.
pub fn list(incidents: &[Incident], policy: &Policy) -> String {
    let locale = policy.locale;
    if incidents.is_empty() {
        return text(locale, Key::ListEmpty).as_str().to_owned();
    }
    let mut lines = vec![text(locale, Key::ListHeader).as_str().to_owned()];
    for incident in incidents.iter().take(50) {
        let number = incident.number.to_string();
        let severity = user_text(incident.severity.as_str(), 50);
        let status = status_word(locale, incident.status);
        lines.push(if incident.private {
            text(locale, Key::ListPrivateItem).fill_trusted(&[
                ("number", &number),
                ("severity", &severity),
                ("status", status),
            ])
        } else {
            // Open drills are listed, marked: people practising look for them here too.
            let key = if incident.drill { Key::ListDrillItem } else { Key::ListItem };
            text(locale, key).fill_trusted(&[
                ("number", &number),
                ("severity", &severity),
                ("status", status),
                ("title", &user_text(&incident.title, TITLE_MAX)),
                ("channel", &channel_link(incident)),
            ])
        });
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::ids::{ChannelId, UserId};
    use crate::domain::incident::{IncidentNumber, IncidentStatus, ServiceName, SeverityName};

    fn incident(title: &str) -> Incident {
        Incident {
            id: crate::domain::incident::IncidentId::from_stored(1),
            number: IncidentNumber(42),
            title: title.to_owned(),
            severity: SeverityName::from_stored("SEV1".into()),
            status: IncidentStatus::Investigating,
            private: false,
            drill: false,
            reporter: UserId::parse("U0REPORTER").unwrap(),
            lead: None,
            impact: Some("Card payments fail <!channel>".into()),
            description: None,
            services: vec![ServiceName::from_stored("payments".into())],
            channel: ChannelId::parse("C0INC"),
            channel_name: Some("inc-20261126-42-checkout-is-down".into()),
            channel_attempt: 1,
            summary_ts: None,
            declared_at: Utc.with_ymd_and_hms(2026, 11, 26, 0, 31, 0).unwrap(),
            last_update_at: Utc.with_ymd_and_hms(2026, 11, 26, 0, 31, 0).unwrap(),
            version: 0,
            timers: Default::default(),
            last_reminder_ts: None,
        }
    }

    fn all_text(message: &SlackMessage) -> String {
        format!("{} {}", message.text, message.blocks)
    }

    #[test]
    fn a_notice_carries_the_minimum_confirmed_facts() {
        let message = notice(&incident("Checkout is down"), &contract_policy(), Mention::None, &[]);
        let body = all_text(&message);
        for fact in [
            "SEV1 incident #42: Checkout is down",
            "SEV1 (Critical)",
            "Investigating",
            "2026-11-26 09:31 KST",
            "<#C0INC>",
            "Card payments fail",
        ] {
            assert!(body.contains(fact), "missing {fact}: {body}");
        }
    }

    #[test]
    fn a_broad_notice_carries_the_severity_mention_first() {
        let message = notice(&incident("Down"), &contract_policy(), Mention::Here, &[]);
        assert!(message.text.starts_with("<!here> "), "{}", message.text);
    }

    #[test]
    fn user_text_in_notices_and_summaries_pings_nobody() {
        let title = "<!channel> <!here> <!everyone> <!subteam^S1|sre> & co";
        for message in [
            notice(&incident(title), &contract_policy(), Mention::None, &[]),
            summary(&incident(title), &contract_policy(), &[], &[], &[], None),
        ] {
            let body = all_text(&message);
            for ping in ["<!channel>", "<!here>", "<!everyone>", "<!subteam"] {
                assert!(!body.contains(ping), "{ping} in {body}");
            }
            assert!(body.contains("&amp; co"), "{body}");
        }
    }

    #[test]
    fn the_topic_names_severity_status_and_lead() {
        assert_eq!(topic(&incident("x"), &contract_policy()), "SEV1 · Investigating · Lead: not assigned");
    }

    #[test]
    fn the_list_marks_an_open_drill_and_keeps_a_private_one_redacted() {
        let real = incident("Checkout is down");
        let drill = Incident { number: IncidentNumber(43), drill: true, ..incident("Failover practice") };
        let secret = Incident { number: IncidentNumber(44), private: true, drill: true, ..incident("Secret practice") };
        let list = list(&[real, drill, secret], &contract_policy());
        let lines: Vec<&str> = list.lines().collect();
        assert!(lines[1].starts_with("• #42 SEV1") && !lines[1].contains("DRILL"), "{list}");
        assert!(lines[2].starts_with("• [DRILL] #43 SEV1") && lines[2].contains("Failover practice"), "{list}");
        assert!(!list.contains("Secret practice"), "{list}");
    }

    #[test]
    fn very_long_titles_stay_within_block_kit_limits() {
        let message = summary(&incident(&"word ".repeat(2000)), &contract_policy(), &[], &[], &[], None);
        for block in message.blocks.as_array().unwrap() {
            if let Some(text) = block["text"]["text"].as_str() {
                assert!(text.chars().count() <= 3000);
            }
        }
    }
}
