//! Killed mid-declaration (SIGKILL) and restarted on the same database: still one channel,
//! every notice once. Terminated (SIGTERM): the job in flight finishes. And the binary in
//! both modes, with its logs read for secrets.

use std::time::Duration;

use firebell::config::env::DatabaseUrl;
use firebell::store::Store;

use crate::support::database;
use crate::support::fake_slack::{APP_TOKEN, BOT_USER_ID, FakeSlack, Fault};
use crate::support::process::{Firebell, Setup};
use crate::support::{signing, wait, workspace};

/// Writes the contract's policy beside the test database; returns its path.
fn contract_policy(db: &database::TestDatabase) -> std::path::PathBuf {
    db.write_policy(workspace::CONTRACT_POLICY)
}

/// Declares through a first process, kills it once `killed_when` holds, restarts, and
/// checks that the incident came out whole and single.
async fn declare_kill_restart(prepare: impl Fn(&FakeSlack), killed_when: impl Fn(&FakeSlack) -> bool) -> FakeSlack {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    prepare(&slack);
    let db = database::sqlite();
    let policy = contract_policy(&db);
    let setup = Setup {
        slack: &slack,
        database_url: &db.url,
        policy: &policy,
        log: db.dir.path().join("firebell.log"),
        env: vec![],
    };

    let first = Firebell::start(&setup).await;
    let reply = first.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    assert!(reply.starts_with("Declaring incident #1"), "{reply}");
    wait::until_sync("the moment to kill", || killed_when(&slack)).await;
    first.kill().await;

    let _second = Firebell::start(&setup).await;
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the restarted process to finish the declaration", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    let log = std::fs::read_to_string(db.dir.path().join("firebell.log")).unwrap_or_default();
    assert!(store.failed_jobs().await.unwrap().is_empty(), "no job failed; log:\n{log}");

    assert_eq!(slack.channels_named_like(&format!("inc-{}-1", workspace::seoul_today())), 1, "exactly one channel");
    let channel =
        slack.channel_by_name(&format!("inc-{}-1-checkout-is-down", workspace::seoul_today())).expect("the channel");
    for notice_channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&slack, notice_channel).len(), 1, "{notice_channel} told once");
    }
    assert_eq!(workspace::bot_posts(&slack, &channel.id).len(), 1, "one summary");
    assert_eq!(channel.pins.len(), 1);
    assert!(channel.members.contains(&"U0ONCALL1".to_owned()));
    let declared =
        slack.responses().iter().filter(|r| r["text"].as_str().unwrap_or_default().contains("is declared")).count();
    assert_eq!(declared, 1, "the reporter is told once");
    slack
}

#[tokio::test]
async fn killed_before_the_channel_is_created_it_is_created_once_after_restart() {
    let slack = declare_kill_restart(
        // The first create never reaches Slack's side: the process dies waiting.
        |slack| slack.inject("conversations.create", Fault::Hang),
        |slack| !slack.calls_to("conversations.create").is_empty(),
    )
    .await;
    assert_eq!(slack.calls_to("conversations.create").len(), 2, "asked again after the restart");
}

#[tokio::test]
async fn killed_right_after_slack_created_the_channel_it_adopts_it_after_restart() {
    let name = format!("inc-{}-1-checkout-is-down", workspace::seoul_today());
    let slack = declare_kill_restart(
        // Slack creates the channel, but the answer never arrives: the process dies first.
        |slack| slack.inject("conversations.create", Fault::HangAfterEffect),
        move |slack| slack.channel_by_name(&name).is_some(),
    )
    .await;
    assert_eq!(slack.calls_to("conversations.create").len(), 2, "the second create met name_taken");
    assert!(!slack.calls_to("users.conversations").is_empty(), "it looked its own channel up among the bot's");
    assert_eq!(
        slack.channels_named_like(&format!("inc-{}-1-checkout-is-down-2", workspace::seoul_today())),
        0,
        "no -2 for our own channel"
    );
}

#[tokio::test]
async fn killed_right_after_slack_accepted_each_post_nothing_is_posted_twice() {
    // Every message is posted, but the first answer of each kind never arrives: the process
    // dies in the window between Slack accepting the post and firebell recording it.
    for nth in 1..=4 {
        let slack = declare_kill_restart(
            move |slack| {
                for _ in 1..nth {
                    slack.inject("chat.postMessage", Fault::Latency(Duration::ZERO));
                }
                slack.inject("chat.postMessage", Fault::HangAfterEffect);
            },
            move |slack| slack.calls_to("chat.postMessage").len() >= nth,
        )
        .await;
        let lookups = slack.calls_to("conversations.history").len() + slack.calls_to("conversations.replies").len();
        assert!(lookups >= 1, "post {nth}: the retry looked for its message first");
    }
}

#[tokio::test]
async fn killed_after_a_post_that_followed_a_join_nothing_is_posted_twice() {
    // The bot is not in payments' channel: its notice is refused (not_in_channel), the bot
    // joins and posts again. The kill lands after Slack accepted one of the posts; whichever
    // it was, the retry must find it by its delivery key rather than post it again.
    for nth in 1..=4 {
        let slack = declare_kill_restart(
            move |slack| {
                slack.set_chat_write_public(false);
                slack.remove_member("C0PAYMENTS", BOT_USER_ID);
                for _ in 1..nth {
                    slack.inject("chat.postMessage", Fault::Latency(Duration::ZERO));
                }
                slack.inject("chat.postMessage", Fault::HangAfterEffect);
            },
            move |slack| slack.calls_to("chat.postMessage").len() >= nth,
        )
        .await;
        assert!(!slack.calls_to("conversations.join").is_empty(), "post {nth}: the bot joined payments' channel");
    }
}

