//! The overview's queries on a fresh SQLite file, and on PostgreSQL too when
//! `FIREBELL_TEST_POSTGRES_URL` points at a server (as the end-to-end storage tests do).

use chrono::{Duration, TimeZone};
use sqlx::Connection;

use super::*;
use crate::config::env::DatabaseUrl;
use crate::domain::alert::AlertState;
use crate::domain::followup::FollowupGroup;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
}

async fn fresh(url: &str) -> Store {
    let store = Store::connect(&DatabaseUrl::parse(url).unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    store
}

async fn run(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

/// Two incidents (one before the window), their follow-ups, alert groups and changes.
async fn seed(store: &Store) {
    for (id, day) in [(1, 1), (2, 10)] {
        let ms = to_millis(at(day));
        run(
            store,
            &format!(
                "INSERT INTO incidents (id, number, title, severity, status, reporter, declared_at, last_update_at, updated_at)
                 VALUES ({id}, {id}, 'Checkout errors', 'SEV2', 'investigating', 'U0REP', {ms}, {ms}, {ms})"
            ),
        )
        .await;
    }
    let ms = to_millis(at(10));
    for (incident, group, owner, done) in
        [(1, "prevent", "'U0OLD'", "NULL"), (2, "detect", "'U0ANN'", "NULL"), (2, "handle", "NULL", &ms.to_string())]
    {
        run(
            store,
            &format!(
                "INSERT INTO followups (incident_id, grp, text, owner, due, created_by, created_at, done_at)
                 VALUES ({incident}, '{group}', 'Add an alert', {owner}, '2026-11-12', 'U0LEAD', {ms}, {done})"
            ),
        )
        .await;
    }
    for (key, day, state, action, rule) in [
        ("a", 10, "declared", "prompt", "NULL"),
        ("b", 11, "dismissed", "prompt", "NULL"),
        ("c", 11, "dismissed", "prompt", "NULL"),
        ("d", 12, "declared", "declare", "'team=db'"),
        ("e", 1, "dismissed", "prompt", "NULL"),
    ] {
        let seen = to_millis(at(day));
        run(
            store,
            &format!(
                "INSERT INTO alert_groups (source, group_key, state, action, rule, title, labels, severity, started_at, first_seen, last_seen)
                 VALUES ('alertmanager', '{key}', '{state}', '{action}', {rule}, 'Disk full', '{{\"alertname\":\"DiskFull\"}}', 'SEV3', {seen}, {seen}, {seen})"
            ),
        )
        .await;
    }
    for (text, planned, created) in
        [("soon", Some(13), 10), ("announced now", None, 12), ("long ago", None, 1), ("later", Some(20), 12)]
    {
        let planned = planned.map_or_else(|| "NULL".to_owned(), |d| to_millis(at(d)).to_string());
        run(
            store,
            &format!(
                "INSERT INTO changes (text, services, planned_at, author, created_at)
                 VALUES ('{text}', '[]', {planned}, 'U0ANN', {})",
                to_millis(at(created))
            ),
        )
        .await;
    }
}

async fn the_overview_reads_the_window_s_rows(store: &Store) {
    seed(store).await;
    let since = at(5);

    let followups = store.followups_of_incidents_since(since).await.unwrap();
    let groups: Vec<(FollowupGroup, bool)> = followups.iter().map(|f| (f.group, f.done_at.is_some())).collect();
    assert_eq!(groups, [(FollowupGroup::Detect, false), (FollowupGroup::Handle, true)], "not incident 1's");

    let mut seen = store.alert_groups_seen_since(since).await.unwrap();
    seen.sort_by_key(|g| (g.rule.clone(), g.state as u8));
    let summary: Vec<(Option<&str>, AlertState, AlertAction, usize, &str)> = seen
        .iter()
        .map(|g| (g.rule.as_deref(), g.state, g.action, g.count, g.labels.get("alertname").map_or("", String::as_str)))
        .collect();
    assert_eq!(
        summary,
        [
            (None, AlertState::Declared, AlertAction::Prompt, 1, "DiskFull"),
            (None, AlertState::Dismissed, AlertAction::Prompt, 2, "DiskFull"),
            (Some("team=db"), AlertState::Declared, AlertAction::Declare, 1, "DiskFull"),
        ]
    );

    let changes = store.changes_between(at(12) - Duration::days(2), at(12) + Duration::days(2)).await.unwrap();
    let texts: Vec<&str> = changes.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["announced now", "soon"], "by when they happen, not when announced");
}

#[tokio::test]
async fn the_overview_queries_work_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh(&format!("sqlite://{}", dir.path().join("firebell.db").display())).await;
    the_overview_reads_the_window_s_rows(&store).await;
    store.close().await;
}

#[tokio::test]
async fn the_overview_queries_work_on_postgres() {
    let Ok(admin_url) = std::env::var("FIREBELL_TEST_POSTGRES_URL") else {
        println!("skipped PostgreSQL: FIREBELL_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("firebell_overview_{}_{}", std::process::id(), Utc::now().timestamp_subsec_nanos());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let (base, query) = admin_url.split_once('?').map_or((admin_url.as_str(), None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    let url = format!("{base}/{name}{}", query.map_or_else(String::new, |q| format!("?{q}")));
    let store = fresh(&url).await;
    the_overview_reads_the_window_s_rows(&store).await;
    store.close().await;
    // FORCE: a pooled connection may still be closing (PostgreSQL 13+).
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
}
