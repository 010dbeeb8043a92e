//! Declare benchmark: acknowledgement latency of `/incident declare` and the time from the
//! command to the first notice in the affected team's channel.
//!
//! Runs the real app in-process on SQLite against the fake Slack (loopback, no faults), one
//! declaration at a time, and prints percentiles. Run with `cargo bench --bench declare`;
//! Pacing to Slack's limits is off (`FIREBELL_SLACK_PACING=off`): the fake limits nothing.
//! `FIREBELL_BENCH_DECLARES` sets how many (default 200); `FIREBELL_BENCH_HISTORY=10000` writes
//! that many resolved past incidents first, for the similar incidents each summary shows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark fails loudly")]

#[path = "support/history.rs"]
mod history;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use firebell::config::env::DatabaseUrl;
use firebell::store::Store;
use support::app::{Options, spawn_app_with};
use support::{database, workspace};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<28} n={:<4} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.95)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap()),
    );
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("FIREBELL_BENCH_DECLARES").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    let past: usize = std::env::var("FIREBELL_BENCH_HISTORY").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    let database = database::sqlite();
    if past > 0 {
        // Past incidents to compare each new one against (similar incidents in its summary).
        let store = Store::connect(&DatabaseUrl::parse(&database.url).unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        history::history(&store, past).await;
        store.pool().close().await;
    }
    let app = spawn_app_with(Options {
        database: Some(database),
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        // The fake sets no rate limit. Paced to Slack's published limits, 200 declarations
        // back to back would measure Slack's pace (conversations.create is Tier 2: 20 a
        // minute, so one every 3 s after the first 20), not firebell's own time.
        env: vec![("RUST_LOG", "off".to_owned()), ("FIREBELL_SLACK_PACING", "off".to_owned())],
        ..Options::default()
    })
    .await;
    // Let the start-up checks settle so they do not count against the first declaration.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (mut acks, mut first_notices, mut drained) =
        (Vec::with_capacity(count), Vec::with_capacity(count), Vec::with_capacity(count));
    for n in 0..count {
        let before = workspace::bot_posts(&app.slack, "C0PAYMENTS").len();
        let started = Instant::now();
        let response =
            app.command_response("declare sev1 service:payments Checkout is down", "C0GENERAL", "U0REPORTER").await;
        acks.push(started.elapsed());
        assert_eq!(response.status(), 200);
        let deadline = started + Duration::from_secs(10);
        while workspace::bot_posts(&app.slack, "C0PAYMENTS").len() == before {
            assert!(Instant::now() < deadline, "declaration {n} never reached the payments team");
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        first_notices.push(started.elapsed());
        // Everything delivered: the channel, its pinned summary (with the similar incidents), notices.
        while app.app.store.unfinished_jobs().await.unwrap() > 0 {
            assert!(Instant::now() < deadline, "declaration {n} was not delivered within 10 s");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drained.push(started.elapsed());
    }
    println!(
        "declare benchmark: {count} sequential SEV1 declarations, {past} past incidents, SQLite, fake Slack on loopback"
    );
    report("acknowledgement", acks);
    report("declare → first notice", first_notices);
    report("declare → all delivered", drained);
}
