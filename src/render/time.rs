//! Times and dates as people read them: in the policy's time zone, in a format natural to its
//! language (`2026-11-26 14:05 KST` in English, `2026년 11월 26일 (목) 14:05 KST` in Korean).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::catalog::Locale;
use crate::domain::policy::Policy;

/// Korean weekday names, Monday first.
const KO_WEEKDAYS: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];

/// A full moment with its date, time and zone (when an incident started, when a change lands).
pub fn moment(at: DateTime<Utc>, policy: &Policy) -> String {
    let local = at.with_timezone(&policy.timezone);
    match policy.locale {
        Locale::En => local.format("%Y-%m-%d %H:%M %Z").to_string(),
        Locale::Ko => {
            let weekday = KO_WEEKDAYS[local.weekday().num_days_from_monday() as usize];
            format!("{} ({weekday}) {}", local.format("%Y년 %-m월 %-d일"), local.format("%H:%M %Z"))
        }
    }
}

/// A short time within one incident's span (timeline rows, recent changes): no year, no zone.
pub fn clock(at: DateTime<Utc>, policy: &Policy) -> String {
    let local = at.with_timezone(&policy.timezone);
    match policy.locale {
        Locale::En => local.format("%m-%d %H:%M").to_string(),
        Locale::Ko => local.format("%-m월 %-d일 %H:%M").to_string(),
    }
}

/// A calendar day (a follow-up's due date).
pub fn date(day: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::En => day.format("%Y-%m-%d").to_string(),
        Locale::Ko => day.format("%Y년 %-m월 %-d일").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn policy(locale: Locale) -> Policy {
        Policy { locale, timezone: chrono_tz::Asia::Seoul, ..crate::config::policy::builtin() }
    }

    #[test]
    fn moments_are_local_and_read_naturally_in_each_language() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 5, 5, 0).unwrap();
        assert_eq!(moment(at, &policy(Locale::En)), "2026-11-26 14:05 KST");
        assert_eq!(moment(at, &policy(Locale::Ko)), "2026년 11월 26일 (목) 14:05 KST");
    }

    #[test]
    fn clocks_drop_the_year_and_zone() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 15, 30, 0).unwrap();
        assert_eq!(clock(at, &policy(Locale::En)), "03-02 00:30");
        assert_eq!(clock(at, &policy(Locale::Ko)), "3월 2일 00:30");
    }

    #[test]
    fn dates_read_naturally_in_each_language() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date(day, Locale::En), "2026-12-01");
        assert_eq!(date(day, Locale::Ko), "2026년 12월 1일");
    }
}
