//! The overview's figures for a window, worded for the dashboard: every text already in the
//! policy's language (durations as `duration_in` writes them, times in the policy's zone),
//! the chart already drawn, and the catalog's words the partial `assets/dashboard/figures.html`
//! needs. Pure: `app::overview` gathers the [`Overview`], the page template shows the result.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::charts::{self, Series, StackedBars};
use super::followups::group_label;
use super::lifecycle::duration_in;
use crate::catalog::{Key, Locale, text};
use crate::domain::overview::{AlertTally, Overview, Tally, WINDOWS};
use crate::domain::policy::Policy;
use crate::domain::stats::BySeverity;
use crate::domain::text::truncate_chars;

/// The partial that shows [`Figures`]; the page includes it as `figures.html` with the
/// figures in scope as `figures`.
pub const TEMPLATE: &str = include_str!("../../assets/dashboard/figures.html");

/// The longest rule name and change text shown (the rest is cut with `…`).
const RULE_CHARS: usize = 80;
const CHANGE_CHARS: usize = 300;

/// A link to one window of days.
#[derive(Clone, Debug, Serialize)]
pub struct WindowLink {
    pub label: String,
    /// `?window=30d`.
    pub href: String,
    /// The window shown (`aria-current`).
    pub current: bool,
}

/// A week's row under the chart: the same numbers as its bar.
#[derive(Clone, Debug, Serialize)]
pub struct WeekRow {
    /// `2026-W48`.
    pub week: String,
    /// Its Monday, as a date in the policy's language.
    pub starts: String,
    /// One per severity of [`Figures::severities`].
    pub counts: Vec<usize>,
    pub total: usize,
}

/// Count and mean times of one severity (or of all), `—` where there is nothing to average.
#[derive(Clone, Debug, Serialize)]
pub struct TimesRow {
    pub severity: String,
    pub count: usize,
    pub mtta: String,
    pub mttd: String,
    pub mttfa: String,
    pub mttr: String,
}

/// One first-action kind.
#[derive(Clone, Debug, Serialize)]
pub struct FirstActionRow {
    pub kind: String,
    pub count: usize,
    pub mttr: String,
}

/// Open and overdue follow-ups of a group or an owner.
#[derive(Clone, Debug, Serialize)]
pub struct TallyRow {
    pub name: String,
    pub open: usize,
    pub overdue: usize,
}

/// The follow-ups of the window's incidents.
#[derive(Clone, Debug, Serialize)]
pub struct FollowupFigures {
    pub open: usize,
    pub overdue: usize,
    pub done: usize,
    /// The three groups, always.
    pub groups: Vec<TallyRow>,
    pub owners: Vec<TallyRow>,
}

/// Alert groups of one source and rule.
#[derive(Clone, Debug, Serialize)]
pub struct AlertRow {
    pub source: String,
    pub rule: String,
    /// The row that sums the rules beyond the first ones.
    pub others: bool,
    pub groups: usize,
    pub declared: usize,
    pub prompted: usize,
    pub dismissed: usize,
}

/// A pre-shared change near now.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeRow {
    /// When it happens (or happened), in the policy's zone.
    pub when: String,
    pub text: String,
    pub services: String,
    pub author: String,
    /// Still ahead.
    pub upcoming: bool,
}

/// Everything the partial shows, ready to serialize into its context as `figures`.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub days: i64,
    /// "The last 30 days".
    pub heading: String,
    pub windows: Vec<WindowLink>,
    /// Incidents declared in the window.
    pub total: usize,
    /// The incidents-per-week chart, an `<svg>` element whose every text is escaped (the
    /// partial inserts it with `|safe`).
    pub chart: String,
    /// The chart's series and the week table's columns, most severe first.
    pub severities: Vec<String>,
    pub weeks: Vec<WeekRow>,
    pub times: Vec<TimesRow>,
    pub overall: TimesRow,
    pub first_actions: Vec<FirstActionRow>,
    pub reminders: usize,
    pub escalations: usize,
    pub followups: FollowupFigures,
    pub alerts: Vec<AlertRow>,
    /// "Pre-shared changes, 2 days before and after now".
    pub changes_heading: String,
    pub changes: Vec<ChangeRow>,
    /// The catalog's words, by the names the partial uses.
    pub t: BTreeMap<&'static str, String>,
}

