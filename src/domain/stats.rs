//! Incident statistics over a window: counts and mean times by severity, reminders,
//! escalations, follow-ups, and incidents per week. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};

/// One incident as the statistics see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentTimes {
    pub severity: String,
    pub declared_at: DateTime<Utc>,
    /// The first human action after declaring.
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The earliest linked alert.
    pub alerted_at: Option<DateTime<Utc>>,
    /// The first response action (`action KIND`): when, and its kind.
    pub first_action: Option<(DateTime<Utc>, String)>,
    /// A practice incident (only read when drills are counted).
    pub drill: bool,
}

/// Whether statistics count drills: left out unless asked for (`stats --drills`), so practice
/// never flatters or spoils the real figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Drills {
    #[default]
    LeftOut,
    Counted,
}

/// Figures for one severity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BySeverity {
    pub count: usize,
    pub mtta: Option<Duration>,
    pub mttd: Option<Duration>,
    /// Mean time to first action: first action minus declared.
    pub mttfa: Option<Duration>,
    pub mttr: Option<Duration>,
}

/// The incidents whose first action was one kind, and how soon they were resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByFirstAction {
    /// Incidents with this first action (resolved or not).
    pub count: usize,
    /// Mean time to resolve (resolved minus declared) of those resolved.
    pub mttr: Option<Duration>,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub total: usize,
    /// How many of `total` are drills (0 unless drills are counted).
    pub drills: usize,
    /// In the policy's severity order.
    pub by_severity: Vec<(String, BySeverity)>,
    pub overall: BySeverity,
    /// By first-action kind, in the policy's order of kinds (kinds never first left out).
    pub by_first_action: Vec<(String, ByFirstAction)>,
    pub reminders: usize,
    pub escalations: usize,
    pub followups_open: usize,
    pub followups_done: usize,
    /// Incidents declared per ISO week (`2026-W48`), oldest first.
    pub weeks: Vec<(String, usize)>,
}

fn mean(spans: impl Iterator<Item = Duration>) -> Option<Duration> {
    let (sum, count) = spans.fold((Duration::zero(), 0i32), |(sum, n), d| (sum + d, n + 1));
    (count > 0).then(|| sum / count)
}

fn figures(incidents: &[&IncidentTimes]) -> BySeverity {
    BySeverity {
        count: incidents.len(),
        mtta: mean(incidents.iter().filter_map(|i| i.acknowledged_at.map(|a| a - i.declared_at))),
        mttd: mean(incidents.iter().filter_map(|i| i.alerted_at.map(|a| i.declared_at - a))),
        mttfa: mean(incidents.iter().filter_map(|i| i.first_action.as_ref().map(|(a, _)| *a - i.declared_at))),
        mttr: mean(incidents.iter().filter_map(|i| i.resolved_at.map(|r| r - i.declared_at))),
    }
}

