//! Criterion benchmarks of the hot paths that do not need Slack: request signature
//! verification, reading a slash command's form, `/incident` parsing, audience computation,
//! rendering a notice, and the reminder scan over 10,000 open incidents on SQLite (the work of
//! one reminder-worker tick).
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
use firebell::domain::ids::{ChannelId, TeamId, UserId};
use firebell::domain::incident::{Incident, IncidentId, IncidentNumber, IncidentStatus, ServiceName, SeverityName};
use firebell::domain::policy::Mention;
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
    // What the server does: the key is made once, at start.
    let key = signature::SigningKey::new(secret);
    c.bench_function("signature: verify a slash command with the server's key", |b| {
        b.iter(|| key.verify(Some(&timestamp), Some(&valid), black_box(body), now).unwrap())
    });
}

/// Slack's whole form, as it sends it: a dozen fields, of which firebell reads seven.
const SLASH_FORM: &[u8] = b"token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0FIREBELL&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc&channel_id=C0GENERAL&channel_name=general&user_id=U0REPORTER&user_name=reporter&command=%2Fincident&text=declare+sev1+service%3Apayments+Checkout+is+down&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0FIREBELL%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456";

fn slash_forms(c: &mut Criterion) {
    c.bench_function("slash command form: read a declare", |b| {
        b.iter(|| firebell::slack::inbound::SlashCommand::parse(black_box(SLASH_FORM)).unwrap())
    });
}

fn notices(c: &mut Criterion) {
    let policy = contract_policy();
    let start = Utc::now();
    let incident = Incident {
        id: IncidentId::from_stored(1),
        number: IncidentNumber(42),
        title: "Checkout is down for card payments".into(),
        severity: SeverityName::from_stored("SEV1".into()),
        status: IncidentStatus::Investigating,
        private: false,
        drill: false,
        reporter: UserId::parse("U0REPORTER").unwrap(),
        lead: UserId::parse("U0LEAD"),
        impact: Some("Card payments fail at checkout <for everyone>".into()),
        description: None,
        services: vec![ServiceName::from_stored("payments".into())],
        channel: ChannelId::parse("C0INC"),
        channel_name: None,
        channel_attempt: 1,
        summary_ts: None,
        declared_at: start,
        last_update_at: start,
        version: 0,
        timers: Default::default(),
        last_reminder_ts: None,
    };
    c.bench_function("notice: render a SEV1's first notice", |b| {
        b.iter(|| firebell::render::incident::notice(black_box(&incident), &policy, Mention::Here, &[]))
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
            drill: false,
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
        help: Arc::default(),
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

criterion_group!(benches, signatures, slash_forms, commands, audiences, notices, reminder_scan);
criterion_main!(benches);
