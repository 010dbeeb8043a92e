//! The overview's shaping: weeks, follow-up tallies, alert tallies and windows.

use chrono::TimeZone;

use super::*;
use crate::domain::incident::IncidentId;
use crate::domain::stats::compute;

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

fn incident(severity: &str, declared_at: DateTime<Utc>) -> IncidentTimes {
    IncidentTimes {
        severity: severity.into(),
        declared_at,
        acknowledged_at: None,
        resolved_at: None,
        alerted_at: None,
        first_action: None,
        drill: false,
    }
}

fn severities() -> Vec<String> {
    vec!["SEV1".into(), "SEV2".into(), "SEV3".into()]
}

fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn followup(group: FollowupGroup, owner: Option<&str>, due: Option<NaiveDate>, done: bool) -> Followup {
    Followup {
        id: 1,
        incident_id: IncidentId::from_stored(1),
        group,
        text: "Add an alert".into(),
        owner: owner.map(user),
        due,
        created_by: user("U0LEAD"),
        created_at: at(11, 1, 0),
        done_at: done.then(|| at(11, 2, 0)),
    }
}

fn group(source: &str, rule: Option<&str>, alertname: Option<&str>, state: AlertState, count: usize) -> AlertGroupSeen {
    AlertGroupSeen {
        source: source.into(),
        rule: rule.map(str::to_owned),
        labels: alertname.map(|n| ("alertname".to_owned(), n.to_owned())).into_iter().collect(),
        title: "Disk full on db-1".into(),
        state,
        action: AlertAction::Prompt,
        count,
    }
}

#[test]
fn windows_are_read_as_the_dashboard_spells_them() {
    assert_eq!(window_days("7d"), Some(7));
    assert_eq!(window_days("30d"), Some(30));
    assert_eq!(window_days("90d"), Some(90));
    for refused in ["", "d", "30", "14d", "-7d", "30D", " 30d", "7dd"] {
        assert_eq!(window_days(refused), None, "{refused:?}");
    }
    assert!(WINDOWS.contains(&DEFAULT_WINDOW));
}

#[test]
fn every_week_of_the_window_is_listed_even_without_incidents() {
    // 2026-11-02 is the Monday of W45; the window runs to W49's Wednesday.
    let incidents = [incident("SEV2", at(11, 4, 9)), incident("SEV1", at(11, 25, 9)), incident("SEV2", at(11, 26, 9))];
    let weekly = weekly_by_severity(&incidents, &severities(), at(11, 3, 0), at(12, 2, 0));
    let keys: Vec<&str> = weekly.weeks.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(keys, ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]);
    assert_eq!(weekly.weeks[0].monday, day(11, 2));
    let counts: Vec<&[usize]> = weekly.weeks.iter().map(|w| w.counts.as_slice()).collect();
    assert_eq!(counts, [&[0, 1, 0][..], &[0, 0, 0], &[0, 0, 0], &[1, 1, 0], &[0, 0, 0]]);
    assert_eq!(weekly.severities, severities());
}

#[test]
fn a_window_without_incidents_still_has_its_weeks_at_zero() {
    let weekly = weekly_by_severity(&[], &severities(), at(11, 25, 0), at(12, 2, 0));
    assert_eq!(weekly.weeks.len(), 2, "W48 and W49");
    assert!(weekly.weeks.iter().all(|w| w.total() == 0 && w.counts.len() == 3));
}

#[test]
fn the_weeks_agree_with_the_stats_of_the_same_incidents() {
    let incidents = [
        incident("SEV1", at(11, 2, 0)),
        incident("SEV3", at(11, 8, 23)),
        incident("SEV2", at(11, 9, 0)),
        incident("SEV2", at(11, 30, 12)),
    ];
    let stats = compute(&incidents, &severities(), &[], (0, 0, 0, 0));
    let weekly = weekly_by_severity(&incidents, &severities(), at(11, 2, 0), at(12, 1, 0));
    let non_empty: Vec<(String, usize)> =
        weekly.weeks.iter().filter(|w| w.total() > 0).map(|w| (w.key.clone(), w.total())).collect();
    assert_eq!(non_empty, stats.weeks);
}

#[test]
fn weeks_cross_the_new_year_as_iso_weeks() {
    let incidents = [incident("SEV3", at(12, 31, 12))];
    let weekly = weekly_by_severity(
        &incidents,
        &severities(),
        at(12, 20, 0),
        Utc.with_ymd_and_hms(2027, 1, 5, 0, 0, 0).unwrap(),
    );
    let keys: Vec<&str> = weekly.weeks.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(keys, ["2026-W51", "2026-W52", "2026-W53", "2027-W01"]);
    assert_eq!(weekly.weeks[2].counts, [0, 0, 1]);
}

#[test]
fn a_severity_the_policy_no_longer_lists_is_counted_after_the_listed_ones() {
    let incidents = [incident("P0", at(11, 4, 0)), incident("SEV1", at(11, 4, 0))];
    let weekly = weekly_by_severity(&incidents, &severities(), at(11, 3, 0), at(11, 5, 0));
    assert_eq!(weekly.severities, ["SEV1", "SEV2", "SEV3", "P0"]);
    assert_eq!(weekly.weeks[0].counts, [1, 0, 0, 1]);
}

#[test]
fn an_incident_outside_the_window_stretches_the_weeks_so_it_is_counted() {
    // A replica whose clock runs behind may see an incident "from the future".
    let incidents = [incident("SEV1", at(11, 20, 0))];
    let weekly = weekly_by_severity(&incidents, &severities(), at(11, 3, 0), at(11, 5, 0));
    assert_eq!(weekly.weeks.last().map(|w| (w.key.as_str(), w.total())), Some(("2026-W47", 1)));
    assert_eq!(weekly.weeks.len(), 3);
}