#[tokio::test]
async fn a_lookup_that_fails_after_a_crash_delays_the_post_instead_of_doubling_it() {
    // The first post lands but its answer never arrives; after the restart Slack's history is
    // briefly unavailable (5xx), so the retry cannot tell whether its message is there yet.
    let slack = declare_kill_restart(
        |slack| {
            slack.inject("chat.postMessage", Fault::HangAfterEffect);
            for _ in 0..3 {
                slack.inject("conversations.history", Fault::ServerError(503));
            }
        },
        |slack| !slack.calls_to("chat.postMessage").is_empty(),
    )
    .await;
    assert!(slack.calls_to("conversations.history").len() >= 4, "it asked again until history answered");
}

#[tokio::test]
async fn sigterm_lets_the_job_in_flight_finish_before_exiting() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    slack.inject("conversations.create", Fault::Latency(std::time::Duration::from_millis(1500)));
    let db = database::sqlite();
    let policy = contract_policy(&db);
    let setup = Setup {
        slack: &slack,
        database_url: &db.url,
        policy: &policy,
        log: db.dir.path().join("firebell.log"),
        env: vec![],
    };
    let firebell = Firebell::start(&setup).await;
    firebell.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    wait::until_sync("conversations.create to be in flight", || !slack.calls_to("conversations.create").is_empty())
        .await;

    let status = firebell.terminate().await;
    assert!(status.success(), "a clean exit: {status}");
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    let incident = store.incident_by_number(firebell::domain::incident::IncidentNumber(1)).await.unwrap().unwrap();
    assert!(incident.channel.is_some(), "the channel the job was creating is recorded");
    let open_channel = store.all_jobs().await.unwrap().into_iter().find(|j| j.kind == "open_channel").unwrap();
    assert_eq!(open_channel.state, firebell::store::outbox::JobState::Done);
}

#[tokio::test]
async fn json_logs_of_a_full_scenario_never_contain_a_token_or_the_signing_secret() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let policy = contract_policy(&db);
    let log = db.dir.path().join("firebell.log");
    const WEBHOOK_TOKEN: &str = "hook-token-that-must-not-leak";
    let env = vec![
        ("FIREBELL_LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "debug".to_owned()),
        ("FIREBELL_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned()),
    ];
    let setup = Setup { slack: &slack, database_url: &db.url, policy: &policy, log: log.clone(), env };
    let firebell = Firebell::start(&setup).await;
    firebell.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    wait::until_sync("the notices", || workspace::bot_posts(&slack, "C0INCIDENTS").len() == 1).await;
    // An alert with the right token and one with a wrong token: neither token is logged.
    let client = reqwest::Client::new();
    for (token, status) in [(WEBHOOK_TOKEN, 202), ("hook-token-guessed-wrong", 401)] {
        let response = client
            .post(format!("{}/webhooks/alertmanager", firebell.base_url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(include_str!("../fixtures/alerts/alertmanager_firing.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
    }
    assert!(firebell.terminate().await.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().count() > 10, "a real log: {text}");
    for line in text.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not a JSON line: {line}");
    }
    for secret in ["xoxb-test-token", crate::support::signing::SIGNING_SECRET, WEBHOOK_TOKEN, "hook-token-guessed"] {
        assert!(!text.contains(secret), "the log contains {secret}");
    }
}

#[tokio::test]
async fn in_socket_mode_the_binary_declares_stops_on_sigterm_and_never_logs_the_app_token() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let policy = contract_policy(&db);
    let log = db.dir.path().join("firebell.log");
    let env = vec![
        ("SLACK_APP_TOKEN", APP_TOKEN.to_owned()),
        ("SLACK_SIGNING_SECRET", String::new()),
        ("FIREBELL_LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "debug".to_owned()),
    ];
    let setup = Setup { slack: &slack, database_url: &db.url, policy: &policy, log: log.clone(), env };
    let firebell = Firebell::start(&setup).await;
    wait::until_sync("a Socket Mode connection", || slack.socket.open_now() == 1).await;
    let payload = signing::command_payload(
        "declare sev1 service:payments Checkout is down",
        "C0GENERAL",
        "U0REPORTER",
        &slack.response_url("cmd"),
    );
    let id = slack.socket.send_envelope("slash_commands", payload, true, 0).expect("a Socket Mode connection is open");
    wait::until_sync("the acknowledgement", || !slack.socket.acks(&id).is_empty()).await;
    wait::until_sync("the notices", || workspace::bot_posts(&slack, "C0INCIDENTS").len() == 1).await;

    assert!(firebell.terminate().await.success());
    wait::until_sync("the connection to close", || slack.socket.open_now() == 0).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("Socket Mode connected"), "{text}");
    for secret in ["xoxb-test-token", APP_TOKEN, "ticket="] {
        assert!(!text.contains(secret), "the log contains {secret}");
    }
}
