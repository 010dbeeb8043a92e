//! Who is on call: a schedule rotates its members through shifts of a fixed length from a
//! start, in the policy's time zone, and an override puts someone else on call for a while.
//!
//! Shifts are wall-clock in the zone: a weekly shift that starts Monday 10:00 starts Monday
//! 10:00 after a daylight-saving change too (that week is an hour shorter or longer). Who is on
//! call at an instant is a pure function of the schedule, the overrides and the instant.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::ids::UserId;

/// A rotation: `members` in turn, each for `shift`, the first from `start` (wall-clock time in
/// the policy's zone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub name: String,
    pub members: Vec<UserId>,
    pub shift: std::time::Duration,
    pub start: NaiveDateTime,
}

/// Someone on call in place of the schedule's person, from `from` until `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub user: UserId,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Who is on call at an instant, until when, and who comes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnCall {
    pub user: UserId,
    pub until: DateTime<Utc>,
    /// Who is on call from `until` (`None` when nobody would be).
    pub next: Option<UserId>,
}

impl Schedule {
    /// When shift `k` begins: the local time `start + k × shift` in `zone`. A local time that
    /// does not exist (the hour skipped when clocks go forward) begins at the first instant
    /// after the gap; one that exists twice (clocks go back) at its first occurrence.
    fn shift_start(&self, zone: Tz, k: i64) -> Option<DateTime<Utc>> {
        let shift = chrono::Duration::from_std(self.shift).ok()?;
        let local = self.start.checked_add_signed(shift.checked_mul(i32::try_from(k).ok()?)?)?;
        let resolved = match zone.from_local_datetime(&local) {
            LocalResult::Single(at) => at,
            LocalResult::Ambiguous(first, _) => first,
            // In a gap: the first local minute after it that exists.
            LocalResult::None => (1..=180).find_map(|minutes| {
                zone.from_local_datetime(&(local + chrono::Duration::minutes(minutes))).earliest()
            })?,
        };
        Some(resolved.with_timezone(&Utc))
    }

    /// The shift `at` falls in, or `None` before the first shift (or for an empty schedule).
    fn shift_at(&self, zone: Tz, at: DateTime<Utc>) -> Option<i64> {
        if self.members.is_empty() || self.shift.is_zero() {
            return None;
        }
        let first = self.shift_start(zone, 0)?;
        if at < first {
            return None;
        }
        // A guess from wall-clock time, then corrected against the shifts' real instants
        // (which a daylight-saving change moves by an hour).
        let local = at.with_timezone(&zone).naive_local();
        let elapsed = (local - self.start).num_seconds().max(0);
        let length = i64::try_from(self.shift.as_secs()).ok()?.max(1);
        let mut k = elapsed / length;
        while self.shift_start(zone, k + 1).is_some_and(|next| next <= at) {
            k += 1;
        }
        while k > 0 && self.shift_start(zone, k).is_some_and(|begins| begins > at) {
            k -= 1;
        }
        Some(k)
    }

    /// The member of shift `k`.
    fn member(&self, k: i64) -> Option<&UserId> {
        let count = i64::try_from(self.members.len()).ok()?;
        self.members.get(usize::try_from(k.rem_euclid(count)).ok()?)
    }

    /// The scheduled person at `at` and when their shift ends, ignoring overrides.
    fn scheduled(&self, zone: Tz, at: DateTime<Utc>) -> Option<(UserId, DateTime<Utc>)> {
        let k = self.shift_at(zone, at)?;
        Some((self.member(k)?.clone(), self.shift_start(zone, k + 1)?))
    }
}

/// The override in force at `at`: the one set last among those covering it.
fn override_at(overrides: &[Override], at: DateTime<Utc>) -> Option<&Override> {
    overrides.iter().rev().find(|o| o.from <= at && at < o.until)
}

