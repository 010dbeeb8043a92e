//! The ephemeral catch-up a newcomer to an incident channel gets.

use super::{status_word, user_text};
use crate::catalog::{Key, text};
use crate::domain::incident::Incident;
use crate::domain::policy::Policy;
use crate::domain::record::StoredMessage;

/// At most this many highlights are listed (the newest).
const HIGHLIGHTS_SHOWN: usize = 10;

/// Severity, status, lead, the last update, the highlights so far and the summary's link.
pub fn catch_up(
    incident: &Incident,
    policy: &Policy,
    last_update: Option<&str>,
    highlights: &[StoredMessage],
    summary_link: Option<&str>,
) -> String {
    let locale = policy.locale;
    let lead =
        incident.lead.as_ref().map_or_else(|| text(locale, Key::ValueNoLead).as_str().to_owned(), |u| u.mention());
    let last_update =
        last_update.map_or_else(|| text(locale, Key::CatchupNoUpdate).as_str().to_owned(), |u| user_text(u, 500));
    let shown = &highlights[highlights.len().saturating_sub(HIGHLIGHTS_SHOWN)..];
    let highlights = if shown.is_empty() {
        text(locale, Key::CatchupNoHighlights).as_str().to_owned()
    } else {
        shown
            .iter()
            .map(|m| {
                let who = m.user.as_ref().map_or_else(String::new, |u| format!("{}: ", u.mention()));
                format!("• {who}{}", m.text.as_deref().map_or_else(|| "…".to_owned(), |t| user_text(t, 200)))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let summary =
        summary_link.map_or_else(String::new, |link| text(locale, Key::CatchupSummary).fill(&[("link", link)]));
    text(locale, Key::CatchupText).fill_trusted(&[
        ("number", &incident.number.to_string()),
        ("title", &user_text(&incident.title, 150)),
        ("severity", &user_text(incident.severity.as_str(), 50)),
        ("status", status_word(locale, incident.status)),
        ("lead", &lead),
        ("last_update", &last_update),
        ("highlights", &highlights),
        ("summary", &summary),
    ])
}
