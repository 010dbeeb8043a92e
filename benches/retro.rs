//! Retrospective builder benchmark: a channel of 100,000 messages (with threads, edits and
//! deletions) and 2,000 timeline events, built and rendered to Markdown.
//!
//! Run with `cargo bench --bench retro`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::collections::HashMap;
use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use firebell::app::retro;
use firebell::config::env::DatabaseUrl;
use firebell::config::policy::builtin;
use firebell::domain::ids::{ChannelId, UserId};
use firebell::domain::incident::IncidentId;
use firebell::domain::incident::{Incident, IncidentNumber, IncidentStatus, SeverityName};
use firebell::domain::record::{StoredMessage, TimelineEvent};
use firebell::domain::retrospective::{Gathered, build};
use firebell::domain::timeline::TimelineEntry;
use firebell::render::retro::markdown;
use firebell::store::Store;
use firebell::store::incidents::{self, NewIncident};
use firebell::store::messages::{self, NewMessage};
use firebell::store::timeline;

const MESSAGES: usize = 100_000;
const EVENTS: usize = 2_000;

fn incident() -> Incident {
    let start = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
    Incident {
        id: IncidentId::from_stored(1),
        number: IncidentNumber(1),
        title: "Everything is slow".into(),
        severity: SeverityName::from_stored("SEV1".into()),
        status: IncidentStatus::Resolved,
        private: false,
        drill: false,
        reporter: UserId::parse("U0REPORTER").unwrap(),
        lead: UserId::parse("U0LEAD"),
        impact: Some("All requests slow".into()),
        description: None,
        services: vec![],
        channel: ChannelId::parse("C0INC"),
        channel_name: None,
        channel_attempt: 1,
        summary_ts: None,
        declared_at: start,
        last_update_at: start,
        version: 0,
        timers: Default::default(),
        last_reminder_ts: None,
    }
}

fn record() -> (Vec<TimelineEvent>, Vec<StoredMessage>) {
    let start = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
    let users: Vec<UserId> = (0..200).map(|n| UserId::parse(&format!("U{n:05}")).unwrap()).collect();
    let messages = (0..MESSAGES)
        .map(|n| {
            let at = start + Duration::milliseconds(i64::try_from(n).unwrap() * 900);
            let ts = format!("{}.{:06}", at.timestamp(), n % 1_000_000);
            StoredMessage {
                incident_id: IncidentId::from_stored(1),
                channel: ChannelId::parse("C0INC").unwrap(),
                thread_ts: (n % 10 == 3)
                    .then(|| format!("{}.{:06}", (at - Duration::seconds(3)).timestamp(), (n - 3) % 1_000_000)),
                ts,
                user: Some(users[n % users.len()].clone()),
                text: (n % 97 != 0).then(|| {
                    format!("message {n}: checking <@{}> dashboards and the 5xx rate", users[(n * 7) % users.len()])
                }),
                file_count: i64::from(n % 50 == 0),
                subtype: None,
                edited: n % 31 == 0,
                deleted: n % 97 == 0,
                posted_at: at,
            }
        })
        .collect();
    let events = (0..EVENTS)
        .map(|n| {
            let at = start + Duration::seconds(i64::try_from(n).unwrap() * 45);
            let entry = if n % 5 == 0 {
                TimelineEntry::Highlight {
                    channel: ChannelId::parse("C0INC").unwrap(),
                    ts: format!("{}.{:06}", at.timestamp(), n),
                    by: users[(n * 3) % users.len()].clone(),
                }
            } else {
                TimelineEntry::Update { text: format!("update {n}"), status: None }
            };
            TimelineEvent {
                id: i64::try_from(n).unwrap(),
                incident_id: IncidentId::from_stored(1),
                at,
                author: Some(users[n % users.len()].to_string()),
                entry,
            }
        })
        .collect();
    (events, messages)
}

fn bench(c: &mut Criterion) {
    let (timeline, messages) = record();
    let incident = incident();
    let policy = builtin();
    let names = HashMap::new();
    let serious = [SeverityName::from_stored("SEV1".into())];
    let gathered = Gathered {
        incident: &incident,
        timeline: &timeline,
        messages: &messages,
        followups: &[],
        roles: &[],
        names: &names,
        blameless: true,
        serious: &serious,
        workspace_url: Some("https://acme.slack.com/"),
        locale: policy.locale,
    };
    let mut group = c.benchmark_group("retrospective");
    group.sample_size(10);
    group.bench_function("build 100k messages", |b| b.iter(|| black_box(build(black_box(&gathered)))));
    group.bench_function("build and render 100k messages", |b| {
        b.iter(|| black_box(markdown(&build(black_box(&gathered)), &policy)))
    });
    group.finish();
}

/// The same record written to a SQLite file through the store, so the whole path of
/// `firebell retro` (reading 100,000 messages, building, rendering) is measured. With
/// `FIREBELL_BENCH_RETRO_DB=PATH` the database is written there and kept, for
/// `/usr/bin/time -v firebell retro 1` with `DATABASE_URL=sqlite://PATH`.
fn from_sqlite(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var_os("FIREBELL_BENCH_RETRO_DB")
        .map_or_else(|| dir.path().join("retro.db"), std::path::PathBuf::from);
    let _ = std::fs::remove_file(&path);
    let policy = builtin();
    let (store, incident) = runtime.block_on(async {
        let store = Store::connect(&DatabaseUrl::Sqlite(path.clone())).await.unwrap();
        store.migrate().await.unwrap();
        let (timeline, messages) = record();
        let template = incident();
        let mut tx = store.begin().await.unwrap();
        let new = NewIncident {
            title: template.title.clone(),
            severity: template.severity.clone(),
            private: false,
            drill: false,
            reporter: template.reporter.clone(),
            impact: template.impact.clone(),
            description: None,
            services: vec![],
            timers: Default::default(),
        };
        let stored = incidents::insert(&mut tx, &new, template.declared_at).await.unwrap();
        let channel = ChannelId::parse("C0INC").unwrap();
        incidents::set_channel(&mut tx, stored.id, &channel, template.declared_at).await.unwrap();
        for message in &messages {
            let new = NewMessage {
                channel: &channel,
                ts: &message.ts,
                thread_ts: message.thread_ts.as_deref(),
                user: message.user.as_ref().map(UserId::as_str),
                text: message.text.as_deref().unwrap_or_default(),
                file_count: message.file_count,
                subtype: None,
            };
            messages::insert(&mut tx, stored.id, &new).await.unwrap();
        }
        for event in &timeline {
            let author = event.author.as_deref().and_then(UserId::parse);
            timeline::append(&mut tx, stored.id, event.at, author.as_ref(), &event.entry).await.unwrap();
        }
        tx.commit().await.unwrap();
        let incident = store.incident(stored.id).await.unwrap().unwrap();
        (store, incident)
    });
    let names = HashMap::new();
    let mut group = c.benchmark_group("retrospective from SQLite");
    group.sample_size(10);
    group.bench_function("read, build and render 100k messages", |b| {
        b.iter(|| {
            let retro = runtime.block_on(retro::build(&store, &policy, &incident, true, &names)).unwrap();
            black_box(markdown(&retro, &policy))
        })
    });
    group.finish();
}

criterion_group!(benches, bench, from_sqlite);
criterion_main!(benches);