/// Computes the report; `severities` and `actions` give the orders, `counts` the reminders,
/// escalations and follow-ups (open, done) of the window.
pub fn compute(
    incidents: &[IncidentTimes],
    severities: &[String],
    actions: &[String],
    counts: (usize, usize, usize, usize),
) -> Stats {
    let all: Vec<&IncidentTimes> = incidents.iter().collect();
    let mut by_severity = Vec::new();
    for name in severities {
        let these: Vec<&IncidentTimes> = incidents.iter().filter(|i| &i.severity == name).collect();
        by_severity.push((name.clone(), figures(&these)));
    }
    let mut weeks: BTreeMap<String, usize> = BTreeMap::new();
    for incident in incidents {
        let week = incident.declared_at.iso_week();
        *weeks.entry(format!("{}-W{:02}", week.year(), week.week())).or_default() += 1;
    }
    // A kind the policy no longer lists still shows, after the listed ones.
    let mut kinds: Vec<String> = actions.to_vec();
    for (_, kind) in incidents.iter().filter_map(|i| i.first_action.as_ref()) {
        if !kinds.contains(kind) {
            kinds.push(kind.clone());
        }
    }
    let by_first_action = kinds
        .into_iter()
        .filter_map(|kind| {
            let these: Vec<&IncidentTimes> =
                incidents.iter().filter(|i| i.first_action.as_ref().is_some_and(|(_, k)| *k == kind)).collect();
            let mttr = mean(these.iter().filter_map(|i| i.resolved_at.map(|r| r - i.declared_at)));
            (!these.is_empty()).then_some((kind, ByFirstAction { count: these.len(), mttr }))
        })
        .collect();
    Stats {
        total: incidents.len(),
        drills: incidents.iter().filter(|i| i.drill).count(),
        by_severity,
        overall: figures(&all),
        by_first_action,
        reminders: counts.0,
        escalations: counts.1,
        followups_open: counts.2,
        followups_done: counts.3,
        weeks: weeks.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap() + Duration::minutes(minute)
    }

    #[test]
    fn mean_times_and_weeks_are_computed_per_severity() {
        let incidents = vec![
            IncidentTimes {
                severity: "SEV1".into(),
                declared_at: at(2, 0),
                acknowledged_at: Some(at(2, 4)),
                resolved_at: Some(at(2, 60)),
                alerted_at: Some(at(2, -10)),
                first_action: Some((at(2, 6), "rollback".into())),
                drill: false,
            },
            IncidentTimes {
                severity: "SEV1".into(),
                declared_at: at(10, 0),
                acknowledged_at: Some(at(10, 2)),
                resolved_at: Some(at(10, 120)),
                alerted_at: None,
                first_action: Some((at(10, 10), "hotfix".into())),
                drill: false,
            },
            IncidentTimes {
                severity: "SEV3".into(),
                declared_at: at(10, 0),
                acknowledged_at: None,
                resolved_at: None,
                alerted_at: None,
                first_action: Some((at(10, 30), "rollback".into())),
                drill: false,
            },
        ];
        let kinds = ["rollback".to_owned(), "scale-out".to_owned(), "hotfix".to_owned()];
        let stats = compute(&incidents, &["SEV1".into(), "SEV2".into(), "SEV3".into()], &kinds, (5, 1, 2, 3));
        assert_eq!(stats.by_severity[0].1.mttfa, Some(Duration::minutes(8)), "(6 + 10) / 2");
        assert_eq!(
            stats.by_first_action,
            [
                ("rollback".to_owned(), ByFirstAction { count: 2, mttr: Some(Duration::minutes(60)) }),
                ("hotfix".to_owned(), ByFirstAction { count: 1, mttr: Some(Duration::minutes(120)) }),
            ],
            "scale-out was never first; the open rollback counts but has no time to resolve"
        );
        let sev1 = &stats.by_severity[0].1;
        assert_eq!(
            (sev1.count, sev1.mtta, sev1.mttr, sev1.mttd),
            (2, Some(Duration::minutes(3)), Some(Duration::minutes(90)), Some(Duration::minutes(10)))
        );
        assert_eq!(stats.by_severity[1].1, BySeverity::default(), "no SEV2s");
        assert_eq!(stats.by_severity[2].1.mttr, None, "still open");
        assert_eq!(stats.weeks, [("2026-W45".to_owned(), 1), ("2026-W46".to_owned(), 2)]);
        assert_eq!(
            (stats.total, stats.reminders, stats.escalations, stats.followups_open, stats.followups_done),
            (3, 5, 1, 2, 3)
        );
        assert_eq!(stats.drills, 0);
    }

    #[test]
    fn counted_drills_are_figures_like_any_incident_and_are_counted_apart() {
        let real = IncidentTimes {
            severity: "SEV1".into(),
            declared_at: at(2, 0),
            acknowledged_at: None,
            resolved_at: Some(at(2, 30)),
            alerted_at: None,
            first_action: None,
            drill: false,
        };
        let drill = IncidentTimes { resolved_at: Some(at(2, 90)), drill: true, ..real.clone() };
        let stats = compute(&[real, drill], &["SEV1".into()], &[], (0, 0, 0, 0));
        assert_eq!((stats.total, stats.drills), (2, 1));
        assert_eq!(stats.by_severity[0].1.mttr, Some(Duration::minutes(60)));
    }
}
