//! What a form on an incident's dashboard page asks for, turned into the same [`Action`] the
//! `/incident` commands make, with the same grammar errors; and who may see an incident there.
//! Pure: the handler checks the session and CSRF token, the app decides and records.

use crate::domain::command::{GrammarError, Usage, severity_named};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentStatus};
use crate::domain::lifecycle::Action;
use crate::domain::policy::Policy;

/// The longest text a form takes: what the update modal takes, and what fits one Block Kit
/// section.
pub const TEXT_LIMIT: usize = 3000;

/// A posted form, as its fields arrived (every field optional: a missing one is an error
/// below, not a rejected request).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub csrf: String,
    /// `update`, `status`, `severity`, `action` or `resolve`.
    #[serde(default, rename = "do")]
    pub act: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

/// Why a form could not become an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    /// What the command would have said.
    Grammar(GrammarError),
    /// The text is longer than [`TEXT_LIMIT`] characters.
    TooLong { length: usize },
}

/// A field's value with the whitespace around it removed; `None` when nothing is left.
fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn text_of(form: &ActForm) -> Result<Option<String>, FormError> {
    let Some(text) = filled(&form.text) else { return Ok(None) };
    let length = text.chars().count();
    if length > TEXT_LIMIT {
        return Err(FormError::TooLong { length });
    }
    // A browser sends CRLF; Slack and the timeline keep LF.
    Ok(Some(text.replace("\r\n", "\n")))
}

fn status_of(word: &str) -> Result<IncidentStatus, FormError> {
    IncidentStatus::parse(&word.to_lowercase())
        .filter(|status| status.is_open())
        .ok_or_else(|| FormError::Grammar(GrammarError::UnknownStatus { word: word.to_owned() }))
}

/// The action a form asks for, checked as the command's grammar checks it (the kind of a
/// response action, like the command's, is checked when the action is decided).
pub fn action_of(form: &ActForm, policy: &Policy) -> Result<Action, FormError> {
    let missing = |usage| FormError::Grammar(GrammarError::MissingArgument { usage });
    match form.act.as_str() {
        "update" => {
            let text = text_of(form)?.ok_or(missing(Usage::Simple("update TEXT")))?;
            let status = filled(&form.status).map(status_of).transpose()?;
            Ok(Action::Update { text, status })
        }
        "status" => Ok(Action::SetStatus(status_of(filled(&form.status).ok_or(missing(Usage::Status))?)?)),
        "severity" => {
            let word = filled(&form.severity).ok_or(missing(Usage::Severity))?;
            let severity = severity_named(word, policy)
                .ok_or_else(|| FormError::Grammar(GrammarError::UnknownSeverity { word: word.to_owned() }))?;
            Ok(Action::SetSeverity(severity))
        }
        "action" => {
            let kind = filled(&form.kind).ok_or(missing(Usage::Action))?.to_owned();
            Ok(Action::RecordAction { kind, text: text_of(form)? })
        }
        "resolve" => Ok(Action::Resolve(text_of(form)?)),
        other => Err(FormError::Grammar(GrammarError::UnknownCommand { word: other.to_owned() })),
    }
}

