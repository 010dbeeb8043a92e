//! The reminder schedule: exact times, one reminder per due instant, none after resolve.

use chrono::TimeZone;

use super::*;
use crate::config::policy::testing::contract_policy;
use crate::domain::ids::UserId;
use crate::domain::incident::RoleName;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

fn sev1() -> SeverityName {
    SeverityName("SEV1".to_owned())
}

const EVERY: i64 = 15 * 60;

#[test]
fn a_declared_incident_is_due_a_reminder_after_its_cadence_and_a_lead_nudge() {
    let timers = declared(&contract_policy(), &sev1(), at(0));
    assert_eq!(timers.reminder_due_at, Some(at(EVERY)));
    assert_eq!(timers.lead_nudge_due_at, Some(at(600)));
    assert_eq!(timers.retro_nudge_due_at, None);
}

#[test]
fn a_late_reminder_fires_once_and_the_next_waits_a_full_cadence() {
    let timers = declared(&contract_policy(), &sev1(), at(0));
    // Down for three cadences: on return, one reminder, the next one cadence later.
    let fired = fire_reminder(&timers, Duration::from_secs(EVERY as u64), 2, at(3 * EVERY + 7));
    assert_eq!(fired.number, 1);
    assert_eq!(fired.timers.reminder_due_at, Some(at(4 * EVERY + 7)));
}

#[test]
fn the_second_unanswered_reminder_escalates_once_per_silence() {
    let every = Duration::from_secs(EVERY as u64);
    let first = fire_reminder(&declared(&contract_policy(), &sev1(), at(0)), every, 2, at(EVERY));
    assert!(!first.escalate);
    let second = fire_reminder(&first.timers, every, 2, at(2 * EVERY));
    assert!(second.escalate && second.timers.escalated);
    let third = fire_reminder(&second.timers, every, 2, at(3 * EVERY));
    assert!(!third.escalate, "once per silence");
    let update = Change::Updated { text: "x".into(), status: None };
    let answered = after_change(
        &third.timers,
        &update,
        IncidentStatus::Investigating,
        &sev1(),
        &contract_policy(),
        at(3 * EVERY + 5),
    );
    assert_eq!((answered.unanswered, answered.escalated), (0, false), "an update ends the silence");
    assert_eq!(answered.reminder_due_at, Some(at(4 * EVERY + 5)));
}

#[test]
fn a_snooze_answers_the_reminder_and_delays_the_next() {
    let every = Duration::from_secs(EVERY as u64);
    let fired = fire_reminder(&declared(&contract_policy(), &sev1(), at(0)), every, 2, at(EVERY));
    let snoozed = snooze(&fired.timers, Duration::from_secs(3600), at(EVERY + 10));
    assert_eq!(snoozed.reminder_due_at, Some(at(EVERY + 10 + 3600)));
    assert_eq!(snoozed.unanswered, 0);
}

#[test]
fn resolving_stops_reminders_and_starts_the_retro_clock_for_required_severities() {
    let resolved = Change::Resolved { summary: None, duration: chrono::Duration::zero() };
    let timers = after_change(
        &declared(&contract_policy(), &sev1(), at(0)),
        &resolved,
        IncidentStatus::Resolved,
        &sev1(),
        &contract_policy(),
        at(100),
    );
    assert_eq!((timers.reminder_due_at, timers.lead_nudge_due_at), (None, None));
    assert_eq!(timers.retro_nudge_due_at, Some(at(100 + 2 * 86_400)));
    let sev4 = SeverityName("SEV4".to_owned());
    let minor = after_change(
        &declared(&contract_policy(), &sev4, at(0)),
        &resolved,
        IncidentStatus::Resolved,
        &sev4,
        &contract_policy(),
        at(100),
    );
    assert_eq!(minor.retro_nudge_due_at, None, "SEV4 needs no retrospective");
    let reopened = Change::Reopened { to: IncidentStatus::Identified };
    let again = after_change(&timers, &reopened, IncidentStatus::Identified, &sev1(), &contract_policy(), at(200));
    assert_eq!(again.reminder_due_at, Some(at(200 + EVERY)), "reminders restart on reopen");
    assert_eq!(again.retro_nudge_due_at, None);
}

#[test]
fn assigning_a_lead_cancels_the_lead_nudge() {
    let change = Change::RoleAssigned { role: RoleName("lead".into()), user: UserId::parse("U1").unwrap() };
    let timers = after_change(
        &declared(&contract_policy(), &sev1(), at(0)),
        &change,
        IncidentStatus::Investigating,
        &sev1(),
        &contract_policy(),
        at(5),
    );
    assert_eq!(timers.lead_nudge_due_at, None);
    assert_eq!(timers.reminder_due_at, Some(at(EVERY)), "a role is not a status update");
}

