//! A dry run of the policy: everything an incident of some severity and duration would fire,
//! computed with the same schedule functions the server uses.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::incident::{IncidentStatus, SeverityName};
use crate::domain::lifecycle::Change;
use crate::domain::policy::{Policy, Share};
use crate::domain::reminders::{self, Timers, plus};

/// The incident to imagine.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub severity: SeverityName,
    pub start: DateTime<Utc>,
    /// Time from declaration to resolution.
    pub duration: Duration,
    /// Someone posts an update this often; `None` for an incident nobody updates.
    pub updates_every: Option<Duration>,
}

/// Something that happens in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Declared,
    /// A status update the scenario posts (shown for context).
    Update,
    Reminder {
        number: u32,
        silent_for: Duration,
    },
    Escalation {
        silent_for: Duration,
        broad: bool,
    },
    LeadNudge,
    Digest,
    Resolved,
    RetroNudge,
    /// The on-call of each schedule paged (as the schedules say, before any override), and
    /// the external pagers triggered.
    PageOnCall {
        on_call: Vec<(String, crate::domain::ids::UserId)>,
    },
    /// Nobody acknowledged: the next level of `paging.escalate_to` is paged.
    PageEscalation {
        level: u32,
        user: crate::domain::ids::UserId,
    },
    /// Nobody acknowledged any level: the announcements channel is told.
    PagesUnanswered {
        levels: u32,
    },
    /// Report `name` is due and (in the dry run) not published: its nudge.
    ReportDue {
        name: String,
    },
}

/// One line of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    pub at: DateTime<Utc>,
    pub event: Event,
}

fn silence(since: DateTime<Utc>, at: DateTime<Utc>) -> Duration {
    (at - since).to_std().unwrap_or_default()
}

/// Every reminder, escalation, nudge and digest, in time order.
pub fn simulate(policy: &Policy, scenario: &Scenario) -> Vec<Firing> {
    let start = scenario.start;
    let end = plus(start, scenario.duration);
    let every = reminders::update_every(policy, &scenario.severity);
    let mut out = vec![Firing { at: start, event: Event::Declared }];
    let mut timers: Timers = reminders::declared(policy, &scenario.severity, start);
    let mut last_update = start;
    let mut next_update = scenario.updates_every.filter(|d| !d.is_zero()).map(|d| plus(start, d));
    let broad = policy.severity(scenario.severity.as_str()).is_some_and(|s| s.share == Share::Broad);
    loop {
        let reminder = timers.reminder_due_at.filter(|due| *due < end);
        let update = next_update.filter(|at| *at < end);
        match (reminder, update) {
            (Some(due), Some(at)) if at <= due => {
                post_update(&mut out, &mut timers, &mut last_update, policy, scenario, at);
                next_update = scenario.updates_every.map(|d| plus(at, d));
            }
            (None, Some(at)) => {
                post_update(&mut out, &mut timers, &mut last_update, policy, scenario, at);
                next_update = scenario.updates_every.map(|d| plus(at, d));
            }
            (Some(due), _) => {
                let fired = reminders::fire_reminder(&timers, every, policy.reminders.escalate_after, due);
                out.push(Firing {
                    at: due,
                    event: Event::Reminder { number: fired.number, silent_for: silence(last_update, due) },
                });
                if fired.escalate {
                    out.push(Firing {
                        at: due,
                        event: Event::Escalation { silent_for: silence(last_update, due), broad },
                    });
                }
                timers = fired.timers;
            }
            (None, None) => break,
        }
    }
    if let Some(at) = timers.lead_nudge_due_at.filter(|at| *at < end) {
        out.push(Firing { at, event: Event::LeadNudge });
    }
    if let Some(schedule) = &policy.reminders.digest {
        let local_start = start.with_timezone(&policy.timezone);
        for at in schedule.after(&local_start).map(|t| t.with_timezone(&Utc)).take_while(|t| *t < end).take(1000) {
            out.push(Firing { at, event: Event::Digest });
        }
    }
    paging(policy, scenario, end, &mut out);
    out.push(Firing { at: end, event: Event::Resolved });
    let resolved = Change::Resolved { summary: None, duration: chrono::Duration::zero() };
    let after = reminders::after_change(&timers, &resolved, IncidentStatus::Resolved, &scenario.severity, policy, end);
    if let Some(at) = after.retro_nudge_due_at {
        out.push(Firing { at, event: Event::RetroNudge });
    }
    // A report's deadline counts whether or not the incident is still open (only closing it
    // cancels the nudge, and the dry run never closes it).
    for report in &policy.reports {
        if let Some(at) = report.due_at(start, Some(end)) {
            out.push(Firing { at, event: Event::ReportDue { name: report.name.clone() } });
        }
    }
    out.sort_by_key(|f| f.at);
    out
}

