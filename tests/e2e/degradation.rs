//! Slack degraded, one way at a time: every announcement still arrives exactly once, or the
//! failure is surfaced to the reporter — never lost, never doubled, never a silent retry loop.
//!
//! Durations scale with `FIREBELL_DEGRADATION_SCALE` (default 1: a few seconds each, for CI);
//! a local run can use e.g. `FIREBELL_DEGRADATION_SCALE=20` for a minute-long 5xx outage and
//! longer 429 storms.

use std::time::Duration;

use firebell::store::outbox::JobState;

use crate::support::app::TestApp;
use crate::support::fake_slack::{BOT_USER_ID, FakeSlack, Fault};
use crate::support::{wait, workspace};

fn scale() -> f64 {
    std::env::var("FIREBELL_DEGRADATION_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0)
}

/// Waits until the outbox is empty, for longer when the degradation is scaled up.
async fn drained(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + wait::DEADLINE.mul_f64(scale().max(1.0));
    while app.app.store.unfinished_jobs().await.unwrap() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the outbox did not drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn declare_sev1(app: &TestApp) {
    let reply = app.command("declare sev1 service:payments Checkout is down").await;
    assert!(reply["text"].as_str().unwrap().starts_with("Declaring incident #1"), "{reply}");
}

/// Each notice of a SEV1 on payments is in its channel exactly once.
fn every_notice_once(slack: &FakeSlack) {
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(slack, channel).len(), 1, "{channel}");
    }
}

fn told_the_reporter(app: &TestApp) -> Vec<String> {
    app.slack.responses().iter().map(|r| r["text"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn a_429_storm_is_waited_out_and_every_notice_arrives_once() {
    let app = workspace::spawn().await;
    let storm = (5.0 * scale()).round() as usize;
    for method in ["conversations.create", "chat.postMessage"] {
        for _ in 0..storm {
            app.slack.inject(method, Fault::RateLimited { retry_after_secs: 1 });
        }
    }
    declare_sev1(&app).await;
    drained(&app).await;
    every_notice_once(&app.slack);
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
    assert!(app.app.metrics.counter("firebell_jobs_total", &[("outcome", "rate_limited")]) >= 1);
}

#[tokio::test]
async fn ratelimited_in_a_200_body_is_a_rate_limit_too() {
    let app = workspace::spawn().await;
    for _ in 0..3 {
        app.slack.inject("chat.postMessage", Fault::SlackError("ratelimited".into()));
    }
    declare_sev1(&app).await;
    drained(&app).await;
    every_notice_once(&app.slack);
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty(), "retried, not failed");
}

#[tokio::test]
async fn a_5xx_outage_delays_everything_and_doubles_nothing() {
    let app = workspace::spawn().await;
    app.slack.outage(Duration::from_secs_f64(3.0 * scale()), 500);
    declare_sev1(&app).await;
    drained(&app).await;
    every_notice_once(&app.slack);
    assert_eq!(app.slack.channels_named_like(&format!("inc-{}-1", workspace::seoul_today())), 1);
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_call_that_never_answers_times_out_and_is_retried_once() {
    let app = workspace::spawn().await;
    app.slack.inject("chat.postMessage", Fault::Hang);
    declare_sev1(&app).await;
    drained(&app).await;
    every_notice_once(&app.slack);
    assert!(app.app.metrics.counter("firebell_slack_api_errors_total", &[("code", "transient")]) >= 1);
}

#[tokio::test]
async fn a_revoked_token_is_loud_and_drops_nothing() {
    let app = workspace::spawn().await;
    app.slack.revoke_token();
    declare_sev1(&app).await;
    wait::until("readyz to report the revoked token", || async {
        let response = app.get("/readyz").await;
        response.status() == 503 && response.text().await.unwrap().contains("token_revoked")
    })
    .await;
    wait::until_sync("a job to meet the revoked token", || {
        app.app.metrics.counter("firebell_jobs_total", &[("outcome", "auth_rejected")]) >= 1
    })
    .await;
    let jobs = app.app.store.all_jobs().await.unwrap();
    assert!(jobs.iter().all(|j| j.state != JobState::Failed), "nothing is given up: {jobs:?}");
    assert!(app.app.store.unfinished_jobs().await.unwrap() >= 1, "the work waits for a good token");
}

fn payments_closed_to_the_bot(slack: &FakeSlack) {
    workspace::seed(slack);
    slack.set_chat_write_public(false);
    slack.remove_member("C0PAYMENTS", BOT_USER_ID);
}

#[tokio::test]
async fn not_in_channel_joins_the_public_channel_and_posts_once() {
    let app = crate::support::app::spawn_app_with(crate::support::app::Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(payments_closed_to_the_bot),
        ..Default::default()
    })
    .await;
    declare_sev1(&app).await;
    drained(&app).await;
    every_notice_once(&app.slack);
    let joined = app.slack.calls_to("conversations.join");
    assert!(joined.iter().any(|c| c.params["channel"] == "C0PAYMENTS"), "{joined:?}");
}

fn checkout_archived(slack: &FakeSlack) {
    workspace::seed(slack);
    slack.archive_channel("C0CHECKOUT");
}

#[tokio::test]
async fn an_archived_channel_is_permanent_and_surfaced_with_what_to_do() {
    let app = crate::support::app::spawn_app_with(crate::support::app::Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(checkout_archived),
        ..Default::default()
    })
    .await;
    declare_sev1(&app).await;
    drained(&app).await;
    assert_eq!(workspace::bot_posts(&app.slack, "C0PAYMENTS").len(), 1);
    assert_eq!(workspace::bot_posts(&app.slack, "C0INCIDENTS").len(), 1);
    assert!(workspace::bot_posts(&app.slack, "C0CHECKOUT").is_empty());
    let told = told_the_reporter(&app);
    assert!(told.iter().any(|t| t.contains("<#C0CHECKOUT>") && t.contains("is_archived")), "{told:?}");
    assert_eq!(app.app.store.unfinished_jobs().await.unwrap(), 0, "no retry loop on a permanent error");
    assert_eq!(app.app.metrics.counter("firebell_jobs_total", &[("outcome", "channel_failed")]), 1);
}
