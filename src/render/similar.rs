//! Past incidents in Slack: the "similar past incidents" section of the pinned summary, the
//! `similar` reply and the `search` reply. One line per incident: number and title (linked to
//! its channel), date, duration, first action, retrospective.

use serde_json::Value;

use super::lifecycle::duration_in;
use super::{section, status_word, user_text};
use crate::catalog::{Key, text};
use crate::domain::policy::Policy;
use crate::domain::similar::PastIncident;

/// One past incident on one line.
pub fn line(past: &PastIncident, policy: &Policy) -> String {
    let locale = policy.locale;
    let incident = &past.incident;
    let number = match &incident.channel {
        Some(channel) => format!("<#{channel}> #{}", incident.number),
        None => format!("#{}", incident.number),
    };
    let date = super::time::date(incident.declared_at.with_timezone(&policy.timezone).date_naive(), locale);
    let mut parts = vec![format!("{number} {}", user_text(&incident.title, 120)), date];
    match past.resolved_at {
        Some(resolved) => parts.push(duration_in(locale, resolved - incident.declared_at)),
        None => parts.push(status_word(locale, incident.status).to_owned()),
    }
    if let Some(kind) = &past.first_action {
        parts.push(text(locale, Key::SimilarFirstAction).fill(&[("kind", kind)]));
    }
    if let Some(link) = &past.retrospective {
        parts.push(text(locale, Key::SimilarRetrospective).fill(&[("link", link)]));
    }
    format!("• {}", parts.join(" · "))
}

/// The header and one line per similar incident.
fn listing(similar: &[PastIncident], policy: &Policy) -> String {
    let mut lines = vec![text(policy.locale, Key::SimilarHeader).as_str().to_owned()];
    lines.extend(similar.iter().map(|past| line(past, policy)));
    lines.join("\n")
}

/// The summary's section; `None` when nothing was alike.
pub fn summary_section(similar: &[PastIncident], policy: &Policy) -> Option<Value> {
    (!similar.is_empty()).then(|| section(&listing(similar, policy)))
}

/// The `similar` reply.
pub fn similar_reply(number: i64, similar: &[PastIncident], policy: &Policy) -> String {
    if similar.is_empty() {
        return text(policy.locale, Key::SimilarNone).fill(&[("number", &number.to_string())]);
    }
    listing(similar, policy)
}

/// The `search` reply: the matches, best first.
pub fn search_reply(query: &str, found: &[PastIncident], policy: &Policy) -> String {
    let locale = policy.locale;
    // Cut only: `fill` escapes it (escaping here too would show `&lt;` for a typed `<`).
    let query = crate::domain::text::truncate_chars(query, 100);
    if found.is_empty() {
        return text(locale, Key::SearchNone).fill(&[("query", &query)]);
    }
    let mut lines =
        vec![text(locale, Key::SearchHeader).fill(&[("count", &found.len().to_string()), ("query", &query)])];
    lines.extend(found.iter().map(|past| line(past, policy)));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::testing::contract_policy;

    #[test]
    fn a_typed_query_is_escaped_once() {
        let reply = search_reply("5xx <!here> & more", &[], &contract_policy());
        assert!(reply.contains("`5xx &lt;!here&gt; &amp; more`"), "{reply}");
        assert!(!reply.contains("&amp;lt;"), "{reply}");
    }
}
