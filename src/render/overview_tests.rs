//! The overview's figures as worded, and the partial that shows them, in both languages.

use chrono::{Duration, NaiveDate, TimeZone};
use minijinja::{Environment, UndefinedBehavior, context};

use super::*;
use crate::config::policy::testing::contract_policy;
use crate::domain::alert::AlertState;
use crate::domain::change::PlannedChange;
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::UserId;
use crate::domain::incident::{IncidentId, ServiceName};
use crate::domain::overview::{AlertGroupSeen, Overview, alert_tallies, followup_tallies, weekly_by_severity};
use crate::domain::policy::AlertAction;
use crate::domain::stats::{IncidentTimes, compute};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 3, 0, 0).unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn policy(locale: Locale) -> Policy {
    Policy { locale, timezone: chrono_tz::Asia::Seoul, ..contract_policy() }
}

/// Three incidents, follow-ups, alerts (one with a hostile name) and two changes.
fn sample(policy: &Policy) -> Overview {
    let days = 30;
    let since = now() - Duration::days(days);
    let declared = now() - Duration::days(9);
    let incidents = [
        IncidentTimes {
            severity: "SEV1".into(),
            declared_at: declared,
            acknowledged_at: Some(declared + Duration::minutes(4)),
            resolved_at: Some(declared + Duration::minutes(95)),
            alerted_at: Some(declared - Duration::minutes(10)),
            first_action: Some((declared + Duration::minutes(6), "rollback".into())),
            drill: false,
        },
        IncidentTimes {
            severity: "SEV2".into(),
            declared_at: declared + Duration::days(1),
            acknowledged_at: None,
            resolved_at: None,
            alerted_at: None,
            first_action: None,
            drill: false,
        },
        IncidentTimes {
            severity: "SEV2".into(),
            declared_at: now() - Duration::days(1),
            acknowledged_at: None,
            resolved_at: None,
            alerted_at: None,
            first_action: None,
            drill: false,
        },
    ];
    let followup = |group, owner: Option<&str>, due: Option<NaiveDate>| Followup {
        id: 1,
        incident_id: IncidentId::from_stored(1),
        group,
        text: "Add an alert".into(),
        owner: owner.map(user),
        due,
        created_by: user("U0LEAD"),
        created_at: declared,
        done_at: None,
    };
    let followups = [
        followup(FollowupGroup::Detect, Some("U0ANN"), NaiveDate::from_ymd_opt(2026, 11, 30)),
        followup(FollowupGroup::Prevent, None, None),
    ];
    let alerts = [AlertGroupSeen {
        source: "alertmanager".into(),
        rule: None,
        labels: [("alertname".to_owned(), "<script>alert(1)</script>".to_owned())].into_iter().collect(),
        title: "Disk full".into(),
        state: AlertState::Dismissed,
        action: AlertAction::Prompt,
        count: 2,
    }];
    let change = |text: &str, at: DateTime<Utc>, services: &[&str]| PlannedChange {
        id: 1,
        text: text.into(),
        services: services.iter().map(|s| ServiceName::from_stored((*s).to_owned())).collect(),
        planned_at: Some(at),
        author: user("U0ANN"),
        created_at: at - Duration::days(3),
    };
    Overview {
        days,
        stats: compute(&incidents, &policy.severity_names(), &policy.actions, (5, 1, 2, 1)),
        weekly: weekly_by_severity(&incidents, &policy.severity_names(), since, now()),
        followups: followup_tallies(&followups, NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()),
        alerts: alert_tallies(&alerts),
        changes: vec![
            change("Upgrade <b>db</b> & restart", now() - Duration::hours(20), &["payments"]),
            change("Rotate certificates", now() + Duration::hours(5), &[]),
        ],
    }
}

/// Renders the partial alone, strictly, as the page will include it.
fn render_partial(figures: &Figures) -> String {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template("figures.html", TEMPLATE).unwrap();
    env.add_template("page.html", "<main>{% include \"figures.html\" %}</main>").unwrap();
    env.get_template("page.html").unwrap().render(context! { figures => figures }).unwrap()
}

