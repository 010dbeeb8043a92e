//! The one-click actions on the pinned summary and their modals: post an update, change the
//! severity, assign the lead, resolve. Built here and read back here (shared block ids).

use serde_json::{Value, json};

use crate::catalog::{Key, text};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentStatus, SeverityName};
use crate::domain::policy::Policy;
use crate::domain::text::truncate_chars;

use super::status_word;

/// The four actions, as `action_id` on the summary's buttons and `callback_id` on modals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuickAction {
    PostUpdate,
    ChangeSeverity,
    AssignLead,
    Resolve,
}

impl QuickAction {
    const ALL: [QuickAction; 4] =
        [QuickAction::PostUpdate, QuickAction::ChangeSeverity, QuickAction::AssignLead, QuickAction::Resolve];

    /// The id on the button and on its modal.
    pub fn id(self) -> &'static str {
        match self {
            QuickAction::PostUpdate => "incident_update",
            QuickAction::ChangeSeverity => "incident_severity",
            QuickAction::AssignLead => "incident_lead",
            QuickAction::Resolve => "incident_resolve",
        }
    }

    /// The action with this id.
    pub fn from_id(id: &str) -> Option<QuickAction> {
        QuickAction::ALL.into_iter().find(|a| a.id() == id)
    }
}

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": truncate_chars(text, max), "emoji": true})
}

fn option(label: &str, value: &str) -> Value {
    json!({"text": plain(label, 75), "value": value})
}

/// The buttons block of the pinned summary.
pub fn summary_buttons(incident: &Incident, policy: &Policy) -> Value {
    let t = |key| text(policy.locale, key).as_str();
    let value = incident.id.to_string();
    let button = |action: QuickAction, key| json!({"type": "button", "action_id": action.id(), "value": value, "text": plain(t(key), 75)});
    let mut resolve = button(QuickAction::Resolve, Key::ButtonResolve);
    resolve["style"] = json!("primary");
    json!({
        "type": "actions",
        "block_id": "incident_actions",
        "elements": [
            button(QuickAction::PostUpdate, Key::ButtonPostUpdate),
            button(QuickAction::ChangeSeverity, Key::ButtonChangeSeverity),
            button(QuickAction::AssignLead, Key::ButtonAssignLead),
            resolve,
        ]
    })
}

fn modal(action: QuickAction, incident: &Incident, policy: &Policy, title: Key, blocks: Vec<Value>) -> Value {
    let t = |key| text(policy.locale, key).as_str();
    json!({
        "type": "modal",
        "callback_id": action.id(),
        "private_metadata": incident.id.to_string(),
        "title": plain(t(title), 24),
        "submit": plain(t(Key::ModalSave), 24),
        "close": plain(t(Key::ModalCancel), 24),
        "blocks": blocks,
    })
}

fn input(block: &str, label: &str, optional: bool, element: Value) -> Value {
    json!({"type": "input", "block_id": block, "optional": optional, "label": plain(label, 2000), "element": element})
}

/// The modal a summary button opens.
pub fn build(action: QuickAction, incident: &Incident, policy: &Policy) -> Value {
    let locale = policy.locale;
    let t = |key| text(locale, key).as_str();
    match action {
        QuickAction::PostUpdate => {
            let statuses: Vec<Value> =
                [IncidentStatus::Investigating, IncidentStatus::Identified, IncidentStatus::Monitoring]
                    .into_iter()
                    .map(|s| option(status_word(locale, s), s.as_str()))
                    .collect();
            let mut select = json!({"type": "static_select", "action_id": "status", "options": statuses});
            if incident.status.is_open() {
                select["initial_option"] = option(status_word(locale, incident.status), incident.status.as_str());
            }
            let text_input = json!({"type": "plain_text_input", "action_id": "text", "multiline": true, "max_length": 3000,
                "placeholder": plain(t(Key::ModalUpdatePlaceholder), 150)});
            let blocks = vec![
                input("text", t(Key::ModalUpdateText), false, text_input),
                input("status", t(Key::ModalUpdateStatus), true, select),
            ];
            modal(action, incident, policy, Key::ModalUpdateTitle, blocks)
        }
        QuickAction::ChangeSeverity => {
            let options: Vec<Value> = policy
                .severities
                .iter()
                .map(|s| option(&format!("{} — {}", s.name, s.label), s.name.as_str()))
                .collect();
            let mut select = json!({"type": "static_select", "action_id": "severity", "options": options});
            if let Some(current) = policy.severity(incident.severity.as_str()) {
                select["initial_option"] =
                    option(&format!("{} — {}", current.name, current.label), current.name.as_str());
            }
            modal(
                action,
                incident,
                policy,
                Key::ModalSeverityTitle,
                vec![input("severity", t(Key::ModalFieldSeverity), false, select)],
            )
        }
        QuickAction::AssignLead => {
            let mut select = json!({"type": "users_select", "action_id": "lead"});
            if let Some(lead) = &incident.lead {
                select["initial_user"] = json!(lead.as_str());
            }
            modal(
                action,
                incident,
                policy,
                Key::ModalLeadTitle,
                vec![input("lead", t(Key::ModalLeadField), false, select)],
            )
        }
        QuickAction::Resolve => {
            let summary =
                json!({"type": "plain_text_input", "action_id": "summary", "multiline": true, "max_length": 3000});
            modal(
                action,
                incident,
                policy,
                Key::ModalResolveTitle,
                vec![input("summary", t(Key::ModalResolveSummary), true, summary)],
            )
        }
    }
}

/// What a submitted quick-action modal asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    Update { text: String, status: Option<IncidentStatus> },
    Severity(SeverityName),
    Lead(UserId),
    Resolve(Option<String>),
}

/// Reads a submission; on bad input, the error for its field (block id, message).
pub fn read(action: QuickAction, values: &Value, policy: &Policy) -> Result<Submitted, (&'static str, String)> {
    let t = |key| text(policy.locale, key).as_str().to_owned();
    let field = |block: &str| &values[block][block];
    let text_of =
        |block: &str| field(block)["value"].as_str().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    match action {
        QuickAction::PostUpdate => {
            let text = text_of("text").ok_or(("text", t(Key::ModalErrorTextEmpty)))?;
            let status = field("status")["selected_option"]["value"]
                .as_str()
                .and_then(IncidentStatus::parse)
                .filter(|s| s.is_open());
            Ok(Submitted::Update { text, status })
        }
        QuickAction::ChangeSeverity => field("severity")["selected_option"]["value"]
            .as_str()
            .and_then(|name| policy.severity(name))
            .map(|s| Submitted::Severity(s.name.clone()))
            .ok_or(("severity", t(Key::ModalErrorSeverity))),
        QuickAction::AssignLead => field("lead")["selected_user"]
            .as_str()
            .and_then(UserId::parse)
            .map(Submitted::Lead)
            .ok_or(("lead", t(Key::ModalErrorUser))),
        QuickAction::Resolve => Ok(Submitted::Resolve(text_of("summary"))),
    }
}
