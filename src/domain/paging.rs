//! Paging: who is paged for an incident, and when each level of an unanswered page is due.
//! Pure: the server, `firebell simulate` and the tests share it.
//!
//! The first page of an incident (its services' on-call, when it is declared at or raised
//! into a paging severity) starts the climb: level k of `paging.escalate_to` is paged at page
//! time + k × `ack_within`, and the announcements channel is told at page time + (levels + 1)
//! × `ack_within`. Only an Acknowledge or the resolution stops it. Each level's instant is
//! derived from the stored page time, so a restart neither loses nor repeats one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentId, ServiceName, SeverityName};
use crate::domain::oncall::{Override, on_call};
use crate::domain::policy::Policy;
use crate::domain::reminders::plus;

/// Why someone was paged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageReason {
    /// The on-call of an affected service, at declaration or when raised into paging.
    OnCall,
    /// A level of `paging.escalate_to`, because nobody acknowledged in time.
    Escalation,
    /// `/incident page @user`.
    Manual,
}

impl PageReason {
    /// The stored name (`on_call`…).
    pub fn as_str(self) -> &'static str {
        match self {
            PageReason::OnCall => "on_call",
            PageReason::Escalation => "escalation",
            PageReason::Manual => "manual",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<PageReason> {
        match text {
            "on_call" => Some(PageReason::OnCall),
            "escalation" => Some(PageReason::Escalation),
            "manual" => Some(PageReason::Manual),
            _ => None,
        }
    }
}

/// One page sent (or on its way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub id: i64,
    pub incident_id: IncidentId,
    pub user: UserId,
    pub reason: PageReason,
    pub level: u32,
    /// Who paged by hand (`page @user`); `None` for the bot's own pages.
    pub paged_by: Option<UserId>,
    pub paged_at: DateTime<Utc>,
    /// The direct message's channel and ts, once it was sent.
    pub message: Option<(String, String)>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// The on-call of one affected service, at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceOnCall {
    pub service: ServiceName,
    pub schedule: String,
    pub user: UserId,
}

/// The current on-call of each of `services` that names a schedule, given each schedule's
/// overrides (by schedule name); a person on call for two of them appears once, with the
/// first.
pub fn on_call_for(
    policy: &Policy,
    overrides: &BTreeMap<String, Vec<Override>>,
    services: &[ServiceName],
    at: DateTime<Utc>,
) -> Vec<ServiceOnCall> {
    let mut found: Vec<ServiceOnCall> = Vec::new();
    for name in services {
        let Some(schedule_name) = policy.service(name.as_str()).and_then(|s| s.oncall.as_deref()) else { continue };
        let Some(schedule) = policy.schedules.iter().find(|s| s.name == schedule_name) else { continue };
        let none = Vec::new();
        let overrides = overrides.get(&schedule.name).unwrap_or(&none);
        let Some(current) = on_call(schedule, overrides, policy.timezone, at) else { continue };
        if !found.iter().any(|f| f.user == current.user) {
            found.push(ServiceOnCall { service: name.clone(), schedule: schedule.name.clone(), user: current.user });
        }
    }
    found
}

/// The schedules `services` name, for reading their overrides before [`on_call_for`].
pub fn schedules_of(policy: &Policy, services: &[ServiceName]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in services {
        if let Some(schedule) = policy.service(name.as_str()).and_then(|s| s.oncall.clone())
            && !names.contains(&schedule)
        {
            names.push(schedule);
        }
    }
    names
}

/// What one level of the climb does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Page this person (level k of `escalate_to`, 1-based).
    Page { level: u32, user: UserId },
    /// Nobody answered any level: tell the announcements channel, once.
    Exhausted { levels: u32 },
}

/// The step at `level` (1-based; the on-call page is level 0), or `None` past the last.
pub fn step_at(policy: &Policy, level: u32) -> Option<Step> {
    let levels = u32::try_from(policy.paging.escalate_to.len()).unwrap_or(u32::MAX);
    if level == 0 || level > levels.saturating_add(1) {
        return None;
    }
    match policy.paging.escalate_to.get(usize::try_from(level - 1).unwrap_or(usize::MAX)) {
        Some(user) => Some(Step::Page { level, user: user.clone() }),
        None => Some(Step::Exhausted { levels }),
    }
}

