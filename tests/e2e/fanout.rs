//! A big incident's fan-out against a Slack that limits like Slack: twenty channels told, thirty
//! responders invited, each call answered in 100 ms, posts limited per channel and invitations
//! by tier — and one channel rate-limited for 20 s without holding the others. How fast is
//! printed (and recorded in BENCHMARKS.md), not asserted; what is asserted is that every notice
//! goes out once, in order, without provoking a 429.

use std::time::{Duration, Instant};

use firebell::domain::incident::IncidentNumber;

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_slack::{FakeSlack, Fault};
use crate::support::{wait, workspace};

/// Services that depend on payments, each with a team channel: with payments, checkout and
/// the announcements channel, a SEV1 on payments reaches twenty channels.
const DEPENDENTS: usize = 17;
/// People on call for payments, all invited into the incident channel.
const RESPONDERS: usize = 30;

fn dependent_channel(n: usize) -> String {
    format!("C0DEP{n:02}")
}

fn responder(n: usize) -> String {
    format!("U0RESP{n:02}")
}

/// The contract's policy with thirty responders on payments and seventeen services that
/// depend on it.
fn wide_policy() -> String {
    let responders: Vec<String> = (1..=RESPONDERS).map(|n| format!("\"{}\"", responder(n))).collect();
    let mut policy = workspace::policy()
        .replace("responders = [\"U0ONCALL1\"]", &format!("responders = [{}]", responders.join(", ")));
    for n in 1..=DEPENDENTS {
        policy.push_str(&format!(
            "\n[[services]]\nname = \"dependent{n:02}\"\nteam_channel = \"{}\"\ndepends_on = [\"payments\"]\n",
            dependent_channel(n)
        ));
    }
    policy
}

fn wide_workspace(slack: &FakeSlack) {
    workspace::seed(slack);
    for n in 1..=DEPENDENTS {
        slack.add_channel(&dependent_channel(n), &format!("team-dependent{n:02}"), false);
    }
    for n in 1..=RESPONDERS {
        slack.add_user(&responder(n), &format!("responder{n:02}"));
    }
}

/// Every channel a SEV1 on payments is shared with.
fn audience() -> Vec<String> {
    let mut channels: Vec<String> = ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"].map(str::to_owned).to_vec();
    channels.extend((1..=DEPENDENTS).map(dependent_channel));
    channels
}

async fn wide_app() -> TestApp {
    spawn_app_with(Options { policy: Some(wide_policy()), prepare_slack: Some(wide_workspace), ..Options::default() })
        .await
}

/// Waits (bounded) until every channel in `channels` has the bot's notice; returns how long
/// that took from `from`.
async fn notices_out(slack: &FakeSlack, channels: &[String], from: Instant) -> Duration {
    wait::until_sync("every notice", || channels.iter().all(|c| !workspace::bot_posts(slack, c).is_empty())).await;
    from.elapsed()
}