#[test]
fn the_figures_equal_what_incident_stats_says_for_the_window() {
    let policy = policy(Locale::En);
    let overview = sample(&policy);
    let figures = figures(&overview, &policy, now()).unwrap();
    assert_eq!(figures.total, 3);
    let sev1 = &figures.times[0];
    assert_eq!(
        (sev1.severity.as_str(), sev1.count, sev1.mtta.as_str(), sev1.mttd.as_str(), sev1.mttfa.as_str()),
        ("SEV1", 1, "4m", "10m", "6m")
    );
    assert_eq!(sev1.mttr, "1h 35m");
    assert_eq!(figures.times[1].mtta, "—", "nothing to average");
    let report =
        crate::render::stats::report(&overview.stats, 30, crate::domain::stats::Drills::LeftOut, policy.locale);
    assert!(report.contains("MTTR 1h 35m") && report.contains("MTTFA 6m"), "{report}");
    assert_eq!((figures.reminders, figures.escalations), (5, 1));
    assert_eq!((figures.followups.open, figures.followups.overdue, figures.followups.done), (2, 1, 1));
    let weekly: usize = figures.weeks.iter().map(|w| w.total).sum();
    assert_eq!(weekly, figures.total, "every incident is in a week");
    assert_eq!(figures.first_actions.len(), 1);
    assert_eq!(figures.first_actions[0].mttr, "1h 35m");
}

#[test]
fn the_window_links_mark_the_current_one() {
    let policy = policy(Locale::En);
    let figures = figures(&sample(&policy), &policy, now()).unwrap();
    let links: Vec<(&str, &str, bool)> =
        figures.windows.iter().map(|w| (w.label.as_str(), w.href.as_str(), w.current)).collect();
    assert_eq!(
        links,
        [("7 days", "?window=7d", false), ("30 days", "?window=30d", true), ("90 days", "?window=90d", false)]
    );
    let page = render_partial(&figures);
    assert!(page.contains(r#"<a href="?window=30d" aria-current="page">30 days</a>"#), "{page}");
    assert_eq!(page.matches("aria-current").count(), 1);
}

#[test]
fn the_partial_renders_every_figure_in_english_and_escapes_what_people_typed() {
    let policy = policy(Locale::En);
    let page = render_partial(&figures(&sample(&policy), &policy, now()).unwrap());
    assert!(!page.contains("<script>") && !page.contains("<b>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "the rule name is shown, escaped: {page}");
    assert!(page.contains("Upgrade &lt;b&gt;db&lt;&#x2f;b&gt; &amp; restart"), "{page}");
    for expected in [
        "The last 30 days",
        "role=\"img\"",
        "Incidents per week by severity",
        "<abbr title=\"mean time to acknowledge\">MTTA</abbr>",
        "1h 35m",
        "rollback",
        "Reminders sent",
        "Improving detection",
        "U0ANN",
        "nobody yet",
        "Alerts by source and rule",
        "alertmanager",
        "Pre-shared changes, 2 days before and after now",
        "2026-12-02 17:00 KST",
        "upcoming",
        "payments",
    ] {
        assert!(page.contains(expected), "{expected} missing in {page}");
    }
    assert!(!page.contains("style="), "the page's CSP refuses inline styles");
}

#[test]
fn the_partial_renders_in_korean() {
    let policy = policy(Locale::Ko);
    let page = render_partial(&figures(&sample(&policy), &policy, now()).unwrap());
    for expected in ["최근 30일", "심각도별 주간 장애 건수", "1시간 35분", "탐지 개선", "담당자 없음", "예정", "30일"]
    {
        assert!(page.contains(expected), "{expected} missing in {page}");
    }
    assert!(!page.contains("<script>"));
    assert!(!page.contains("Reminders sent") && !page.contains("nobody yet"), "no English words: {page}");
}

#[test]
fn an_empty_window_says_so_instead_of_showing_empty_tables() {
    let policy = policy(Locale::En);
    let since = now() - Duration::days(7);
    let overview = Overview {
        days: 7,
        stats: compute(&[], &policy.severity_names(), &policy.actions, (0, 0, 0, 0)),
        weekly: weekly_by_severity(&[], &policy.severity_names(), since, now()),
        followups: followup_tallies(&[], now().date_naive()),
        alerts: Vec::new(),
        changes: Vec::new(),
    };
    let page = render_partial(&figures(&overview, &policy, now()).unwrap());
    for expected in ["No action was recorded.", "No follow-up is open.", "No alert came in.", "No change was shared"] {
        assert!(page.contains(expected), "{expected} missing in {page}");
    }
    assert!(page.contains("0 incidents in 2 weeks"), "{page}");
}

#[test]
fn the_rows_beyond_the_first_alert_rules_are_named_as_the_rest() {
    let row =
        alert_row(Locale::En, &AlertTally { source: String::new(), rule: None, groups: 3, ..AlertTally::default() });
    assert_eq!((row.rule.as_str(), row.others, row.groups), ("all others", true, 3));
    let long = "x".repeat(200);
    let row = alert_row(Locale::En, &AlertTally { rule: Some(long), ..AlertTally::default() });
    assert!(row.rule.chars().count() <= RULE_CHARS, "cut to {RULE_CHARS}");
}
