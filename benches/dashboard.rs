//! Dashboard benchmark: the overview's page weight and server time with 1,000 incidents in
//! the database (the history the search benchmark writes, spread over the last 83 days, 50 of
//! them still open), for the 7, 30 and 90-day windows, and an incident's page.
//!
//! Runs the real app in-process on SQLite (fake Slack on loopback); each figure is 50 signed-in
//! `GET`s over loopback HTTP, one at a time. Run with `cargo bench --bench dashboard`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a benchmark fails loudly")]

#[path = "support/history.rs"]
mod history;
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::app::{Options, spawn_app_with};
use support::{database, workspace};

const INCIDENTS: usize = 1000;
const ROUNDS: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    const PUBLIC_URL: &str = "http://127.0.0.1";
    let app = spawn_app_with(Options {
        database: Some(database::sqlite()),
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env: vec![("RUST_LOG", "off".to_owned()), ("FIREBELL_PUBLIC_URL", PUBLIC_URL.to_owned())],
        ..Options::default()
    })
    .await;
    let store = &app.app.store;
    history::history(store, INCIDENTS).await;
    // Two hours apart up to now, so the windows hold incidents; every 20th open again.
    let now = chrono::Utc::now().timestamp_millis();
    sqlx::query("UPDATE incidents SET declared_at = $1 - number * 7200000, last_update_at = $1 - number * 7200000")
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE incidents SET status = 'investigating', resolved_at = NULL WHERE number % 20 = 0")
        .execute(store.pool())
        .await
        .unwrap();

    let reply = app.command_in("dashboard", "C0GENERAL", "U0ONCALL1").await;
    let text = reply["text"].as_str().unwrap();
    let start = text.find(PUBLIC_URL).unwrap() + PUBLIC_URL.len();
    let path: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in = client.get(format!("{}{path}", app.base_url)).send().await.unwrap();
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    println!("dashboard benchmark: {INCIDENTS} incidents (50 open), SQLite, {ROUNDS} sequential GETs each, loopback");
    for page in ["/?window=7d", "/", "/?window=90d", "/incidents", "/incidents/980"] {
        let (mut times, mut bytes, mut rows) = (Vec::with_capacity(ROUNDS), 0, 0);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let answer = client.get(format!("{}{page}", app.base_url)).header("cookie", &cookie).send().await.unwrap();
            assert_eq!(answer.status(), 200, "{page}");
            let body = answer.text().await.unwrap();
            bytes = body.len();
            rows = body.matches("<tr").count();
            times.push(started.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{page:<16} {bytes:>7} bytes {rows:>4} table rows  p50={:>6.2} ms  p95={:>6.2} ms  max={:>6.2} ms",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(*times.last().unwrap())
        );
    }
    for asset in ["/assets/dashboard.css", "/assets/live.js"] {
        let bytes = client.get(format!("{}{asset}", app.base_url)).send().await.unwrap().bytes().await.unwrap().len();
        println!("{asset:<22} {bytes:>7} bytes (cached an hour)");
    }
}
