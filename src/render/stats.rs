//! `/incident stats` as text, with a bar per week.

use super::lifecycle::duration_in;
use crate::catalog::{Key, Locale, text};
use crate::domain::stats::{Drills, Stats};

fn span(locale: Locale, value: Option<chrono::Duration>) -> String {
    value.map_or_else(|| "—".to_owned(), |d| duration_in(locale, d))
}

/// The ephemeral report; when drills are counted, it says so (and how many) under the header.
pub fn report(stats: &Stats, days: i64, drills: Drills, locale: Locale) -> String {
    let t = |key| text(locale, key);
    let mut lines = vec![t(Key::StatsHeader).fill(&[("days", &days.to_string()), ("total", &stats.total.to_string())])];
    if drills == Drills::Counted {
        lines.push(t(Key::StatsDrillsCounted).fill(&[("drills", &stats.drills.to_string())]));
    }
    for (severity, figures) in &stats.by_severity {
        lines.push(t(Key::StatsRow).fill(&[
            ("severity", severity),
            ("count", &figures.count.to_string()),
            ("mtta", &span(locale, figures.mtta)),
            ("mttd", &span(locale, figures.mttd)),
            ("mttfa", &span(locale, figures.mttfa)),
            ("mttr", &span(locale, figures.mttr)),
        ]));
    }
    if !stats.by_first_action.is_empty() {
        let kinds: Vec<String> = stats
            .by_first_action
            .iter()
            .map(|(kind, figures)| {
                t(Key::StatsFirstActionKind).fill(&[
                    ("kind", kind),
                    ("mttr", &span(locale, figures.mttr)),
                    ("count", &figures.count.to_string()),
                ])
            })
            .collect();
        lines.push(t(Key::StatsFirstAction).fill_trusted(&[("kinds", &kinds.join(" · "))]));
    }
    lines.push(t(Key::StatsTotals).fill(&[
        ("reminders", &stats.reminders.to_string()),
        ("escalations", &stats.escalations.to_string()),
        ("open", &stats.followups_open.to_string()),
        ("done", &stats.followups_done.to_string()),
    ]));
    if !stats.weeks.is_empty() {
        lines.push(t(Key::StatsWeeks).as_str().to_owned());
        let widest = stats.weeks.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
        for (week, count) in &stats.weeks {
            // At most 20 blocks wide, so the chart fits a phone screen.
            let bar = "█".repeat((count * 20).div_ceil(widest).max(1));
            lines.push(format!("`{week}` {bar} {count}"));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(total: usize, drills: usize) -> Stats {
        Stats { total, drills, ..Stats::default() }
    }

    #[test]
    fn the_report_says_when_drills_are_counted_and_how_many() {
        let report = report(&stats(3, 1), 30, Drills::Counted, Locale::En);
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "*Incidents in the last 30 days: 3*");
        assert_eq!(lines[1], "Drills are included (`--drills`); drills among them: 1.");
    }

    #[test]
    fn without_drills_the_report_does_not_mention_them() {
        let report = report(&stats(2, 0), 7, Drills::LeftOut, Locale::En);
        assert!(!report.to_lowercase().contains("drill"), "{report}");
    }

    #[test]
    fn the_korean_report_says_drills_are_included_in_korean() {
        let report = report(&stats(3, 1), 30, Drills::Counted, Locale::Ko);
        assert!(report.contains("훈련") && report.contains("--drills"), "{report}");
    }
}
