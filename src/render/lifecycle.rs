//! What people see when an incident changes: the post in its channel, the reply in each
//! notice's thread, and the refusal when an action is not allowed.

use crate::catalog::{Key, Locale, role_name, text};
use crate::domain::fields::Misfit;
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::lifecycle::{Change, Refusal};
use crate::domain::policy::Policy;

use super::{status_word, user_text};

/// Update and note texts are bounded well under Slack's message limits.
const TEXT_MAX: usize = 3000;

/// `1h 23m`, `2d 4h`, `45s`: the two largest units.
pub fn duration(span: chrono::Duration) -> String {
    duration_in(Locale::En, span)
}

/// A span as people of `locale` write it: `1h 23m` or `1시간 23분`.
pub fn duration_in(locale: Locale, span: chrono::Duration) -> String {
    let seconds = span.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    let [d, h, m, s] = match locale {
        Locale::En => ["d", "h", "m", "s"],
        Locale::Ko => ["일", "시간", "분", "초"],
    };
    // Zero parts are left out: "1h", not "1h 0m".
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}{s}"),
        (0, 0, mins) => format!("{mins}{m}"),
        (0, hrs, 0) => format!("{hrs}{h}"),
        (0, hrs, mins) => format!("{hrs}{h} {mins}{m}"),
        (ds, 0, _) => format!("{ds}{d}"),
        (ds, hrs, _) => format!("{ds}{d} {hrs}{h}"),
    }
}

fn role_instructions(policy: &Policy, role: &str) -> String {
    let locale = policy.locale;
    match role {
        "lead" => text(locale, Key::RoleLead).as_str().to_owned(),
        "comms" => text(locale, Key::RoleComms).as_str().to_owned(),
        "scribe" => text(locale, Key::RoleScribe).as_str().to_owned(),
        other => policy
            .roles
            .iter()
            .find(|r| r.name.as_str() == other)
            .map_or_else(String::new, |r| user_text(&r.description, 500)),
    }
}

fn summary_suffix(summary: Option<&String>) -> String {
    summary
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map_or_else(String::new, |s| format!("\n{}", user_text(s, TEXT_MAX)))
}

/// The message posted in the incident channel for a change by `actor`.
pub fn channel_post(change: &Change, incident: &Incident, actor: &UserId, policy: &Policy) -> String {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    let who = actor.mention();
    let status = |s| status_word(locale, s);
    match change {
        Change::Updated { text: body, status: moved } => {
            let moved = moved.map_or_else(String::new, |(_, to)| {
                t(Key::LifecycleUpdateStatus).fill_trusted(&[("status", status(to))])
            });
            t(Key::LifecycleUpdate).fill_trusted(&[
                ("actor", &who),
                ("status", &moved),
                ("text", &user_text(body, TEXT_MAX)),
            ])
        }
        Change::StatusChanged { to, .. } => {
            t(Key::LifecycleStatusChanged).fill_trusted(&[("actor", &who), ("status", status(*to))])
        }
        Change::Reopened { to } => t(Key::LifecycleReopened).fill_trusted(&[("actor", &who), ("status", status(*to))]),
        Change::SeverityChanged { from, to, lowered } => {
            let key = if *lowered { Key::LifecycleSeverityLowered } else { Key::LifecycleSeverityRaised };
            t(key).fill_trusted(&[
                ("actor", &who),
                ("from", &user_text(from.as_str(), 50)),
                ("to", &user_text(to.as_str(), 50)),
            ])
        }
        Change::RoleAssigned { role, user } => t(Key::LifecycleRoleAssigned).fill_trusted(&[
            ("user", &user.mention()),
            ("role", &user_text(&role_name(policy.locale, role.as_str()), 50)),
            ("actor", &who),
            ("instructions", &role_instructions(policy, role.as_str())),
        ]),
        Change::TitleChanged { to } => {
            t(Key::LifecycleTitleChanged).fill_trusted(&[("actor", &who), ("title", &user_text(to, 150))])
        }
        Change::ImpactChanged { to } => {
            t(Key::LifecycleImpactChanged).fill_trusted(&[("actor", &who), ("impact", &user_text(to, 1000))])
        }
        Change::ServiceAdded(service) => t(Key::LifecycleServiceAdded)
            .fill_trusted(&[("actor", &who), ("service", &user_text(service.as_str(), 80))]),
        Change::ServiceRemoved(service) => t(Key::LifecycleServiceRemoved)
            .fill_trusted(&[("actor", &who), ("service", &user_text(service.as_str(), 80))]),
        Change::Noted { text: body } => {
            t(Key::LifecycleNote).fill_trusted(&[("actor", &who), ("text", &user_text(body, TEXT_MAX))])
        }
        Change::Resolved { summary, duration: span } => t(Key::LifecycleResolved).fill_trusted(&[
            ("actor", &who),
            ("duration", &duration_in(locale, *span)),
            ("summary", &summary_suffix(summary.as_ref())),
        ]),
        Change::Closed => {
            let _ = incident;
            t(Key::LifecycleClosed).fill_trusted(&[("actor", &who)])
        }
        Change::FieldSet { field, value } => {
            let label = policy.field(field).map_or(field.as_str(), |f| f.label.as_str());
            t(Key::LifecycleFieldSet).fill_trusted(&[
                ("actor", &who),
                ("label", &user_text(label, 80)),
                ("value", &user_text(value, 500)),
            ])
        }
        Change::ActionTaken { kind, text: body } => t(Key::LifecycleAction).fill_trusted(&[
            ("actor", &who),
            ("kind", &user_text(kind, 40)),
            ("text", &body.as_deref().map_or_else(String::new, |b| format!(": {}", user_text(b, TEXT_MAX)))),
        ]),
    }
}

