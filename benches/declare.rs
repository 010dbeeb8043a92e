//! Declare benchmark: acknowledgement latency of `/incident declare` and the time from the
//! command to the first notice in the affected team's channel.
//!
//! Runs the real app in-process on SQLite against the fake Slack (loopback, no faults), one
//! declaration at a time, and prints percentiles. Run with `cargo bench --bench declare`;
//! `FIREBELL_BENCH_DECLARES` sets how many (default 200).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark fails loudly")]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::app::{Options, spawn_app_with};
use support::workspace;

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
    let app = spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env: vec![("RUST_LOG", "off".to_owned())],
        ..Options::default()
    })
    .await;
    // Let the start-up checks settle so they do not count against the first declaration.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (mut acks, mut first_notices) = (Vec::with_capacity(count), Vec::with_capacity(count));
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
        app.outbox_drained().await;
    }
    println!("declare benchmark: {count} sequential SEV1 declarations, SQLite, fake Slack on loopback");
    report("acknowledgement", acks);
    report("declare → first notice", first_notices);
}