/// When `level` is due for a climb that started (the first page) at `paged_at`.
pub fn due_at(policy: &Policy, paged_at: DateTime<Utc>, level: u32) -> DateTime<Utc> {
    plus(paged_at, policy.paging.ack_within.saturating_mul(level))
}

/// The level after `level` and when it is due, or `None` once the announcements were told.
pub fn next_after(policy: &Policy, paged_at: DateTime<Utc>, level: u32) -> Option<(u32, DateTime<Utc>)> {
    let next = level.saturating_add(1);
    step_at(policy, next).map(|_| (next, due_at(policy, paged_at, next)))
}

/// Where `severity` stands in the policy (0: the most severe); the external pagers map
/// their severities and priorities from it.
pub fn severity_rank(policy: &Policy, severity: &SeverityName) -> Option<usize> {
    policy.severities.iter().position(|s| s.name.as_str().eq_ignore_ascii_case(severity.as_str()))
}

/// An external pager firebell can also alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pager {
    PagerDuty,
    Opsgenie,
}

impl Pager {
    /// The name in lanes, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Pager::PagerDuty => "pagerduty",
            Pager::Opsgenie => "opsgenie",
        }
    }

    /// The pagers the policy turns on.
    pub fn enabled(policy: &Policy) -> Vec<Pager> {
        let mut pagers = Vec::new();
        if policy.paging.pagerduty {
            pagers.push(Pager::PagerDuty);
        }
        if policy.paging.opsgenie {
            pagers.push(Pager::Opsgenie);
        }
        pagers
    }

    /// The pagers an incident is paged through outside Slack: those the policy turns on, and
    /// none for a drill — practice never wakes anyone through PagerDuty or Opsgenie (its pages
    /// stay direct messages in Slack, marked as a drill).
    pub fn for_incident(policy: &Policy, incident: &Incident) -> Vec<Pager> {
        if incident.drill { Vec::new() } else { Pager::enabled(policy) }
    }
}

/// What happens to an incident's one external alert: triggered by the first page,
/// acknowledged by the first Acknowledge, resolved with the incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternalAction {
    Trigger,
    Acknowledge,
    Resolve,
}

impl ExternalAction {
    /// The name in dedupe keys and logs (PagerDuty's `event_action` too).
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalAction::Trigger => "trigger",
            ExternalAction::Acknowledge => "acknowledge",
            ExternalAction::Resolve => "resolve",
        }
    }
}