/// The reply in each notice's thread, for the changes the audience should hear about;
/// `Some((text, broadcast))`.
pub fn thread_reply(change: &Change, incident: &Incident, policy: &Policy) -> Option<(String, bool)> {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    match change {
        Change::Updated { text: body, .. } => Some((
            t(Key::ThreadUpdate).fill_trusted(&[
                ("status", status_word(locale, incident.status)),
                ("text", &user_text(body, TEXT_MAX)),
            ]),
            false,
        )),
        Change::SeverityChanged { from, to, lowered } => {
            let key = if *lowered { Key::ThreadSeverityLowered } else { Key::ThreadSeverity };
            Some((
                t(key).fill_trusted(&[("from", &user_text(from.as_str(), 50)), ("to", &user_text(to.as_str(), 50))]),
                false,
            ))
        }
        Change::Resolved { summary, duration: span } => Some((
            t(Key::ThreadResolved).fill_trusted(&[
                ("duration", &duration_in(locale, *span)),
                ("summary", &summary_suffix(summary.as_ref())),
            ]),
            true,
        )),
        _ => None,
    }
}

/// The ephemeral reply explaining a refusal and what to do instead.
pub fn refusal(refusal: &Refusal, incident: &Incident, locale: Locale) -> String {
    let number = incident.number.to_string();
    let t = |key| text(locale, key);
    match refusal {
        Refusal::Closed => t(Key::RefusalClosed).fill(&[("number", &number)]),
        Refusal::AlreadyResolved => t(Key::RefusalAlreadyResolved).fill(&[("number", &number)]),
        Refusal::NotResolved => t(Key::RefusalNotResolved).fill(&[("number", &number)]),
        Refusal::Unchanged => t(Key::RefusalUnchanged).fill(&[("number", &number)]),
        Refusal::ServiceNotAffected(service) => {
            let services: Vec<&str> = incident.services.iter().map(|s| s.as_str()).collect();
            t(Key::RefusalServiceNotAffected).fill(&[
                ("number", &number),
                ("service", service.as_str()),
                ("services", &services.join(", ")),
            ])
        }
        Refusal::NotPermitted { allowed } => {
            let people: Vec<String> = allowed.iter().map(UserId::mention).collect();
            t(Key::RefusalNotPermitted).fill_trusted(&[("number", &number), ("people", &people.join(", "))])
        }
        Refusal::UnknownField { fields } if fields.is_empty() => t(Key::RefusalNoFields).as_str().to_owned(),
        Refusal::UnknownField { fields } => t(Key::RefusalUnknownField).fill(&[("fields", &fields.join(", "))]),
        Refusal::FieldMisfit { field, misfit: Misfit::NotANumber } => {
            t(Key::RefusalFieldNumber).fill(&[("field", field)])
        }
        Refusal::FieldMisfit { field, misfit: Misfit::NotAnOption(options) } => {
            t(Key::RefusalFieldOption).fill(&[("field", field), ("options", &options.join(", "))])
        }
        Refusal::FieldMisfit { field, misfit: Misfit::Empty } => t(Key::RefusalFieldEmpty).fill(&[("field", field)]),
        Refusal::UnknownActionKind { kinds } => t(Key::RefusalUnknownAction).fill(&[("kinds", &kinds.join(", "))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_the_two_largest_units() {
        let d = chrono::Duration::seconds;
        assert_eq!(duration(d(42)), "42s");
        assert_eq!(duration(d(5 * 60 + 3)), "5m");
        assert_eq!(duration(d(3600 + 23 * 60)), "1h 23m");
        assert_eq!(duration(d(2 * 86_400 + 4 * 3600 + 59)), "2d 4h");
        assert_eq!(duration(d(-5)), "0s");
        assert_eq!(duration_in(Locale::Ko, d(3600 + 23 * 60)), "1시간 23분");
        assert_eq!(duration_in(Locale::Ko, d(2 * 86_400 + 4 * 3600)), "2일 4시간");
        assert_eq!(duration_in(Locale::Ko, d(42)), "42초");
    }

    #[test]
    fn durations_leave_out_zero_parts() {
        let d = chrono::Duration::seconds;
        assert_eq!(duration(d(3600)), "1h");
        assert_eq!(duration(d(86_400 + 59)), "1d");
        assert_eq!(duration_in(Locale::Ko, d(86_400)), "1일");
        assert_eq!(duration_in(Locale::Ko, d(2 * 3600 + 60)), "2시간 1분");
    }
}