#[test]
fn open_follow_ups_are_tallied_by_group_with_the_overdue_ones() {
    let today = day(11, 20);
    let followups = [
        followup(FollowupGroup::Detect, Some("U0ANN"), Some(day(11, 19)), false),
        followup(FollowupGroup::Detect, Some("U0ANN"), Some(day(11, 20)), false),
        followup(FollowupGroup::Prevent, None, None, false),
        followup(FollowupGroup::Prevent, Some("U0BOB"), Some(day(11, 1)), true),
    ];
    let tallies = followup_tallies(&followups, today);
    assert_eq!(
        tallies.by_group,
        [
            (FollowupGroup::Prevent, Tally { open: 1, overdue: 0 }),
            (FollowupGroup::Detect, Tally { open: 2, overdue: 1 }),
            (FollowupGroup::Handle, Tally::default()),
        ],
        "due today is not overdue; a done one is not open"
    );
    assert_eq!(tallies.total, Tally { open: 3, overdue: 1 });
}

#[test]
fn owners_are_listed_most_overdue_first_and_nobody_last() {
    let today = day(11, 20);
    let late = Some(day(11, 1));
    let followups = [
        followup(FollowupGroup::Handle, None, late, false),
        followup(FollowupGroup::Handle, Some("U0CAT"), None, false),
        followup(FollowupGroup::Handle, Some("U0CAT"), None, false),
        followup(FollowupGroup::Handle, Some("U0BOB"), late, false),
        followup(FollowupGroup::Handle, Some("U0ANN"), None, false),
        followup(FollowupGroup::Handle, Some("U0DAN"), late, true),
    ];
    let tallies = followup_tallies(&followups, today);
    let owners: Vec<(Option<&str>, usize, usize)> =
        tallies.by_owner.iter().map(|(owner, t)| (owner.as_ref().map(UserId::as_str), t.open, t.overdue)).collect();
    assert_eq!(
        owners,
        [(Some("U0BOB"), 1, 1), (Some("U0CAT"), 2, 0), (Some("U0ANN"), 1, 0), (None, 1, 1)],
        "U0DAN's only follow-up is done"
    );
}

#[test]
fn no_follow_ups_still_lists_the_three_groups() {
    let tallies = followup_tallies(&[], day(11, 20));
    assert_eq!(tallies.by_group.len(), 3);
    assert!(tallies.by_owner.is_empty());
    assert_eq!(tallies.total, Tally::default());
}

#[test]
fn a_group_is_counted_under_its_rule_else_its_alert_name_else_its_title() {
    assert_eq!(group("alertmanager", Some("team=db"), Some("DiskFull"), AlertState::Open, 1).rule_name(), "team=db");
    assert_eq!(group("alertmanager", None, Some("DiskFull"), AlertState::Open, 1).rule_name(), "DiskFull");
    assert_eq!(group("datadog", None, None, AlertState::Open, 1).rule_name(), "Disk full on db-1");
}

#[test]
fn alerts_are_tallied_by_source_and_rule_with_what_became_of_them() {
    let mut declared_by_rule = group("alertmanager", Some("team=db"), None, AlertState::Declared, 1);
    declared_by_rule.action = AlertAction::Declare;
    let groups = [
        group("alertmanager", None, Some("DiskFull"), AlertState::Declared, 2),
        group("alertmanager", None, Some("DiskFull"), AlertState::Dismissed, 3),
        group("alertmanager", None, Some("DiskFull"), AlertState::Open, 1),
        group("grafana", None, Some("DiskFull"), AlertState::Resolved, 1),
        declared_by_rule,
    ];
    let rows = alert_tallies(&groups);
    let row = |source: &str, rule: &str| AlertTally {
        source: source.into(),
        rule: Some(rule.into()),
        ..AlertTally::default()
    };
    assert_eq!(
        rows,
        [
            AlertTally { groups: 6, declared: 2, prompted: 6, dismissed: 3, ..row("alertmanager", "DiskFull") },
            AlertTally { groups: 1, declared: 1, prompted: 0, dismissed: 0, ..row("alertmanager", "team=db") },
            AlertTally { groups: 1, declared: 0, prompted: 1, dismissed: 0, ..row("grafana", "DiskFull") },
        ],
        "busiest first, then by source and rule; a declare rule prompts nobody"
    );
}

#[test]
fn alert_rows_beyond_the_limit_are_summed_into_one() {
    let groups: Vec<AlertGroupSeen> = (0..ALERT_ROWS + 3)
        .map(|n| group("alertmanager", None, Some(&format!("Rule{n:02}")), AlertState::Dismissed, 1 + n % 2))
        .collect();
    let rows = alert_tallies(&groups);
    assert_eq!(rows.len(), ALERT_ROWS + 1);
    let rest = rows.last().unwrap();
    assert_eq!(rest.rule, None);
    let all: usize = groups.iter().map(|g| g.count).sum();
    assert_eq!(rows.iter().map(|r| r.groups).sum::<usize>(), all, "nothing is lost");
    assert_eq!(rest.groups, rest.dismissed);
    assert!(rows[..ALERT_ROWS].iter().all(|r| r.rule.is_some()));
    assert_eq!(rows[0].groups, 2, "the busier rules are kept");
}

#[test]
fn no_alerts_make_no_rows() {
    assert!(alert_tallies(&[]).is_empty());
}
