//! Criterion benchmarks of the hot paths that do not need Slack: request signature
//! verification, `/incident` parsing, audience computation, and the reminder scan over
//! 10,000 open incidents on SQLite (the work of one reminder-worker tick).
//!
//! Run with `cargo bench --bench core`. The retrospective builder has its own bench (`retro`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark fails loudly")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use firebell::app::App;
use firebell::app::health::Health;
use firebell::clock::{Clock, SystemClock};
use firebell::config::env::DatabaseUrl;
use firebell::config::policy;
use firebell::domain::command::parse;
use firebell::domain::ids::{TeamId, UserId};
use firebell::domain::incident::{ServiceName, SeverityName};
use firebell::domain::{audience, reminders};
use firebell::metrics::Metrics;
use firebell::slack::client::SlackApi;
use firebell::slack::signature;
use firebell::store::Store;
use firebell::store::incidents::{self, NewIncident};
use secrecy::SecretString;

const POLICY: &str = include_str!("../tests/fixtures/contract_policy.toml");

fn contract_policy() -> firebell::domain::policy::Policy {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("firebell.toml");
    std::fs::write(&path, POLICY).unwrap();
    policy::load(Some(&path)).unwrap().policy
}

fn signatures(c: &mut Criterion) {
    let secret = b"8f742231b10e8888abcd99yyyzzz85a5";
    let body = b"token=x&team_id=T0FIREBELL&channel_id=C0GENERAL&user_id=U0REPORTER&command=%2Fincident&text=declare+sev1+service%3Apayments+Checkout+is+down&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0FIREBELL%2F1%2Fabc&trigger_id=1.2.3";
    let now = Utc::now();
    let timestamp = now.timestamp().to_string();
    let valid = signature::sign(secret, &timestamp, body);
    c.bench_function("signature: verify a slash command", |b| {
        b.iter(|| signature::verify(secret, Some(&timestamp), Some(&valid), black_box(body), now).unwrap())
    });
}

fn commands(c: &mut Criterion) {
    let policy = contract_policy();
    let mut group = c.benchmark_group("parse");
    for text in [
        "help",
        "declare sev1 service:payments service:checkout Checkout is down for card payments",
        "update Rolled back v42; error rate falling, next update in 15 minutes",
        "followup prevent Canary the gateway config <@U0ONCALL1|oncall> due:2026-12-10",
    ] {
        let word = text.split_whitespace().next().unwrap_or_default();
        group.bench_function(word, |b| b.iter(|| parse(black_box(text), &policy).unwrap()));
    }
    group.finish();
}

fn audiences(c: &mut Criterion) {
    let policy = contract_policy();
    let services = [ServiceName::from_stored("payments".into())];
    let sev1 = SeverityName::from_stored("SEV1".into());
    c.bench_function("audience: SEV1 on payments (dependents, announcements)", |b| {
        b.iter(|| audience::audience(&policy, black_box(&sev1), black_box(&services), false))
    });
}

/// A store with `open` incidents whose reminders are due in an hour, and `due` more due now.
async fn store_with_incidents(dir: &std::path::Path, open: usize, due: usize) -> Store {
    let store = Store::connect(&DatabaseUrl::Sqlite(dir.join("bench.db"))).await.unwrap();
    store.migrate().await.unwrap();
    let policy = contract_policy();
    let mut tx = store.begin().await.unwrap();
    for n in 0..open + due {
        let severity = SeverityName::from_stored("SEV2".into());
        let declared_at =
            if n < open { Utc::now() + chrono::Duration::hours(1) } else { Utc::now() - chrono::Duration::hours(1) };
        let new = NewIncident {
            title: format!("Incident {n}"),
            timers: reminders::declared(&policy, &severity, declared_at),
            severity,
            private: false,
            reporter: UserId::parse("U0REPORTER").unwrap(),
            impact: None,
            description: None,
            services: vec![ServiceName::from_stored("payments".into())],
        };
        incidents::insert(&mut tx, &new, declared_at).await.unwrap();
    }
    tx.commit().await.unwrap();
    store
}

fn reminder_scan(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime.block_on(store_with_incidents(dir.path(), 10_000, 0));
    let policy = contract_policy();
    let app = App {
        store: store.clone(),
        help: Arc::new(firebell::app::reply::help(&policy).rendered_ahead()),
        policy: Arc::new(policy),
        clock: Arc::new(SystemClock) as Arc<dyn Clock>,
        metrics: Arc::new(Metrics::default()),
        health: Arc::new(Health::default()),
        team_id: TeamId::parse("T0FIREBELL").unwrap(),
        // Never called: nothing is due, so a tick only reads the database.
        slack: SlackApi::new("http://127.0.0.1:9/api/", &SecretString::from("xoxb-unused")).unwrap(),
        pagers: Arc::default(),
        outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
        public_url: None,
    };
    let mut group = c.benchmark_group("reminders");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("tick over 10,000 open incidents, none due", |b| {
        b.iter(|| runtime.block_on(app.tick_reminders()).unwrap())
    });
    group.bench_function("due_incidents over 10,000 open incidents", |b| {
        b.iter(|| runtime.block_on(store.due_incidents(Utc::now())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, signatures, commands, audiences, reminder_scan);
criterion_main!(benches);