/// Whether `given` is the session's CSRF token, compared in time that does not depend on
/// where they differ.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether `user` may see the incident on the dashboard: anyone for an incident that is not
/// private; for a private one, the admins and the people known to be in its channel — the
/// reporter, the lead, the services' responders (invited at declaration), and whoever the
/// record shows there (`known_in_channel`: joined, a role, on call, paged, wrote).
pub fn may_see(incident: &Incident, policy: &Policy, user: &UserId, known_in_channel: bool) -> bool {
    !incident.private
        || known_in_channel
        || policy.admins.contains(user)
        || incident.reporter == *user
        || incident.lead.as_ref() == Some(user)
        || incident
            .services
            .iter()
            .filter_map(|name| policy.service(name.as_str()))
            .any(|service| service.responders.contains(user))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::policy::testing::contract_policy;
    use crate::domain::incident::SeverityName;

    fn form(act: &str) -> ActForm {
        ActForm { act: act.into(), ..ActForm::default() }
    }

    #[test]
    fn an_update_needs_text_and_may_move_the_status() {
        let policy = contract_policy();
        let mut update = form("update");
        assert_eq!(
            action_of(&update, &policy),
            Err(FormError::Grammar(GrammarError::MissingArgument { usage: Usage::Simple("update TEXT") }))
        );
        update.text = Some("  \r\n ".into());
        assert!(action_of(&update, &policy).is_err(), "blank text is no text");
        update.text = Some(" Rolled back.\r\nErrors falling. ".into());
        update.status = Some(String::new());
        assert_eq!(
            action_of(&update, &policy),
            Ok(Action::Update { text: "Rolled back.\nErrors falling.".into(), status: None })
        );
        update.status = Some("Monitoring".into());
        assert_eq!(
            action_of(&update, &policy),
            Ok(Action::Update {
                text: "Rolled back.\nErrors falling.".into(),
                status: Some(IncidentStatus::Monitoring)
            })
        );
    }

    #[test]
    fn text_longer_than_a_block_is_refused_with_its_length() {
        let policy = contract_policy();
        let mut update = form("update");
        update.text = Some("가".repeat(TEXT_LIMIT));
        assert!(action_of(&update, &policy).is_ok(), "the limit counts characters, not bytes");
        update.text = Some("a".repeat(TEXT_LIMIT + 1));
        assert_eq!(action_of(&update, &policy), Err(FormError::TooLong { length: TEXT_LIMIT + 1 }));
    }

    #[test]
    fn status_and_severity_are_checked_as_the_commands_check_them() {
        let policy = contract_policy();
        let mut status = form("status");
        status.status = Some("identified".into());
        assert_eq!(action_of(&status, &policy), Ok(Action::SetStatus(IncidentStatus::Identified)));
        status.status = Some("resolved".into());
        assert_eq!(
            action_of(&status, &policy),
            Err(FormError::Grammar(GrammarError::UnknownStatus { word: "resolved".into() })),
            "resolving has its own form, as it has its own command"
        );
        let mut severity = form("severity");
        severity.severity = Some("sev1".into());
        assert_eq!(action_of(&severity, &policy), Ok(Action::SetSeverity(SeverityName::from_stored("SEV1".into()))));
        severity.severity = Some("SEV9".into());
        assert_eq!(
            action_of(&severity, &policy),
            Err(FormError::Grammar(GrammarError::UnknownSeverity { word: "SEV9".into() }))
        );
    }

    #[test]
    fn an_action_needs_its_kind_and_resolve_takes_an_optional_summary() {
        let policy = contract_policy();
        let mut action = form("action");
        assert!(action_of(&action, &policy).is_err());
        action.kind = Some("rollback".into());
        action.text = Some("to v41".into());
        assert_eq!(
            action_of(&action, &policy),
            Ok(Action::RecordAction { kind: "rollback".into(), text: Some("to v41".into()) })
        );
        assert_eq!(action_of(&form("resolve"), &policy), Ok(Action::Resolve(None)));
        assert_eq!(
            action_of(&form("close"), &policy),
            Err(FormError::Grammar(GrammarError::UnknownCommand { word: "close".into() }))
        );
    }

    #[test]
    fn the_csrf_token_must_match_exactly() {
        assert!(csrf_matches("abc123", "abc123"));
        assert!(!csrf_matches("abc123", "abc124"));
        assert!(!csrf_matches("abc123", "abc12"));
        assert!(!csrf_matches("", ""), "a session always has a token");
    }

    #[test]
    fn a_private_incident_is_seen_by_its_people_and_the_admins_only() {
        let policy = contract_policy();
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        let mut incident = crate::render::api_test_incident(at);
        let stranger = UserId::parse("U0STRANGER").unwrap();
        assert!(may_see(&incident, &policy, &stranger, false), "not private: everyone");
        incident.private = true;
        assert!(!may_see(&incident, &policy, &stranger, false));
        assert!(may_see(&incident, &policy, &stranger, true), "joined, wrote or took a role");
        assert!(may_see(&incident, &policy, &incident.reporter.clone(), false));
        if let Some(admin) = policy.admins.first() {
            assert!(may_see(&incident, &policy, admin, false));
        }
        let lead = UserId::parse("U0LEADER").unwrap();
        incident.lead = Some(lead.clone());
        assert!(may_see(&incident, &policy, &lead, false));
    }
}
