//! The reminder schedule: when an incident is due a reminder, a nudge or an escalation,
//! computed from stored instants. Pure: the server and `firebell simulate` share it.
//!
//! The next reminder comes `update_every` after the last status update or the last reminder,
//! whichever is later — so after a long downtime it fires once, not once per missed period.
//! Each unanswered reminder counts; reaching `escalate_after` escalates once per silence, and
//! the next status update ends the silence.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::incident::{IncidentStatus, SeverityName};
use crate::domain::lifecycle::Change;
use crate::domain::policy::Policy;

/// An incident's reminder clock, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timers {
    /// When the next update reminder is due; `None` while resolved or closed.
    pub reminder_due_at: Option<DateTime<Utc>>,
    /// Reminders sent since the last status update (a snooze answers them).
    pub unanswered: u32,
    /// Whether this silence has been escalated already.
    pub escalated: bool,
    /// When to nudge for a missing lead; `None` once there is one or the nudge went out.
    pub lead_nudge_due_at: Option<DateTime<Utc>>,
    /// When to nudge for a missing retrospective; set at resolve for the severities that need one.
    pub retro_nudge_due_at: Option<DateTime<Utc>>,
}

/// `at + span`, saturating instead of overflowing.
pub fn plus(at: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(span).ok().and_then(|d| at.checked_add_signed(d)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The severity's update cadence (an unknown severity falls back to an hour).
pub fn update_every(policy: &Policy, severity: &SeverityName) -> Duration {
    policy.severity(severity.as_str()).map_or(Duration::from_secs(3600), |s| s.update_every)
}

/// The timers of a newly declared incident.
pub fn declared(policy: &Policy, severity: &SeverityName, declared_at: DateTime<Utc>) -> Timers {
    Timers {
        reminder_due_at: Some(plus(declared_at, update_every(policy, severity))),
        unanswered: 0,
        escalated: false,
        lead_nudge_due_at: Some(plus(declared_at, policy.reminders.lead_within)),
        retro_nudge_due_at: None,
    }
}

/// The timers after a lifecycle change to an incident now at `status` and `severity`.
pub fn after_change(
    timers: &Timers,
    change: &Change,
    status: IncidentStatus,
    severity: &SeverityName,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Timers {
    let mut next = timers.clone();
    if change.is_status_update() {
        next.reminder_due_at = Some(plus(now, update_every(policy, severity)));
        next.unanswered = 0;
        next.escalated = false;
    }
    match change {
        Change::RoleAssigned { role, .. } if role.as_str() == "lead" => next.lead_nudge_due_at = None,
        Change::Resolved { .. } => {
            next.reminder_due_at = None;
            next.lead_nudge_due_at = None;
            let needs_retro = policy.retro.required_for.contains(severity);
            next.retro_nudge_due_at = needs_retro.then(|| plus(now, policy.reminders.retro_within));
        }
        Change::Reopened { .. } => next.retro_nudge_due_at = None,
        _ => {}
    }
    if !status.is_open() {
        next.reminder_due_at = None;
    }
    next
}

/// What sending a due reminder does to the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub timers: Timers,
    /// Which reminder of this silence it is (1 = the first).
    pub number: u32,
    /// Whether this reminder also escalates to the widest audience.
    pub escalate: bool,
}

/// Sends the reminder due now: the next one comes a full `every` later, whatever was missed.
pub fn fire_reminder(timers: &Timers, every: Duration, escalate_after: u32, now: DateTime<Utc>) -> Fired {
    let number = timers.unanswered.saturating_add(1);
    let escalate = !timers.escalated && number >= escalate_after.max(1);
    let next = Timers {
        reminder_due_at: Some(plus(now, every)),
        unanswered: number,
        escalated: timers.escalated || escalate,
        ..timers.clone()
    };
    Fired { timers: next, number, escalate }
}

/// A snooze: the reminder is answered and the next one waits `delay` from now.
pub fn snooze(timers: &Timers, delay: Duration, now: DateTime<Utc>) -> Timers {
    Timers { reminder_due_at: timers.reminder_due_at.map(|_| plus(now, delay)), unanswered: 0, ..timers.clone() }
}

/// What the digest schedule asks for at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestDue {
    /// Nothing is due.
    Nothing,
    /// The schedule has never run here (a new install): its clock starts at `now`, and the
    /// first digest is the next scheduled one — an instant that passed before firebell ran
    /// was not missed, and posting it at once would be a surprise in the announcements channel.
    Start(DateTime<Utc>),
    /// The digest of this scheduled instant is due: the latest one after the last sent, if it
    /// passed within `grace` (a digest missed while firebell was down, but not an old one).
    Send(DateTime<Utc>),
}

/// The digest due at `now`, given when the schedule last fired (`None`: never).
pub fn digest_due(
    schedule: &cron::Schedule,
    timezone: chrono_tz::Tz,
    last: Option<DateTime<Utc>>,
    grace: Duration,
    now: DateTime<Utc>,
) -> DigestDue {
    let Some(last) = last else { return DigestDue::Start(now) };
    let grace_start = now - chrono::Duration::from_std(grace).unwrap_or_default();
    let from = last.max(grace_start).with_timezone(&timezone);
    match schedule.after(&from).map(|t| t.with_timezone(&Utc)).take_while(|t| *t <= now).last() {
        Some(due) => DigestDue::Send(due),
        None => DigestDue::Nothing,
    }
}

#[cfg(test)]
#[path = "reminders_tests.rs"]
mod tests;
