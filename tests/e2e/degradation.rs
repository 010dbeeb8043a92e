//! Slack degraded, one way at a time: every announcement still arrives exactly once, or the
//! failure is surfaced to the reporter — never lost, never doubled, never a silent retry loop.
//!
//! Durations scale with `FIREBELL_DEGRADATION_SCALE` (default 1: a few seconds each, for CI);
//! a local run can use e.g. `FIREBELL_DEGRADATION_SCALE=20` for a minute-long 5xx outage and
//! longer 429 storms.

use std::time::Duration;

use firebell::config::env::DatabaseUrl;
use firebell::store::Store;
use firebell::store::outbox::JobState;

use crate::support::app::TestApp;
use crate::support::fake_slack::{BOT_USER_ID, FakeSlack, Fault, TOKEN};
use crate::support::process::{Firebell, Setup};
use crate::support::{database, wait, workspace};

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

/// Slack's `Retry-After` decides when the job runs again (not firebell's own short backoff).
#[tokio::test]
async fn a_429s_retry_after_schedules_the_next_try() {
    let app = workspace::spawn().await;
    app.slack.inject("conversations.create", Fault::RateLimited { retry_after_secs: 120 });
    declare_sev1(&app).await;
    let store = &app.app.store;
    wait::until("the channel's job to meet the 429", || async {
        store.all_jobs().await.unwrap().iter().any(|j| j.kind == "open_channel" && j.last_error.is_some())
    })
    .await;
    let job = store.all_jobs().await.unwrap().into_iter().find(|j| j.kind == "open_channel").unwrap();
    assert_eq!((job.state, job.last_error.as_deref()), (JobState::Pending, Some("ratelimited")));
    // Two minutes away, give or take the test's own pace; the backoff would be 250 ms.
    let wait = job.run_at - chrono::Utc::now();
    assert!(wait > chrono::Duration::seconds(100), "the next try is {wait} away");
    assert_eq!(app.slack.calls_to("conversations.create").len(), 1, "no second try yet");
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
    assert!(app.app.metrics.counter("firebell_jobs_total", &[("outcome", "rate_limited")]) >= 3, "as rate limits");
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

/// Declares a SEV1 while Slack rejects the token with `code`, and waits until `/readyz` says
/// so and a job has met the rejection (counted in the metric).
async fn declare_and_meet_the_rejection(app: &TestApp, code: &str) {
    declare_sev1(app).await;
    wait::until(&format!("readyz to report {code}"), || async {
        let response = app.get("/readyz").await;
        response.status() == 503 && response.text().await.unwrap().contains(code)
    })
    .await;
    wait::until_sync("a job to meet the rejected token", || {
        app.app.metrics.counter("firebell_jobs_total", &[("outcome", "auth_rejected")]) >= 1
    })
    .await;
}

#[tokio::test]
async fn a_revoked_token_is_loud_and_drops_nothing() {
    let app = workspace::spawn().await;
    app.slack.revoke_token();
    declare_and_meet_the_rejection(&app, "token_revoked").await;
    let jobs = app.app.store.all_jobs().await.unwrap();
    assert!(jobs.iter().all(|j| j.state != JobState::Failed), "nothing is given up: {jobs:?}");
    assert!(app.app.store.unfinished_jobs().await.unwrap() >= 1, "the work waits for a good token");
}

#[tokio::test]
async fn an_invalid_token_holds_the_work_and_a_fixed_one_sends_all_of_it_once() {
    let app = workspace::spawn().await;
    // The token firebell holds is no longer the workspace's: every call gets `invalid_auth`.
    app.slack.set_token("xoxb-another-token");
    declare_and_meet_the_rejection(&app, "invalid_auth").await;
    // Fixed: the next call that succeeds (the second incident's) releases the held work.
    app.slack.set_token(TOKEN);
    let reply = app.command("declare sev3 service:search Search is slow").await;
    assert!(reply["text"].as_str().unwrap().starts_with("Declaring incident #2"), "{reply}");
    drained(&app).await;
    every_notice_once(&app.slack);
    assert_eq!(workspace::bot_posts(&app.slack, "C0SEARCH").len(), 1);
    assert_eq!(app.slack.channels_named_like("inc-"), 2, "one channel per incident");
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty(), "nothing given up");
    assert_eq!(app.get("/readyz").await.status(), 200);
}

