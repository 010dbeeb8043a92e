//! Incident channel names: `<prefix>-<yyyymmdd>-<n>[-<slug>][-<k>]`, within Slack's rules; a
//! drill's are `<prefix>-drill-<yyyymmdd>-<n>…`, so the channel list itself says which channels
//! are practice.
//!
//! Slack accepts lowercase letters, digits, `-` and `_`, at most 80 characters. The slug keeps
//! the title's ASCII letters and digits in lowercase and turns every other run into one `-`
//! (an all-Korean title has no slug); it is cut at a `-` so the name fits. `k` (2, 3, …) is
//! added only when a channel firebell did not create already holds the name.

use chrono::NaiveDate;

use crate::domain::incident::IncidentNumber;

/// Slack's limit on channel names.
pub const MAX_LEN: usize = 80;

/// The title's ASCII letters and digits in lowercase, other runs turned into single `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}

/// The word a drill's channel name carries right after the prefix.
pub const DRILL: &str = "drill";

/// The name for incident `number` declared on `date`; `attempt` 1 is the plain name, 2 and
/// up add `-2`, `-3`… after it. A drill's name has `drill` after the prefix: the slug is the
/// part cut to make room for it, never the marker.
pub fn channel_name(
    prefix: &str,
    date: NaiveDate,
    number: IncidentNumber,
    title: &str,
    attempt: u32,
    drill: bool,
) -> String {
    let marker = if drill { format!("-{DRILL}") } else { String::new() };
    let base = format!("{prefix}{marker}-{}-{number}", date.format("%Y%m%d"));
    let suffix = if attempt > 1 { format!("-{attempt}") } else { String::new() };
    let room = MAX_LEN.saturating_sub(base.len() + suffix.len() + 1);
    let full = slug(title);
    let slug = fit(&full, room);
    if slug.is_empty() { format!("{base}{suffix}") } else { format!("{base}-{slug}{suffix}") }
}

/// The longest run of whole words of `slug` within `room` bytes; a single word longer than
/// the room is cut, so a long one-word title still names the channel.
fn fit(slug: &str, room: usize) -> &str {
    if slug.len() <= room {
        return slug;
    }
    match slug[..=room.min(slug.len() - 1)].rfind('-') {
        Some(cut) if cut > 0 => &slug[..cut],
        _ => &slug[..room],
    }
}

/// True when Slack would accept `name` for `conversations.create`.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LEN
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn the_name_has_prefix_date_number_and_slug() {
        assert_eq!(
            channel_name("inc", day(), IncidentNumber(42), "Checkout is down!", 1, false),
            "inc-20261126-42-checkout-is-down"
        );
    }

    #[test]
    fn an_all_korean_title_has_no_slug() {
        assert_eq!(channel_name("inc", day(), IncidentNumber(7), "결제 장애", 1, false), "inc-20261126-7");
    }

    #[test]
    fn mixed_titles_keep_only_ascii_words() {
        assert_eq!(slug("결제 API 5xx — 급증"), "api-5xx");
        assert_eq!(slug("  <!here> DB   failover__now "), "here-db-failover-now");
        assert_eq!(slug("Ünïcode café"), "n-code-caf");
    }

    #[test]
    fn long_titles_are_cut_at_a_dash_within_80_characters() {
        let title = "the primary database cluster in the eu west region stopped accepting writes after a failover";
        let name = channel_name("inc", day(), IncidentNumber(1234), title, 1, false);
        assert!(name.len() <= 80, "{name}");
        assert!(!name.ends_with('-'));
        assert!(title.replace(' ', "-").starts_with(name.trim_start_matches("inc-20261126-1234-")), "{name}");
    }

    #[test]
    fn a_single_long_word_is_cut_to_fit() {
        let name = channel_name("inc", day(), IncidentNumber(1), &"a".repeat(200), 1, false);
        assert_eq!(name.len(), 80);
    }

    #[test]
    fn retries_after_a_foreign_name_add_a_counter_and_still_fit() {
        assert_eq!(channel_name("inc", day(), IncidentNumber(3), "Down", 2, false), "inc-20261126-3-down-2");
        let long = channel_name("inc", day(), IncidentNumber(3), &"word ".repeat(40), 13, false);
        assert!(long.len() <= 80 && long.ends_with("-13"), "{long}");
    }

    #[test]
    fn a_drill_says_drill_right_after_the_prefix() {
        assert_eq!(
            channel_name("inc", day(), IncidentNumber(42), "Payments failover", 1, true),
            "inc-drill-20261126-42-payments-failover"
        );
        assert_eq!(channel_name("inc", day(), IncidentNumber(7), "결제 장애", 1, true), "inc-drill-20261126-7");
        assert_eq!(channel_name("inc", day(), IncidentNumber(3), "Down", 2, true), "inc-drill-20261126-3-down-2");
    }

    #[test]
    fn a_long_drill_title_is_cut_so_the_marker_and_counter_still_fit() {
        let prefix = "incident-response-x";
        let name = channel_name(prefix, day(), IncidentNumber(123_456), &"drill words ".repeat(20), 17, true);
        assert!(name.len() <= MAX_LEN, "{name}");
        assert!(name.starts_with("incident-response-x-drill-20261126-123456-") && name.ends_with("-17"), "{name}");
        assert!(is_valid(&name), "{name}");
    }

    #[test]
    fn every_generated_name_is_valid_for_slack() {
        for title in ["", "!!!", "결제", "A", "x y z", &"long words ".repeat(30), "<!channel> <!subteam^S1>"] {
            for (attempt, drill) in [(1, false), (2, false), (99, false), (1, true), (99, true)] {
                let name = channel_name("inc", day(), IncidentNumber(99_999), title, attempt, drill);
                assert!(is_valid(&name), "{name}");
            }
        }
    }
}