/// Drives the schedule through thousands of random updates, snoozes, ticks and restarts
/// (which keep only the stored timers) and checks every reminder against the policy.
#[test]
fn any_sequence_of_updates_snoozes_and_restarts_gives_reminders_exactly_on_time() {
    let policy = contract_policy();
    let every = Duration::from_secs(EVERY as u64);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut random = |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for _run in 0..200 {
        let mut now = at(0);
        let mut stored = declared(&policy, &sev1(), now);
        let mut open = true;
        let mut last_answer = now; // the last update or snooze deadline basis
        let mut last_reminder: Option<DateTime<Utc>> = None;
        let mut snoozed_until: Option<DateTime<Utc>> = None;
        for _step in 0..60 {
            now += chrono::Duration::seconds(i64::try_from(random(20 * 60)).unwrap() + 1);
            // A tick (after any restart: only `stored` survives) sends what is due.
            if let Some(due) = stored.reminder_due_at.filter(|due| *due <= now) {
                assert!(open, "no reminder after resolve");
                let earliest = snoozed_until.unwrap_or_else(|| {
                    last_reminder.map_or(last_answer, |r| r.max(last_answer)) + chrono::Duration::seconds(EVERY)
                });
                assert!(due >= earliest, "never early: due {due}, earliest {earliest}");
                let fired = fire_reminder(&stored, every, policy.reminders.escalate_after, now);
                assert_ne!(Some(now), last_reminder, "never twice at one instant");
                last_reminder = Some(now);
                snoozed_until = None;
                stored = fired.timers;
                assert_eq!(stored.reminder_due_at, Some(now + chrono::Duration::seconds(EVERY)));
            }
            match random(10) {
                0..=2 if open => {
                    let change = Change::Updated { text: String::new(), status: None };
                    stored = after_change(&stored, &change, IncidentStatus::Investigating, &sev1(), &policy, now);
                    last_answer = now;
                    last_reminder = None;
                    snoozed_until = None;
                }
                3 if open && stored.unanswered > 0 => {
                    stored = snooze(&stored, Duration::from_secs(600), now);
                    snoozed_until = Some(now + chrono::Duration::seconds(600));
                }
                4 if open => {
                    let change = Change::Resolved { summary: None, duration: chrono::Duration::zero() };
                    stored = after_change(&stored, &change, IncidentStatus::Resolved, &sev1(), &policy, now);
                    open = false;
                }
                5 if !open => {
                    let change = Change::Reopened { to: IncidentStatus::Investigating };
                    stored = after_change(&stored, &change, IncidentStatus::Investigating, &sev1(), &policy, now);
                    open = true;
                    last_answer = now;
                    last_reminder = None;
                    snoozed_until = None;
                }
                _ => {}
            }
            if !open {
                assert_eq!(stored.reminder_due_at, None);
            }
        }
    }
}

/// 09:00 on weekdays in Seoul, as the contract's policy says (00:00 UTC).
fn weekday_digest() -> cron::Schedule {
    "0 0 9 * * Mon-Fri".parse().unwrap()
}

const GRACE: Duration = Duration::from_secs(3600);

#[test]
fn a_new_install_starts_the_digest_clock_instead_of_posting_the_digest_that_just_passed() {
    // Thursday 2026-11-26, 09:10 in Seoul: the 09:00 digest passed before firebell ever ran.
    let now = at(10 * 60);
    assert_eq!(digest_due(&weekday_digest(), chrono_tz::Asia::Seoul, None, GRACE, now), DigestDue::Start(now));
}

#[test]
fn the_digest_is_due_at_its_instant_and_not_again() {
    let started = at(-3600);
    let due = at(0);
    let tz = chrono_tz::Asia::Seoul;
    assert_eq!(digest_due(&weekday_digest(), tz, Some(started), GRACE, at(-1)), DigestDue::Nothing);
    assert_eq!(digest_due(&weekday_digest(), tz, Some(started), GRACE, due), DigestDue::Send(due));
    assert_eq!(digest_due(&weekday_digest(), tz, Some(started), GRACE, at(5)), DigestDue::Send(due));
    assert_eq!(digest_due(&weekday_digest(), tz, Some(due), GRACE, at(5)), DigestDue::Nothing);
}

#[test]
fn a_digest_missed_while_down_is_sent_within_the_grace_and_not_after() {
    let tz = chrono_tz::Asia::Seoul;
    let before = at(-2 * 86_400);
    // Down over the 09:00 instant, back at 09:30: sent. Back at 10:30: too old to be news.
    assert_eq!(digest_due(&weekday_digest(), tz, Some(before), GRACE, at(1800)), DigestDue::Send(at(0)));
    assert_eq!(digest_due(&weekday_digest(), tz, Some(before), GRACE, at(5400)), DigestDue::Nothing);
}

#[test]
fn after_a_long_downtime_only_the_latest_missed_digest_is_sent() {
    let tz = chrono_tz::Asia::Seoul;
    let every_minute: cron::Schedule = "0 * * * * *".parse().unwrap();
    let now = at(10 * 60 + 30);
    assert_eq!(digest_due(&every_minute, tz, Some(at(0)), GRACE, now), DigestDue::Send(at(10 * 60)));
}