/// The pages of an incident nobody acknowledges: the on-call at declaration (when the
/// severity pages and a schedule has someone on call), then one level per `ack_within`.
fn paging(policy: &Policy, scenario: &Scenario, end: DateTime<Utc>, out: &mut Vec<Firing>) {
    use crate::domain::paging::{self, Step};
    if !policy.pages(&scenario.severity) {
        return;
    }
    let start = scenario.start;
    let on_call: Vec<_> = policy
        .schedules
        .iter()
        .filter_map(|s| {
            crate::domain::oncall::on_call(s, &[], policy.timezone, start).map(|c| (s.name.clone(), c.user))
        })
        .collect();
    if on_call.is_empty() {
        return;
    }
    out.push(Firing { at: start, event: Event::PageOnCall { on_call } });
    let mut level = 0;
    while let Some((next, due)) = paging::next_after(policy, start, level) {
        if due >= end {
            break;
        }
        match paging::step_at(policy, next) {
            Some(Step::Page { level, user }) => {
                out.push(Firing { at: due, event: Event::PageEscalation { level, user } })
            }
            Some(Step::Exhausted { levels }) => out.push(Firing { at: due, event: Event::PagesUnanswered { levels } }),
            None => break,
        }
        level = next;
    }
}

fn post_update(
    out: &mut Vec<Firing>,
    timers: &mut Timers,
    last_update: &mut DateTime<Utc>,
    policy: &Policy,
    scenario: &Scenario,
    at: DateTime<Utc>,
) {
    out.push(Firing { at, event: Event::Update });
    let change = Change::Updated { text: String::new(), status: None };
    *timers = reminders::after_change(timers, &change, IncidentStatus::Investigating, &scenario.severity, policy, at);
    *last_update = at;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::policy::testing::contract_policy;

    fn sev(name: &str) -> SeverityName {
        SeverityName(name.to_owned())
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    #[test]
    fn report_deadlines_count_from_the_declaration_or_the_resolution() {
        let mut policy = contract_policy();
        let report = |name: &str, due: u64, due_after| crate::domain::policy::ReportSpec {
            name: name.to_owned(),
            title: None,
            template: "builtin:ko-report".to_owned(),
            due: Some(Duration::from_secs(due)),
            due_after,
            line: 1,
            source: None,
        };
        policy.reports = vec![
            report("initial", 30 * 60, crate::domain::policy::DueAfter::Declared),
            report("written", 24 * 3600, crate::domain::policy::DueAfter::Resolved),
        ];
        let scenario = Scenario {
            severity: sev("SEV3"),
            start: at(14, 0),
            duration: Duration::from_secs(3600),
            updates_every: Some(Duration::from_secs(600)),
        };
        let due: Vec<(DateTime<Utc>, String)> = simulate(&policy, &scenario)
            .into_iter()
            .filter_map(|f| match f.event {
                Event::ReportDue { name } => Some((f.at, name)),
                _ => None,
            })
            .collect();
        assert_eq!(
            due,
            [(at(14, 30), "initial".to_owned()), (at(15, 0) + chrono::Duration::days(1), "written".to_owned())]
        );
    }

    #[test]
    fn a_sev2_nobody_updates_for_three_hours() {
        // Contract policy: SEV2 every 30m, escalate after 2, lead within 10m, digest 09:00 Seoul
        // on weekdays (= 00:00 UTC), retro required for SEV2 within 2d.
        let scenario = Scenario {
            severity: sev("SEV2"),
            start: at(14, 0),
            duration: Duration::from_secs(3 * 3600),
            updates_every: None,
        };
        let run = simulate(&contract_policy(), &scenario);
        let minutes = |d: Duration| d.as_secs() / 60;
        let described: Vec<String> = run
            .iter()
            .map(|f| {
                let when = f.at.format("%H:%M");
                match &f.event {
                    Event::Reminder { number, silent_for } => {
                        format!("{when} reminder {number} ({}m)", minutes(*silent_for))
                    }
                    Event::Escalation { silent_for, .. } => format!("{when} escalation ({}m)", minutes(*silent_for)),
                    other => format!("{when} {other:?}"),
                }
            })
            .collect();
        let expected = [
            "14:00 Declared",
            "14:10 LeadNudge",
            "14:30 reminder 1 (30m)",
            "15:00 reminder 2 (60m)",
            "15:00 escalation (60m)",
            "15:30 reminder 3 (90m)",
            "16:00 reminder 4 (120m)",
            "16:30 reminder 5 (150m)",
            "17:00 Resolved",
            "17:00 RetroNudge",
        ];
        assert_eq!(described, expected);
        assert_eq!(run.last().unwrap().at, at(17, 0) + chrono::Duration::days(2));
    }

    #[test]
    fn an_unacknowledged_sev1_pages_the_on_call_then_climbs_then_tells_the_announcements() {
        let mut policy = contract_policy();
        let user = |id: &str| crate::domain::ids::UserId::parse(id).unwrap();
        policy.schedules = vec![crate::domain::oncall::Schedule {
            name: "payments".into(),
            members: vec![user("U0ONCALL1"), user("U0ONCALL2")],
            shift: Duration::from_secs(7 * 24 * 3600),
            start: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(10, 0, 0).unwrap(),
        }];
        policy.paging.escalate_to = vec![user("U0MANAGER")];
        policy.paging.ack_within = Duration::from_secs(5 * 60);
        let scenario = Scenario {
            severity: sev("SEV1"),
            start: at(14, 0),
            duration: Duration::from_secs(3600),
            updates_every: None,
        };
        let pages: Vec<(String, Event)> = simulate(&policy, &scenario)
            .into_iter()
            .filter(|f| {
                matches!(
                    f.event,
                    Event::PageOnCall { .. } | Event::PageEscalation { .. } | Event::PagesUnanswered { .. }
                )
            })
            .map(|f| (f.at.format("%H:%M").to_string(), f.event))
            .collect();
        assert_eq!(
            pages,
            vec![
                ("14:00".into(), Event::PageOnCall { on_call: vec![("payments".into(), user("U0ONCALL1"))] }),
                ("14:05".into(), Event::PageEscalation { level: 1, user: user("U0MANAGER") }),
                ("14:10".into(), Event::PagesUnanswered { levels: 1 }),
            ]
        );
        let sev3 = Scenario { severity: sev("SEV3"), ..scenario };
        assert!(
            simulate(&policy, &sev3).iter().all(|f| !matches!(f.event, Event::PageOnCall { .. })),
            "SEV3 pages nobody"
        );
    }

    #[test]
    fn regular_updates_keep_reminders_away() {
        let scenario = Scenario {
            severity: sev("SEV2"),
            start: at(14, 0),
            duration: Duration::from_secs(3 * 3600),
            updates_every: Some(Duration::from_secs(20 * 60)),
        };
        let run = simulate(&contract_policy(), &scenario);
        assert!(run.iter().all(|f| !matches!(f.event, Event::Reminder { .. } | Event::Escalation { .. })), "{run:?}");
        assert_eq!(run.iter().filter(|f| f.event == Event::Update).count(), 8);
    }

    #[test]
    fn updates_slower_than_the_cadence_get_one_reminder_each_and_no_escalation() {
        let scenario = Scenario {
            severity: sev("SEV2"),
            start: at(14, 0),
            duration: Duration::from_secs(3 * 3600),
            updates_every: Some(Duration::from_secs(40 * 60)),
        };
        let run = simulate(&contract_policy(), &scenario);
        let reminders: Vec<String> = run
            .iter()
            .filter(|f| matches!(f.event, Event::Reminder { .. }))
            .map(|f| f.at.format("%H:%M").to_string())
            .collect();
        assert_eq!(reminders, ["14:30", "15:10", "15:50", "16:30"]);
        assert!(run.iter().all(|f| !matches!(f.event, Event::Escalation { .. })));
    }

    #[test]
    fn digests_follow_the_cron_schedule_in_the_policy_timezone() {
        let scenario = Scenario {
            severity: sev("SEV4"),
            start: at(23, 0),
            duration: Duration::from_secs(2 * 3600),
            updates_every: None,
        };
        let run = simulate(&contract_policy(), &scenario);
        let digests: Vec<_> = run.iter().filter(|f| f.event == Event::Digest).map(|f| f.at).collect();
        // 2026-11-26 is a Thursday: 09:00 in Seoul is 00:00 UTC.
        assert_eq!(digests, [Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap()]);
    }
}
