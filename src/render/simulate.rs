//! The printed dry run of `firebell simulate` (for operators, in English).

use crate::domain::policy::Policy;
use crate::domain::simulate::{Event, Firing, Scenario};

use super::lifecycle::duration;

fn silence(d: std::time::Duration) -> String {
    duration(chrono::Duration::from_std(d).unwrap_or_default())
}

/// One line per firing, in the policy's time zone.
pub fn run(policy: &Policy, scenario: &Scenario, firings: &[Firing]) -> String {
    let level = policy.severity(scenario.severity.as_str());
    let mut lines = vec![format!(
        "{} ({}) for {}, {}; update every {}, escalate after {} unanswered reminder(s); times in {}",
        scenario.severity,
        level.map_or("unknown severity", |s| s.label.as_str()),
        silence(scenario.duration),
        scenario.updates_every.map_or("no updates posted".to_owned(), |d| format!("an update every {}", silence(d))),
        level.map_or("?".to_owned(), |s| silence(s.update_every)),
        policy.reminders.escalate_after,
        policy.timezone,
    )];
    for firing in firings {
        let when = firing.at.with_timezone(&policy.timezone).format("%Y-%m-%d %H:%M:%S %Z");
        let what = match &firing.event {
            Event::Declared => "declared".to_owned(),
            Event::Update => "update posted (resets the reminder clock)".to_owned(),
            Event::Reminder { number, silent_for } => {
                format!("reminder #{number} in the incident channel (no update for {})", silence(*silent_for))
            }
            Event::Escalation { silent_for, broad } => format!(
                "escalation to {} (no update for {})",
                if *broad { "the announcements channel" } else { "the affected teams' channels" },
                silence(*silent_for)
            ),
            Event::LeadNudge => "lead nudge in the incident channel (no lead assigned)".to_owned(),
            Event::Digest => "digest of open incidents in the announcements channel".to_owned(),
            Event::Resolved => "resolved (reminders stop)".to_owned(),
            Event::RetroNudge => "retrospective nudge in the incident channel".to_owned(),
            Event::PageOnCall { on_call } => {
                let people: Vec<String> =
                    on_call.iter().map(|(schedule, user)| format!("{user} ({schedule})")).collect();
                let external: Vec<&str> =
                    crate::domain::paging::Pager::enabled(policy).iter().map(|p| p.as_str()).collect();
                let external = if external.is_empty() {
                    String::new()
                } else {
                    format!("; {} alert triggered", external.join(" and "))
                };
                format!(
                    "page by direct message to the on-call of the affected services' schedules: {}{external} (acknowledge within {})",
                    people.join(", "),
                    silence(policy.paging.ack_within)
                )
            }
            Event::PageEscalation { level, user } => {
                format!("no acknowledgement: page escalation level {level}, {user}, said in the incident channel")
            }
            Event::PagesUnanswered { levels } => {
                format!("no acknowledgement after {levels} escalation level(s): the announcements channel is told")
            }
            Event::ReportDue { name } => {
                format!("report {name} due: nudge in the incident channel to the lead unless it is published")
            }
        };
        lines.push(format!("{when}  {what}"));
    }
    lines.join("\n")
}
