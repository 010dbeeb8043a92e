//! Reminder messages, escalations, nudges and the digest.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::lifecycle::duration_in;
use super::lifecycle_modals::QuickAction;
use super::{SlackMessage, context, section, status_word, user_text};
use crate::catalog::{Key, text};
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::policy::Policy;
use crate::domain::text::truncate_chars;

/// The `action_id` of a reminder's Snooze button (snoozes by the severity's cadence).
pub const SNOOZE: &str = "reminder_snooze";
/// The `action_id` of the overflow with 15 m / 30 m / 1 h; option values are `<id>:<seconds>`.
pub const SNOOZE_FOR: &str = "reminder_snooze_for";

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": truncate_chars(text, 75), "emoji": true})
}

/// Who a reminder mentions: the lead, else the reporter (who always exists; the affected
/// services' responders are in the channel and see it).
pub fn reminded(incident: &Incident) -> Vec<UserId> {
    vec![incident.lead.clone().unwrap_or_else(|| incident.reporter.clone())]
}

/// The update reminder, with Post update, Snooze and the snooze overflow.
pub fn reminder(incident: &Incident, policy: &Policy, who: &[UserId], now: DateTime<Utc>) -> SlackMessage {
    let locale = policy.locale;
    let t = |key| text(locale, key).as_str();
    let mentions: Vec<String> = who.iter().map(UserId::mention).collect();
    let line = text(locale, Key::ReminderText).fill_trusted(&[
        ("who", &mentions.join(" ")),
        ("number", &incident.number.to_string()),
        ("silence", &duration_in(policy.locale, now - incident.last_update_at)),
    ]);
    let id = incident.id.to_string();
    let options: Vec<Value> =
        [(Key::ReminderSnooze15m, 900), (Key::ReminderSnooze30m, 1800), (Key::ReminderSnooze1h, 3600)]
            .into_iter()
            .map(|(key, seconds)| json!({"text": plain(t(key)), "value": format!("{id}:{seconds}")}))
            .collect();
    let buttons = json!({
        "type": "actions",
        "block_id": "reminder_actions",
        "elements": [
            {"type": "button", "action_id": QuickAction::PostUpdate.id(), "value": id, "style": "primary", "text": plain(t(Key::ButtonPostUpdate))},
            {"type": "button", "action_id": SNOOZE, "value": id, "text": plain(t(Key::ButtonSnooze))},
            {"type": "overflow", "action_id": SNOOZE_FOR, "options": options},
        ]
    });
    SlackMessage {
        text: line.clone(),
        blocks: Value::Array(vec![section(&line), context(t(Key::ReminderHint)), buttons]),
    }
}

/// The post to the widest audience after ignored reminders.
pub fn escalation(incident: &Incident, policy: &Policy, now: DateTime<Utc>) -> String {
    let channel = incident.channel.as_ref().map_or_else(String::new, |c| format!("<#{c}>"));
    text(policy.locale, Key::EscalationText).fill_trusted(&[
        ("number", &incident.number.to_string()),
        ("severity", &user_text(incident.severity.as_str(), 50)),
        ("silence", &duration_in(policy.locale, now - incident.last_update_at)),
        ("channel", &channel),
    ])
}

/// The one-time nudge when nobody leads, with the Assign lead button.
pub fn lead_nudge(incident: &Incident, policy: &Policy) -> SlackMessage {
    let line = text(policy.locale, Key::NudgeLead).fill_trusted(&[("number", &incident.number.to_string())]);
    let button = json!({"type": "actions", "block_id": "lead_nudge", "elements": [
        {"type": "button", "action_id": QuickAction::AssignLead.id(), "value": incident.id.to_string(), "style": "primary",
         "text": plain(text(policy.locale, Key::ButtonAssignLead).as_str())}
    ]});
    SlackMessage { text: line.clone(), blocks: Value::Array(vec![section(&line), button]) }
}

/// The nudge when a resolved incident still has no retrospective.
pub fn retro_nudge(incident: &Incident, policy: &Policy, resolved_for: chrono::Duration) -> String {
    text(policy.locale, Key::NudgeRetro)
        .fill_trusted(&[("number", &incident.number.to_string()), ("ago", &duration_in(policy.locale, resolved_for))])
}

/// The nudge when report `name` is due and not published: it mentions `person` (the lead,
/// else the reporter) and says when it was due.
pub fn report_nudge(incident: &Incident, name: &str, person: &UserId, due: DateTime<Utc>, policy: &Policy) -> String {
    text(policy.locale, Key::NudgeReport).fill_trusted(&[
        ("mention", &format!("<@{person}>")),
        ("name", name),
        ("number", &incident.number.to_string()),
        ("due", &crate::render::time::moment(due, policy)),
    ])
}

/// The digest of open incidents; `None` when there is nothing to say.
pub fn digest(open: &[Incident], policy: &Policy, now: DateTime<Utc>) -> Option<String> {
    // Drills are practice: the digest is for what is really on fire.
    let open: Vec<&Incident> = open.iter().filter(|incident| !incident.drill).collect();
    if open.is_empty() {
        return None;
    }
    let locale = policy.locale;
    let mut lines = vec![text(locale, Key::DigestHeader).fill(&[("count", &open.len().to_string())])];
    for incident in open.iter().take(40) {
        let number = incident.number.to_string();
        let severity = user_text(incident.severity.as_str(), 50);
        let status = status_word(locale, incident.status);
        let age = duration_in(policy.locale, now - incident.declared_at);
        lines.push(if incident.private {
            text(locale, Key::DigestPrivateItem).fill_trusted(&[
                ("number", &number),
                ("severity", &severity),
                ("status", status),
                ("age", &age),
            ])
        } else {
            let lead = incident
                .lead
                .as_ref()
                .map_or_else(|| text(locale, Key::ValueNoLead).as_str().to_owned(), UserId::mention);
            let channel = incident.channel.as_ref().map_or_else(String::new, |c| format!("<#{c}>"));
            text(locale, Key::DigestItem).fill_trusted(&[
                ("number", &number),
                ("severity", &severity),
                ("status", status),
                ("title", &user_text(&incident.title, 150)),
                ("age", &age),
                ("lead", &lead),
                ("since", &duration_in(policy.locale, now - incident.last_update_at)),
                ("channel", &channel),
            ])
        });
    }
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::incident::IncidentNumber;

    #[test]
    fn the_digest_leaves_drills_out_and_says_nothing_when_only_drills_are_open() {
        let now = chrono::Utc::now();
        let real = crate::render::api_test_incident(now);
        let drill = Incident {
            number: IncidentNumber(43),
            title: "Failover practice".into(),
            drill: true,
            ..crate::render::api_test_incident(now)
        };
        let both = digest(&[real, drill.clone()], &contract_policy(), now).unwrap();
        assert!(both.contains("#42") && !both.contains("#43"), "{both}");
        assert!(!both.contains("Failover practice"), "{both}");
        assert_eq!(digest(&[drill], &contract_policy(), now), None);
    }
}
