//! The `oncall` reply: who is on call now for each schedule, until when, and who is next.

use chrono::{DateTime, TimeZone, Utc};

use crate::catalog::{Key, text};
use crate::domain::oncall::{OnCall, Override, Schedule, on_call};
use crate::domain::policy::Policy;

/// The reply for `schedules` (every schedule, or the one of the service asked about), each
/// with its overrides, at `now`.
pub fn oncall(schedules: &[(&Schedule, Vec<Override>)], policy: &Policy, now: DateTime<Utc>) -> String {
    let locale = policy.locale;
    if schedules.is_empty() {
        return text(locale, Key::OncallNoSchedules).as_str().to_owned();
    }
    let mut lines = vec![text(locale, Key::OncallHeader).as_str().to_owned()];
    for (schedule, overrides) in schedules {
        let name = crate::domain::text::escape_mrkdwn(&schedule.name);
        let line = match on_call(schedule, overrides, policy.timezone, now) {
            Some(OnCall { user, until, next }) => {
                let (user, until) = (format!("<@{user}>"), super::time::moment(until, policy));
                match next {
                    Some(next) => text(locale, Key::OncallLine).fill_trusted(&[
                        ("schedule", &name),
                        ("user", &user),
                        ("until", &until),
                        ("next", &format!("<@{next}>")),
                    ]),
                    None => text(locale, Key::OncallLineLast).fill_trusted(&[
                        ("schedule", &name),
                        ("user", &user),
                        ("until", &until),
                    ]),
                }
            }
            None => {
                let start = policy
                    .timezone
                    .from_local_datetime(&schedule.start)
                    .earliest()
                    .map(|at| super::time::moment(at.with_timezone(&Utc), policy))
                    .unwrap_or_else(|| schedule.start.to_string());
                text(locale, Key::OncallNobody).fill_trusted(&[("schedule", &name), ("start", &start)])
            }
        };
        lines.push(line);
    }
    lines.join("\n")
}

/// The reply once an override is set.
pub fn override_set(
    schedule: &Schedule,
    user: &crate::domain::ids::UserId,
    until: DateTime<Utc>,
    policy: &Policy,
) -> String {
    text(policy.locale, Key::OncallOverrideSet).fill_trusted(&[
        ("user", &format!("<@{user}>")),
        ("schedule", &crate::domain::text::escape_mrkdwn(&schedule.name)),
        ("until", &super::time::moment(until, policy)),
    ])
}