/// The whole story on the real binary: the rejection is logged once however many jobs meet
/// it; a new token and a restart send every held announcement once, released at start-up
/// rather than after the 30 s wait between tries.
#[tokio::test]
async fn a_revoked_token_is_logged_once_and_a_restart_with_a_good_token_sends_the_held_work() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let policy = db.write_policy(&workspace::policy());
    let log = db.dir.path().join("firebell.log");
    let setup = Setup { slack: &slack, database_url: &db.url, policy: &policy, log: log.clone(), env: vec![] };
    let first = Firebell::start(&setup).await;
    slack.revoke_token();
    for text in ["declare sev1 service:payments Checkout is down", "declare sev1 service:payments Refunds fail"] {
        let reply = first.command(text, &slack.response_url("cmd")).await;
        assert!(reply.starts_with("Declaring incident #"), "{reply}");
    }
    let client = reqwest::Client::new();
    wait::until("two jobs to meet the revoked token", || {
        let (client, url) = (client.clone(), format!("{}/metrics", first.base_url));
        async move {
            let metrics = client.get(url).send().await.unwrap().text().await.unwrap();
            let rejected: f64 = metrics
                .lines()
                .filter(|line| line.starts_with("firebell_jobs_total") && line.contains("auth_rejected"))
                .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
                .sum();
            rejected >= 2.0
        }
    })
    .await;
    let readyz = client.get(format!("{}/readyz", first.base_url)).send().await.unwrap();
    assert_eq!(readyz.status(), 503);
    assert!(readyz.text().await.unwrap().contains("token_revoked"));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.matches("Slack rejected the bot token").count(), 1, "logged once:\n{logged}");
    assert!(bot_posts_anywhere(&slack).is_empty(), "nothing could be posted");

    first.kill().await;
    slack.set_token(TOKEN);
    let second = Firebell::start(&setup).await;
    wait::until_sync("the held work to be released at start-up", || {
        std::fs::read_to_string(&log).unwrap().contains("the work held back by the rejected token goes now")
    })
    .await;
    wait::until_sync("both incidents' notices", || {
        ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"].iter().all(|c| workspace::bot_posts(&slack, c).len() >= 2)
    })
    .await;
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the outbox to drain", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&slack, channel).len(), 2, "{channel}: each incident's notice once");
    }
    assert_eq!(slack.channels_named_like("inc-"), 2);
    assert!(store.failed_jobs().await.unwrap().is_empty());
    assert_eq!(client.get(format!("{}/readyz", second.base_url)).send().await.unwrap().status(), 200);
    second.kill().await;
}

/// Every top-level bot post in the policy's channels.
fn bot_posts_anywhere(slack: &FakeSlack) -> Vec<String> {
    ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS", "C0GENERAL"]
        .iter()
        .flat_map(|c| workspace::bot_posts(slack, c))
        .map(|m| m.text)
        .collect()
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

/// The policy's checkout team channel was deleted (or its id mistyped).
fn checkout_missing(slack: &FakeSlack) {
    workspace::seed(slack);
    slack.remove_channel("C0CHECKOUT");
}

/// A declaration whose checkout notice meets `code`: the other notices arrive, the reporter is
/// told which channel and why, and nothing is retried.
async fn checkout_notice_fails_for_good(prepare: fn(&FakeSlack), code: &str) {
    let app = crate::support::app::spawn_app_with(crate::support::app::Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(prepare),
        ..Default::default()
    })
    .await;
    declare_sev1(&app).await;
    drained(&app).await;
    assert_eq!(workspace::bot_posts(&app.slack, "C0PAYMENTS").len(), 1);
    assert_eq!(workspace::bot_posts(&app.slack, "C0INCIDENTS").len(), 1);
    assert!(workspace::bot_posts(&app.slack, "C0CHECKOUT").is_empty());
    let told = told_the_reporter(&app);
    assert!(told.iter().any(|t| t.contains("<#C0CHECKOUT>") && t.contains(code)), "{code}: {told:?}");
    assert_eq!(app.app.store.unfinished_jobs().await.unwrap(), 0, "no retry loop on a permanent error");
    assert_eq!(app.app.metrics.counter("firebell_jobs_total", &[("outcome", "channel_failed")]), 1);
}

#[tokio::test]
async fn an_archived_channel_is_permanent_and_surfaced_with_what_to_do() {
    checkout_notice_fails_for_good(checkout_archived, "is_archived").await;
}

#[tokio::test]
async fn a_missing_channel_is_permanent_and_surfaced_with_what_to_do() {
    checkout_notice_fails_for_good(checkout_missing, "channel_not_found").await;
}
