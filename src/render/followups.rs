//! Follow-ups as people see them: the confirmation, the list with Mark done buttons.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::{section, user_text};
use crate::catalog::{Key, Locale, text};
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;

/// The `action_id` of a follow-up's Mark done button (value: the follow-up id).
pub const DONE: &str = "followup_done";

/// The heading of a group, in the policy's language.
pub fn group_label(locale: Locale, group: FollowupGroup) -> &'static str {
    let key = match group {
        FollowupGroup::Prevent => Key::GroupPrevent,
        FollowupGroup::Detect => Key::GroupDetect,
        FollowupGroup::Handle => Key::GroupHandle,
    };
    text(locale, key).as_str()
}

fn owner_and_due(locale: Locale, owner: Option<&UserId>, due: Option<NaiveDate>) -> (String, String) {
    let owner =
        owner.map_or_else(String::new, |u| text(locale, Key::FollowupOwner).fill_trusted(&[("owner", &u.mention())]));
    let due = due
        .map_or_else(String::new, |d| text(locale, Key::FollowupDue).fill(&[("due", &super::time::date(d, locale))]));
    (owner, due)
}

/// The channel post when a follow-up is added.
pub fn added(followup: &Followup, locale: Locale) -> String {
    let (owner, due) = owner_and_due(locale, followup.owner.as_ref(), followup.due);
    text(locale, Key::FollowupAdded).fill_trusted(&[
        ("id", &followup.id.to_string()),
        ("group", group_label(locale, followup.group)),
        ("text", &user_text(&followup.text, 1000)),
        ("owner", &owner),
        ("due", &due),
    ])
}

/// The channel post when a follow-up is marked done.
pub fn done(followup: &Followup, by: &UserId, locale: Locale) -> String {
    text(locale, Key::FollowupDone).fill_trusted(&[
        ("actor", &by.mention()),
        ("id", &followup.id.to_string()),
        ("text", &user_text(&followup.text, 1000)),
    ])
}

/// The `followups` reply: grouped, each open one with a Mark done button. `(text, blocks)`.
pub fn list(incident: &Incident, followups: &[Followup], locale: Locale) -> (String, Value) {
    let number = incident.number.to_string();
    if followups.is_empty() {
        let empty = text(locale, Key::FollowupListEmpty).fill(&[("number", &number)]);
        return (empty.clone(), json!([section(&empty)]));
    }
    let header = text(locale, Key::FollowupListHeader).fill(&[("number", &number)]);
    let mut blocks = vec![section(&header)];
    for group in FollowupGroup::ALL {
        let items: Vec<&Followup> = followups.iter().filter(|f| f.group == group).collect();
        if items.is_empty() {
            continue;
        }
        blocks.push(section(&format!("*{}*", group_label(locale, group))));
        // 50 blocks at most per message: a long list shows its first items.
        for followup in items.into_iter().take(12) {
            let (owner, due) = owner_and_due(locale, followup.owner.as_ref(), followup.due);
            let mark = if followup.done_at.is_some() { ":ballot_box_with_check:" } else { ":white_square:" };
            let line = text(locale, Key::FollowupItem).fill_trusted(&[
                ("mark", mark),
                ("id", &followup.id.to_string()),
                ("text", &user_text(&followup.text, 500)),
                ("owner", &owner),
                ("due", &due),
            ]);
            let mut block = section(&line);
            if followup.done_at.is_none() {
                block["accessory"] = json!({"type": "button", "action_id": DONE, "value": followup.id.to_string(),
                    "text": {"type": "plain_text", "text": text(locale, Key::FollowupDoneButton).as_str()}});
            }
            blocks.push(block);
        }
    }
    (header, Value::Array(blocks))
}

/// The digest's overdue section; `None` when nothing is overdue.
pub fn overdue(items: &[(Followup, Incident)], locale: Locale) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let mut lines = vec![text(locale, Key::DigestOverdueHeader).as_str().to_owned()];
    for (followup, incident) in items {
        // A private incident's follow-up is still someone's job; its text stays inside.
        let what = if incident.private { "…".to_owned() } else { user_text(&followup.text, 200) };
        let owner =
            followup.owner.as_ref().map_or_else(|| text(locale, Key::ValueNoLead).as_str().to_owned(), UserId::mention);
        let due = followup.due.map_or_else(String::new, |d| super::time::date(d, locale));
        lines.push(text(locale, Key::DigestOverdueItem).fill_trusted(&[
            ("number", &incident.number.to_string()),
            ("text", &what),
            ("owner", &owner),
            ("due", &due),
        ]));
    }
    Some(lines.join("\n"))
}