fn words(locale: Locale) -> BTreeMap<&'static str, String> {
    use Key::*;
    let t = |key| text(locale, key).as_str().to_owned();
    [
        ("window", t(DashboardFiguresWindow)),
        ("incidents", t(DashboardFiguresIncidents)),
        ("per_week", t(DashboardFiguresPerWeek)),
        ("week", t(DashboardFiguresWeek)),
        ("week_start", t(DashboardFiguresWeekStart)),
        ("total", t(DashboardFiguresTotal)),
        ("times", t(DashboardFiguresTimes)),
        ("severity", t(DashboardFiguresSeverity)),
        ("count", t(DashboardFiguresCount)),
        ("all", t(DashboardFiguresAll)),
        ("mtta", t(DashboardFiguresMtta)),
        ("mttd", t(DashboardFiguresMttd)),
        ("mttfa", t(DashboardFiguresMttfa)),
        ("mttr", t(DashboardFiguresMttr)),
        ("first_actions", t(DashboardFiguresFirstActions)),
        ("kind", t(DashboardFiguresKind)),
        ("no_actions", t(DashboardFiguresNoActions)),
        ("activity", t(DashboardFiguresActivity)),
        ("reminders", t(DashboardFiguresReminders)),
        ("escalations", t(DashboardFiguresEscalations)),
        ("followups", t(DashboardFiguresFollowups)),
        ("group", t(DashboardFiguresGroup)),
        ("owner", t(DashboardFiguresOwner)),
        ("open", t(DashboardFiguresOpen)),
        ("overdue", t(DashboardFiguresOverdue)),
        ("done", t(DashboardFiguresDone)),
        ("no_followups", t(DashboardFiguresNoFollowups)),
        ("alerts", t(DashboardFiguresAlerts)),
        ("source", t(DashboardFiguresSource)),
        ("rule", t(DashboardFiguresRule)),
        ("alert_groups", t(DashboardFiguresAlertGroups)),
        ("declared", t(DashboardFiguresDeclared)),
        ("prompted", t(DashboardFiguresPrompted)),
        ("dismissed", t(DashboardFiguresDismissed)),
        ("no_alerts", t(DashboardFiguresNoAlerts)),
        ("when", t(DashboardFiguresWhen)),
        ("change", t(DashboardFiguresChange)),
        ("services", t(DashboardFiguresServices)),
        ("author", t(DashboardFiguresAuthor)),
        ("upcoming", t(DashboardFiguresUpcoming)),
        ("no_changes", t(DashboardFiguresNoChanges)),
    ]
    .into_iter()
    .collect()
}