#[tokio::test]
async fn a_sev1_told_to_twenty_channels_against_a_slow_limiting_slack_goes_out_at_once_in_order() {
    let app = wide_app().await;
    // Slack as it limits: every call takes 100 ms, posts go at about one a second per channel
    // with short bursts, invitations are Tier 3.
    app.slack.set_latency(Duration::from_millis(100));
    app.slack.limit_posts_per_channel(1.0, 3);
    app.slack.limit_method("conversations.invite", 50, Duration::from_secs(60));

    let declared = Instant::now();
    let reply = app.command("declare sev1 service:payments Card payments fail").await;
    assert!(reply["text"].as_str().unwrap().starts_with("Declaring incident #1"), "{reply}");
    // An update as soon as the channel exists, while the notices are still going out: its
    // replies must follow their notices.
    wait::until("the incident channel", || async {
        let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
        incident.channel.is_some()
    })
    .await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    app.command_in("update Rolled back the card gateway", &channel, "U0REPORTER").await;
    let channels = audience();
    let took = notices_out(&app.slack, &channels, declared).await;
    println!("declare-to-last-notice for {} channels, 100 ms a call: {took:?}", channels.len());
    app.outbox_drained().await;

    assert_eq!(app.slack.rate_limited_total(), 0, "no 429 provoked");
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
    for audience_channel in &channels {
        let messages = app.slack.messages(audience_channel);
        assert_eq!(workspace::bot_posts(&app.slack, audience_channel).len(), 1, "{audience_channel}: one notice");
        let notice = messages.iter().position(|m| m.thread_ts.is_none()).unwrap();
        let reply = messages.iter().position(|m| m.text.contains("Rolled back the card gateway"));
        assert!(reply.is_some_and(|r| r > notice), "{audience_channel}: the update's reply follows its notice");
    }
    let members = app.slack.channel(&channel).unwrap().members;
    assert!((1..=RESPONDERS).all(|n| members.contains(&responder(n))), "every responder invited: {members:?}");
    assert!(app.slack.calls_to("conversations.invite").len() <= 2, "invited together, not one by one");
    // The topic and the pin come after the channel exists (and the pin after the summary).
    let calls = app.slack.calls();
    let created = calls.iter().position(|c| c.method == "conversations.create").unwrap();
    let topic = calls.iter().position(|c| c.method == "conversations.setTopic").unwrap();
    let summary =
        calls.iter().position(|c| c.method == "chat.postMessage" && c.params["channel"] == channel.as_str()).unwrap();
    let pin = calls.iter().position(|c| c.method == "pins.add").unwrap();
    assert!(created < topic && created < summary && summary < pin, "{created} {topic} {summary} {pin}");
}

#[tokio::test]
async fn a_channel_rate_limited_for_twenty_seconds_holds_only_its_own_notice() {
    let app = workspace::spawn().await;
    app.slack.inject_in_channel("chat.postMessage", "C0CHECKOUT", Fault::RateLimited { retry_after_secs: 20 });

    let declared = Instant::now();
    app.command("declare sev1 service:payments Card payments fail").await;
    let others = ["C0PAYMENTS".to_owned(), "C0INCIDENTS".to_owned()];
    let took = notices_out(&app.slack, &others, declared).await;
    println!("the other channels' notices were out {took:?} after the declaration");
    assert!(workspace::bot_posts(&app.slack, "C0CHECKOUT").is_empty(), "the limited channel waits its Retry-After");

    wait::until_within(Duration::from_secs(60), "the limited channel's notice", || async {
        !workspace::bot_posts(&app.slack, "C0CHECKOUT").is_empty()
    })
    .await;
    let waited = declared.elapsed();
    println!("the rate-limited channel's notice came {waited:?} after the declaration");
    assert!(waited >= Duration::from_secs(20), "Slack's Retry-After was honoured: {waited:?}");
    app.outbox_drained_within(Duration::from_secs(60)).await;
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&app.slack, channel).len(), 1, "{channel}: once");
    }
    assert!(app.slack.deliveries_posted_twice().is_empty());
}

/// Two refreshes of one incident's notices, the first held up by a slow edit: the second runs
/// after it in the notice's lane, so the notice ends showing the newest state, never the
/// older one over it.
#[tokio::test]
async fn a_slow_first_refresh_never_leaves_an_older_state_over_the_newer_one() {
    let app = workspace::spawn().await;
    app.command("declare sev2 service:payments Card payments fail").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    app.slack.inject_in_channel("chat.update", "C0PAYMENTS", Fault::Latency(Duration::from_secs(2)));
    app.command_in("lead <@U0ONCALL1>", &channel, "U0REPORTER").await;
    app.command_in("resolve Rolled back the gateway", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    let notice = workspace::bot_posts(&app.slack, "C0PAYMENTS").remove(0);
    let shown = format!("{} {}", notice.text, notice.blocks);
    assert!(shown.contains("Resolved"), "the newest state: {shown}");
    assert!(app.slack.calls_to("chat.update").len() >= 2, "both refreshes edited the notice");
}
