//! Adopting our own channel after `name_taken` (a crash between Slack creating the channel and
//! firebell recording it) in a large workspace under Slack's rate limits: the look-up pages
//! only the bot's channels, and resumes from its stored cursor after a 429.

use std::time::Duration;

use firebell::domain::incident::IncidentNumber;

use crate::support::app::TestApp;
use crate::support::fake_slack::Fault;
use crate::support::workspace;

/// Sorts after every other channel id the tests seed, so the look-up finds it last.
const OURS: &str = "C0ZOURS";

/// The app on the contract's workspace, where the bot already created the channel incident
/// #1 "Checkout is down" is about to ask for.
async fn app_with_our_channel_from_before_a_crash() -> TestApp {
    let app = workspace::spawn().await;
    app.slack.add_own_channel(OURS, &format!("inc-{}-1-checkout-is-down", workspace::seoul_today()));
    app
}

async fn declare_and_drain(app: &TestApp) {
    let reply = app.command_in("declare sev1 service:payments Checkout is down", "C0GENERAL", "U0REPORTER").await;
    assert!(reply["text"].as_str().unwrap_or_default().starts_with("Declaring incident #1"), "{reply}");
    app.outbox_drained().await;
}

async fn recorded_channel(app: &TestApp) -> Option<String> {
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    incident.channel.map(|c| c.to_string())
}

#[tokio::test]
async fn in_a_workspace_of_30000_channels_our_channel_from_before_a_crash_is_adopted_and_the_notices_go_out() {
    let app = app_with_our_channel_from_before_a_crash().await;
    app.slack.add_foreign_channels(30_000);
    // Slack's tiers: conversations.list is Tier 2, users.conversations Tier 3.
    app.slack.limit_method("conversations.list", 20, Duration::from_secs(60));
    app.slack.limit_method("users.conversations", 50, Duration::from_secs(60));

    declare_and_drain(&app).await;

    assert_eq!(recorded_channel(&app).await.as_deref(), Some(OURS), "our channel is adopted");
    assert_eq!(app.slack.channels_named_like(&format!("inc-{}-1", workspace::seoul_today())), 1, "no -2");
    for notice_channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&app.slack, notice_channel).len(), 1, "{notice_channel} told once");
    }
    assert_eq!(workspace::bot_posts(&app.slack, OURS).len(), 1, "the summary is posted in it");
    assert_eq!(app.slack.calls_to("conversations.create").len(), 1);
    assert!(app.slack.calls_to("conversations.list").is_empty(), "the workspace's channels are not paged");
    assert_eq!(app.slack.rate_limited_total(), 0, "no 429 provoked");
}

#[tokio::test]
async fn a_rate_limit_in_the_middle_of_the_look_up_resumes_it_from_its_cursor() {
    let app = app_with_our_channel_from_before_a_crash().await;
    // The bot is in 2,500 other rooms: its channels take three pages of 999, ours on the last.
    app.slack.add_member_channels(2_500);
    app.slack.inject("users.conversations", Fault::Latency(Duration::ZERO));
    app.slack.inject("users.conversations", Fault::RateLimited { retry_after_secs: 1 });

    declare_and_drain(&app).await;

    assert_eq!(recorded_channel(&app).await.as_deref(), Some(OURS));
    let cursors: Vec<Option<String>> = app
        .slack
        .calls_to("users.conversations")
        .iter()
        .map(|call| call.params["cursor"].as_str().map(str::to_owned))
        .collect();
    println!("users.conversations cursors: {cursors:?}");
    assert_eq!(cursors.len(), 4, "three pages and the one refused: {cursors:?}");
    assert_eq!(cursors[0], None, "the look-up starts at the beginning");
    assert!(cursors[1].is_some(), "the second page was refused: {cursors:?}");
    assert_eq!(cursors[2], cursors[1], "the retry resumes at the refused page, not at the first");
    assert!(cursors[3].is_some() && cursors[3] != cursors[2], "then the third page: {cursors:?}");
    assert_eq!(app.slack.calls_to("conversations.create").len(), 1, "the name was known taken: not asked again");
    assert_eq!(app.slack.rate_limited("users.conversations"), 1);
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(app.app.store.channel_lookup_cursor(incident.id).await.unwrap(), None, "the cursor is cleared");
    assert_eq!(workspace::bot_posts(&app.slack, "C0PAYMENTS").len(), 1);
}