/// Who is on call at `at` (an override in force, else the schedule), until when, and who is
/// next. `None` before the schedule's first shift, with no override in force.
pub fn on_call(schedule: &Schedule, overrides: &[Override], zone: Tz, at: DateTime<Utc>) -> Option<OnCall> {
    let (user, until) = who(schedule, overrides, zone, at)?;
    let next = who(schedule, overrides, zone, until).map(|(user, _)| user);
    Some(OnCall { user, until, next })
}

/// The person on call at `at` and until when they are: to the end of the override or shift,
/// or to the start of an override that begins first.
fn who(schedule: &Schedule, overrides: &[Override], zone: Tz, at: DateTime<Utc>) -> Option<(UserId, DateTime<Utc>)> {
    let (user, ends) = match override_at(overrides, at) {
        Some(o) => (o.user.clone(), o.until),
        None => schedule.scheduled(zone, at)?,
    };
    let interrupted = overrides.iter().filter(|o| o.from > at && o.from < ends).map(|o| o.from).min();
    Some((user, interrupted.unwrap_or(ends)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    /// Three members, weekly from Monday 2026-03-02 10:00 in New York, where clocks go forward
    /// on Sunday 2026-03-08 and back on Sunday 2026-11-01.
    fn weekly() -> Schedule {
        Schedule {
            name: "payments".into(),
            members: vec![user("U0ANN"), user("U0BOB"), user("U0CAT")],
            shift: std::time::Duration::from_secs(7 * 24 * 3600),
            start: NaiveDateTime::parse_from_str("2026-03-02 10:00", "%Y-%m-%d %H:%M").unwrap(),
        }
    }

    const ZONE: Tz = chrono_tz::America::New_York;

    fn local(text: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        ZONE.from_local_datetime(&naive).earliest().unwrap().with_timezone(&Utc)
    }

    fn who_at(overrides: &[Override], text: &str) -> Option<String> {
        on_call(&weekly(), overrides, ZONE, local(text)).map(|on| on.user.to_string())
    }

    #[test]
    fn members_take_their_turns_at_each_handoff() {
        assert_eq!(who_at(&[], "2026-03-02 09:59"), None, "before the first shift");
        assert_eq!(who_at(&[], "2026-03-02 10:00").as_deref(), Some("U0ANN"));
        assert_eq!(who_at(&[], "2026-03-09 09:59").as_deref(), Some("U0ANN"));
        assert_eq!(who_at(&[], "2026-03-09 10:00").as_deref(), Some("U0BOB"));
        assert_eq!(who_at(&[], "2026-03-16 10:00").as_deref(), Some("U0CAT"));
        assert_eq!(who_at(&[], "2026-03-23 10:00").as_deref(), Some("U0ANN"), "and round again");
    }

    #[test]
    fn a_handoff_stays_at_its_wall_clock_time_across_a_daylight_saving_change() {
        // Clocks went forward on 2026-03-08: the handoff is still Monday 10:00 local, which is
        // 14:00 UTC now instead of 15:00; that week was an hour shorter.
        let on = on_call(&weekly(), &[], ZONE, local("2026-03-08 12:00")).unwrap();
        assert_eq!(on.user.as_str(), "U0ANN");
        assert_eq!(on.until, local("2026-03-09 10:00"));
        assert_eq!(on.until.format("%H:%M").to_string(), "14:00");
        assert_eq!(on.next.as_ref().map(UserId::as_str), Some("U0BOB"));
        assert_eq!(
            on_call(&weekly(), &[], ZONE, local("2026-03-02 10:00")).unwrap().until - local("2026-03-02 10:00"),
            chrono::Duration::hours(7 * 24 - 1)
        );
        // Clocks go back on 2026-11-01: Monday 2026-11-02 10:00 local is 15:00 UTC.
        let after = on_call(&weekly(), &[], ZONE, local("2026-11-01 01:30")).unwrap();
        assert_eq!(after.until.format("%H:%M").to_string(), "15:00");
        // Every instant of the repeated hour is in one shift, not back and forth.
        let first = local("2026-11-01 01:10");
        let second = first + chrono::Duration::hours(1);
        assert_eq!(
            on_call(&weekly(), &[], ZONE, first).unwrap().user,
            on_call(&weekly(), &[], ZONE, second).unwrap().user
        );
    }

    #[test]
    fn a_shift_starting_in_the_skipped_hour_starts_when_the_clock_resumes() {
        let nightly = Schedule {
            shift: std::time::Duration::from_secs(24 * 3600),
            start: NaiveDateTime::parse_from_str("2026-03-01 02:30", "%Y-%m-%d %H:%M").unwrap(),
            ..weekly()
        };
        // 02:30 does not exist on 2026-03-08 in New York: that shift starts at 03:00.
        let before = local("2026-03-08 01:59");
        let on = on_call(&nightly, &[], ZONE, before).unwrap();
        assert_eq!(on.until, local("2026-03-08 03:00"));
    }

    #[test]
    fn an_override_wins_for_its_duration_then_the_schedule_resumes() {
        let cover = Override { user: user("U0DAN"), from: local("2026-03-10 09:00"), until: local("2026-03-10 18:00") };
        let overrides = [cover];
        assert_eq!(who_at(&overrides, "2026-03-10 08:59").as_deref(), Some("U0BOB"));
        let during = on_call(&weekly(), &overrides, ZONE, local("2026-03-10 12:00")).unwrap();
        assert_eq!(during.user.as_str(), "U0DAN");
        assert_eq!(during.until, local("2026-03-10 18:00"));
        assert_eq!(during.next.as_ref().map(UserId::as_str), Some("U0BOB"), "back to the schedule");
        assert_eq!(who_at(&overrides, "2026-03-10 18:00").as_deref(), Some("U0BOB"));
        // Before it: Bob is on call until the override begins, and Dan is next.
        let before = on_call(&weekly(), &overrides, ZONE, local("2026-03-10 08:00")).unwrap();
        assert_eq!(
            (before.until, before.next.as_ref().map(UserId::as_str)),
            (local("2026-03-10 09:00"), Some("U0DAN"))
        );
    }

    #[test]
    fn the_override_set_last_wins_where_two_overlap() {
        let first = Override { user: user("U0DAN"), from: local("2026-03-10 09:00"), until: local("2026-03-10 18:00") };
        let second =
            Override { user: user("U0EVE"), from: local("2026-03-10 12:00"), until: local("2026-03-10 14:00") };
        let overrides = [first, second];
        assert_eq!(who_at(&overrides, "2026-03-10 13:00").as_deref(), Some("U0EVE"));
        assert_eq!(who_at(&overrides, "2026-03-10 15:00").as_deref(), Some("U0DAN"));
    }

    #[test]
    fn an_override_covers_time_before_the_schedule_starts() {
        let early = Override { user: user("U0DAN"), from: local("2026-03-01 00:00"), until: local("2026-03-02 12:00") };
        assert_eq!(who_at(std::slice::from_ref(&early), "2026-03-01 08:00").as_deref(), Some("U0DAN"));
        assert_eq!(who_at(&[early], "2026-03-02 12:00").as_deref(), Some("U0ANN"));
    }

    #[test]
    fn an_empty_schedule_or_a_shift_of_nothing_has_nobody_on_call() {
        let empty = Schedule { members: vec![], ..weekly() };
        assert_eq!(on_call(&empty, &[], ZONE, local("2026-03-10 12:00")), None);
        let zero = Schedule { shift: std::time::Duration::ZERO, ..weekly() };
        assert_eq!(on_call(&zero, &[], ZONE, local("2026-03-10 12:00")), None);
    }

    #[test]
    fn far_instants_do_not_overflow() {
        let far = DateTime::<Utc>::MAX_UTC - chrono::Duration::days(400);
        let _ = on_call(&weekly(), &[], ZONE, far);
        let tiny = Schedule { shift: std::time::Duration::from_secs(1), ..weekly() };
        let _ = on_call(&tiny, &[], ZONE, local("2027-03-10 12:00"));
    }
}
