//! The dashboard overview's figures for a window of days, shaped for a chart and tables:
//! incidents per week by severity (every week of the window, empty ones too, so the chart's
//! axis runs on), follow-ups by group and owner, and alert groups by source and rule.
//!
//! Pure: `app::overview` reads the rows and `domain::stats` computes the figures shared with
//! `/incident stats`; `render::overview` words the result. Nothing here does I/O.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::domain::alert::AlertState;
use crate::domain::change::PlannedChange;
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::UserId;
use crate::domain::policy::AlertAction;
use crate::domain::stats::{IncidentTimes, Stats};

/// The windows a viewer may choose, in days.
pub const WINDOWS: [i64; 3] = [7, 30, 90];

/// The window shown when none is chosen.
pub const DEFAULT_WINDOW: i64 = 30;

/// How far before and after now pre-shared changes are listed.
pub const CHANGES_AROUND: Duration = Duration::days(2);

/// At most this many rows of alerts; the rest are summed into one row.
pub const ALERT_ROWS: usize = 30;

/// Reads a window as the dashboard and the API spell it (`7d`, `30d`, `90d`) into days.
pub fn window_days(text: &str) -> Option<i64> {
    let days: i64 = text.strip_suffix('d')?.parse().ok()?;
    WINDOWS.contains(&days).then_some(days)
}

/// Everything the overview shows for one window, before it is worded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overview {
    /// The window, in days.
    pub days: i64,
    /// The same figures `/incident stats` gives for the window.
    pub stats: Stats,
    pub weekly: WeeklyCounts,
    pub followups: FollowupTallies,
    pub alerts: Vec<AlertTally>,
    /// The pre-shared changes of [`CHANGES_AROUND`] either side of now, soonest first.
    pub changes: Vec<PlannedChange>,
}

/// One ISO week (Monday to Sunday, UTC, as `/incident stats` counts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    /// `2026-W48`, as `Stats::weeks` spells it.
    pub key: String,
    /// The week's first day.
    pub monday: NaiveDate,
    /// Incidents declared that week, one count per severity of [`WeeklyCounts::severities`].
    pub counts: Vec<usize>,
}

impl Week {
    /// All incidents of the week.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }
}

/// Incidents per week by severity, for a stacked bar chart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyCounts {
    /// The policy's severities, most severe first, then any severity the policy no longer
    /// lists but an incident of the window has (so every incident is counted).
    pub severities: Vec<String>,
    /// Every week from the window's first to the current one, oldest first.
    pub weeks: Vec<Week>,
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

fn week_key(monday: NaiveDate) -> String {
    let week = monday.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Counts the incidents per week and severity, from the week of `since` to the week of `now`
/// (stretched to any incident outside them), with every week in between.
pub fn weekly_by_severity(
    incidents: &[IncidentTimes],
    severities: &[String],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> WeeklyCounts {
    let mut names: Vec<String> = severities.to_vec();
    for incident in incidents {
        if !names.contains(&incident.severity) {
            names.push(incident.severity.clone());
        }
    }
    let declared = incidents.iter().map(|i| i.declared_at.date_naive());
    let first = declared.clone().chain([since.date_naive()]).min().unwrap_or_else(|| since.date_naive());
    let last = declared.chain([now.date_naive()]).max().unwrap_or_else(|| now.date_naive());
    let mut weeks = Vec::new();
    let mut monday = monday_of(first);
    while monday <= last {
        weeks.push(Week { key: week_key(monday), monday, counts: vec![0; names.len()] });
        monday += Duration::days(7);
    }
    for incident in incidents {
        let monday = monday_of(incident.declared_at.date_naive());
        let severity = names.iter().position(|n| *n == incident.severity);
        if let (Some(week), Some(severity)) = (weeks.iter_mut().find(|w| w.monday == monday), severity) {
            week.counts[severity] += 1;
        }
    }
    WeeklyCounts { severities: names, weeks }
}

/// Open follow-ups, and how many of them are past their due date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub open: usize,
    pub overdue: usize,
}

impl Tally {
    fn add(&mut self, followup: &Followup, today: NaiveDate) {
        self.open += 1;
        self.overdue += usize::from(followup.overdue(today));
    }
}

/// The open follow-ups of the window's incidents, by group and by owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowupTallies {
    /// All three groups, in the order a retrospective lists them (empty ones too).
    pub by_group: Vec<(FollowupGroup, Tally)>,
    /// Owners with an open follow-up, the most overdue first (then the most open, then by
    /// id); the follow-ups nobody owns last, as `None`.
    pub by_owner: Vec<(Option<UserId>, Tally)>,
    pub total: Tally,
}