/// The external alert's key for an incident (PagerDuty's `dedup_key`, Opsgenie's `alias`):
/// one per incident, the same on every retry, and not reused by an incident that gets the
/// same number in another database (the declaration instant is part of it).
pub fn external_key(incident_id: i64, declared_at: DateTime<Utc>) -> String {
    format!("firebell-{incident_id}-{}", declared_at.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::config::policy::builtin;
    use crate::domain::oncall::Schedule;
    use crate::domain::policy::Service;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 10, minute, 0).unwrap()
    }

    fn policy(escalate_to: &[&str]) -> Policy {
        let mut policy = builtin();
        policy.paging.ack_within = Duration::from_secs(5 * 60);
        policy.paging.escalate_to = escalate_to.iter().map(|u| user(u)).collect();
        policy.schedules = vec![Schedule {
            name: "payments".into(),
            members: vec![user("U0A"), user("U0B")],
            shift: Duration::from_secs(7 * 24 * 3600),
            start: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(10, 0, 0).unwrap(),
        }];
        let service = |name: &str, oncall: Option<&str>| Service {
            name: ServiceName(name.into()),
            team_channel: None,
            responders: Vec::new(),
            depends_on: Vec::new(),
            oncall: oncall.map(str::to_owned),
        };
        policy.services =
            vec![service("payments", Some("payments")), service("ledger", Some("payments")), service("search", None)];
        policy
    }

    #[test]
    fn two_levels_then_the_announcements_each_one_ack_within_apart() {
        let policy = policy(&["U0MGR", "U0DIR"]);
        assert_eq!(step_at(&policy, 0), None, "level 0 is the on-call page itself");
        assert_eq!(step_at(&policy, 1), Some(Step::Page { level: 1, user: user("U0MGR") }));
        assert_eq!(step_at(&policy, 2), Some(Step::Page { level: 2, user: user("U0DIR") }));
        assert_eq!(step_at(&policy, 3), Some(Step::Exhausted { levels: 2 }));
        assert_eq!(step_at(&policy, 4), None);
        assert_eq!(next_after(&policy, at(0), 0), Some((1, at(5))));
        assert_eq!(next_after(&policy, at(0), 1), Some((2, at(10))));
        assert_eq!(next_after(&policy, at(0), 2), Some((3, at(15))));
        assert_eq!(next_after(&policy, at(0), 3), None, "the announcements are told once");
    }

    #[test]
    fn without_levels_the_announcements_are_told_after_one_ack_within() {
        let policy = policy(&[]);
        assert_eq!(next_after(&policy, at(0), 0), Some((1, at(5))));
        assert_eq!(step_at(&policy, 1), Some(Step::Exhausted { levels: 0 }));
        assert_eq!(next_after(&policy, at(0), 1), None);
    }

    #[test]
    fn each_affected_service_pages_its_on_call_once_per_person() {
        let policy = policy(&[]);
        let services = [ServiceName("payments".into()), ServiceName("ledger".into()), ServiceName("search".into())];
        let found = on_call_for(&policy, &BTreeMap::new(), &services, at(0));
        assert_eq!(found.len(), 1, "payments and ledger share a schedule; search has none: {found:?}");
        assert_eq!(found[0].user, user("U0A"));
        assert_eq!(found[0].service.as_str(), "payments");
        assert_eq!(schedules_of(&policy, &services), vec!["payments".to_owned()]);
    }

    #[test]
    fn an_override_is_who_gets_paged() {
        let policy = policy(&[]);
        let overrides =
            BTreeMap::from([("payments".to_owned(), vec![Override { user: user("U0C"), from: at(0), until: at(30) }])]);
        let found = on_call_for(&policy, &overrides, &[ServiceName("payments".into())], at(10));
        assert_eq!(found[0].user, user("U0C"));
    }

    #[test]
    fn a_drill_is_paged_through_no_external_pager_even_when_both_are_on() {
        let mut policy = policy(&[]);
        policy.paging.pagerduty = true;
        policy.paging.opsgenie = true;
        let mut incident = crate::render::api_test_incident(at(0));
        assert_eq!(Pager::for_incident(&policy, &incident), [Pager::PagerDuty, Pager::Opsgenie]);
        incident.drill = true;
        assert!(Pager::for_incident(&policy, &incident).is_empty());
    }

    #[test]
    fn ranks_follow_the_policy_order_whatever_the_case() {
        let policy = builtin();
        let name = |n: &str| SeverityName(n.into());
        assert_eq!(severity_rank(&policy, &name("SEV1")), Some(0));
        assert_eq!(severity_rank(&policy, &name("sev2")), Some(1));
        assert_eq!(severity_rank(&policy, &name("SEV4")), Some(3));
        assert_eq!(severity_rank(&policy, &name("SEV9")), None);
    }

    #[test]
    fn reasons_read_back_as_stored() {
        for reason in [PageReason::OnCall, PageReason::Escalation, PageReason::Manual] {
            assert_eq!(PageReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(PageReason::parse("other"), None);
    }

    #[test]
    fn the_external_key_is_stable_and_differs_between_incidents() {
        assert_eq!(external_key(4, at(0)), external_key(4, at(0)));
        assert_ne!(external_key(4, at(0)), external_key(5, at(0)));
        assert_ne!(external_key(4, at(0)), external_key(4, at(1)));
    }
}