/// Fills a catalog text's placeholders with numbers (nothing to escape in them).
fn with_numbers(locale: Locale, key: Key, args: &[(&str, i64)]) -> String {
    let values: Vec<(&str, String)> = args.iter().map(|(name, n)| (*name, n.to_string())).collect();
    let pairs: Vec<(&str, &str)> = values.iter().map(|(name, v)| (*name, v.as_str())).collect();
    text(locale, key).fill_trusted(&pairs)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn times_row(locale: Locale, severity: String, figures: &BySeverity) -> TimesRow {
    let span = |d: Option<chrono::Duration>| d.map_or_else(|| "—".to_owned(), |d| duration_in(locale, d));
    TimesRow {
        severity,
        count: figures.count,
        mtta: span(figures.mtta),
        mttd: span(figures.mttd),
        mttfa: span(figures.mttfa),
        mttr: span(figures.mttr),
    }
}

fn tally_row(name: String, tally: &Tally) -> TallyRow {
    TallyRow { name, open: tally.open, overdue: tally.overdue }
}

fn alert_row(locale: Locale, tally: &AlertTally) -> AlertRow {
    AlertRow {
        source: tally.source.clone(),
        rule: tally.rule.as_deref().map_or_else(
            || text(locale, Key::DashboardFiguresOtherRules).as_str().to_owned(),
            |rule| truncate_chars(rule, RULE_CHARS),
        ),
        others: tally.rule.is_none(),
        groups: tally.groups,
        declared: tally.declared,
        prompted: tally.prompted,
        dismissed: tally.dismissed,
    }
}

fn windows(locale: Locale, days: i64) -> Vec<WindowLink> {
    WINDOWS
        .iter()
        .map(|&n| WindowLink {
            label: with_numbers(locale, Key::DashboardFiguresWindowDays, &[("days", n)]),
            href: format!("?window={n}d"),
            current: n == days,
        })
        .collect()
}

fn chart(overview: &Overview, locale: Locale) -> anyhow::Result<String> {
    let weekly = &overview.weekly;
    let labels: Vec<String> = weekly.weeks.iter().map(|w| w.monday.format("%-m/%-d").to_string()).collect();
    let series: Vec<Series> = weekly
        .severities
        .iter()
        .enumerate()
        .map(|(i, name)| Series {
            name: name.clone(),
            values: weekly.weeks.iter().map(|w| w.counts.get(i).copied().unwrap_or(0)).collect(),
        })
        .collect();
    let total: usize = weekly.weeks.iter().map(|w| w.total()).sum();
    let description = with_numbers(
        locale,
        Key::DashboardFiguresChartSummary,
        &[("total", count(total)), ("weeks", count(weekly.weeks.len()))],
    );
    charts::stacked_bars(&StackedBars {
        id: "figures-weekly",
        title: text(locale, Key::DashboardFiguresPerWeek).as_str(),
        description: &description,
        unit: text(locale, Key::DashboardFiguresChartUnit).as_str(),
        labels: &labels,
        series: &series,
    })
}

fn changes(overview: &Overview, policy: &Policy, now: DateTime<Utc>) -> Vec<ChangeRow> {
    let locale = policy.locale;
    overview
        .changes
        .iter()
        .map(|change| {
            let services: Vec<&str> = change.services.iter().map(|s| s.as_str()).collect();
            ChangeRow {
                when: super::time::moment(change.when(), policy),
                text: truncate_chars(&change.text, CHANGE_CHARS),
                services: if services.is_empty() {
                    text(locale, Key::DashboardFiguresAnyService).as_str().to_owned()
                } else {
                    services.join(", ")
                },
                author: change.author.to_string(),
                upcoming: change.when() > now,
            }
        })
        .collect()
}

/// Words the overview's figures for the dashboard, in the policy's language and zone.
pub fn figures(overview: &Overview, policy: &Policy, now: DateTime<Utc>) -> anyhow::Result<Figures> {
    let locale = policy.locale;
    let stats = &overview.stats;
    let tallies = &overview.followups;
    let no_owner = text(locale, Key::DashboardFiguresNoOwner).as_str();
    Ok(Figures {
        days: overview.days,
        heading: with_numbers(locale, Key::DashboardFiguresHeading, &[("days", overview.days)]),
        windows: windows(locale, overview.days),
        total: stats.total,
        chart: chart(overview, locale)?,
        severities: overview.weekly.severities.clone(),
        weeks: overview
            .weekly
            .weeks
            .iter()
            .map(|w| WeekRow {
                week: w.key.clone(),
                starts: super::time::date(w.monday, locale),
                counts: w.counts.clone(),
                total: w.total(),
            })
            .collect(),
        times: stats.by_severity.iter().map(|(name, f)| times_row(locale, name.clone(), f)).collect(),
        overall: times_row(locale, text(locale, Key::DashboardFiguresAll).as_str().to_owned(), &stats.overall),
        first_actions: stats
            .by_first_action
            .iter()
            .map(|(kind, f)| FirstActionRow {
                kind: kind.clone(),
                count: f.count,
                mttr: f.mttr.map_or_else(|| "—".to_owned(), |d| duration_in(locale, d)),
            })
            .collect(),
        reminders: stats.reminders,
        escalations: stats.escalations,
        followups: FollowupFigures {
            open: stats.followups_open,
            overdue: tallies.total.overdue,
            done: stats.followups_done,
            groups: tallies.by_group.iter().map(|(g, t)| tally_row(group_label(locale, *g).to_owned(), t)).collect(),
            owners: tallies
                .by_owner
                .iter()
                .map(|(owner, t)| tally_row(owner.as_ref().map_or_else(|| no_owner.to_owned(), |u| u.to_string()), t))
                .collect(),
        },
        alerts: overview.alerts.iter().map(|a| alert_row(locale, a)).collect(),
        changes_heading: with_numbers(
            locale,
            Key::DashboardFiguresChanges,
            &[("days", crate::domain::overview::CHANGES_AROUND.num_days())],
        ),
        changes: changes(overview, policy, now),
        t: words(locale),
    })
}

#[cfg(test)]
#[path = "overview_tests.rs"]
mod tests;