/// Tallies the open follow-ups (done ones are left out) as of `today` in the policy's zone.
pub fn followup_tallies(followups: &[Followup], today: NaiveDate) -> FollowupTallies {
    let mut by_group: Vec<(FollowupGroup, Tally)> = FollowupGroup::ALL.iter().map(|g| (*g, Tally::default())).collect();
    let mut owners: BTreeMap<Option<UserId>, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for followup in followups.iter().filter(|f| f.done_at.is_none()) {
        if let Some((_, tally)) = by_group.iter_mut().find(|(g, _)| *g == followup.group) {
            tally.add(followup, today);
        }
        owners.entry(followup.owner.clone()).or_default().add(followup, today);
        total.add(followup, today);
    }
    let mut by_owner: Vec<(Option<UserId>, Tally)> = owners.into_iter().collect();
    by_owner.sort_by_key(|(owner, tally)| {
        (owner.is_none(), std::cmp::Reverse(tally.overdue), std::cmp::Reverse(tally.open), owner.clone())
    });
    FollowupTallies { by_group, by_owner, total }
}

/// Alert groups first seen in the window that look alike (as `store::overview` reads them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertGroupSeen {
    /// The source's spelling (`alertmanager`, `grafana`, `datadog`).
    pub source: String,
    /// The policy rule that routed the group (`key=value, …`), if one matched.
    pub rule: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub title: String,
    pub state: AlertState,
    pub action: AlertAction,
    /// How many groups these are.
    pub count: usize,
}

impl AlertGroupSeen {
    /// What the group is counted under: the policy rule that routed it, else its alert name
    /// (`alertname`), else its title (a Datadog monitor's name).
    pub fn rule_name(&self) -> &str {
        self.rule.as_deref().or(self.labels.get("alertname").map(String::as_str)).unwrap_or(&self.title)
    }
}

/// Alert groups of one source and rule, and what became of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertTally {
    pub source: String,
    /// See [`AlertGroupSeen::rule_name`]; `None` for the row that sums the rules beyond
    /// [`ALERT_ROWS`].
    pub rule: Option<String>,
    pub groups: usize,
    /// Led to an incident (from a prompt or a `declare` rule).
    pub declared: usize,
    /// Routed to a prompt in the triage channel (alone or in a storm).
    pub prompted: usize,
    /// Someone dismissed the prompt.
    pub dismissed: usize,
}

impl AlertTally {
    fn add(&mut self, other: &AlertTally) {
        self.groups += other.groups;
        self.declared += other.declared;
        self.prompted += other.prompted;
        self.dismissed += other.dismissed;
    }
}

/// Tallies alert groups by source and rule: the busiest rows first (ties by source, then
/// rule), at most [`ALERT_ROWS`] of them and a last row summing the rest.
pub fn alert_tallies(groups: &[AlertGroupSeen]) -> Vec<AlertTally> {
    let mut rows: BTreeMap<(String, String), AlertTally> = BTreeMap::new();
    for group in groups {
        let key = (group.source.clone(), group.rule_name().to_owned());
        let row = rows.entry(key).or_insert_with(|| AlertTally {
            source: group.source.clone(),
            rule: Some(group.rule_name().to_owned()),
            ..AlertTally::default()
        });
        let n = group.count;
        row.add(&AlertTally {
            groups: n,
            declared: if group.state == AlertState::Declared { n } else { 0 },
            prompted: if group.action == AlertAction::Prompt { n } else { 0 },
            dismissed: if group.state == AlertState::Dismissed { n } else { 0 },
            ..AlertTally::default()
        });
    }
    // The map is ordered by source and rule; a stable sort keeps that order among equals.
    let mut rows: Vec<AlertTally> = rows.into_values().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.groups));
    if rows.len() > ALERT_ROWS {
        let mut rest = AlertTally::default();
        for row in rows.drain(ALERT_ROWS..) {
            rest.add(&row);
        }
        rows.push(rest);
    }
    rows
}

#[cfg(test)]
#[path = "overview_tests.rs"]
mod tests;
