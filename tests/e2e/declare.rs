//! Declaring an incident end to end: the channel, the people, the notices — and all of it
//! exactly once when Slack is slow, rate-limits, fails for a while, or a name is taken.

use std::time::Duration;

use firebell::domain::incident::IncidentNumber;
use firebell::domain::timeline::TimelineKind;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_slack::Fault;
use crate::support::signing;
use crate::support::workspace;

async fn app() -> TestApp {
    workspace::spawn().await
}

/// Top-level bot messages in a channel: their `ts` and all their text and blocks.
fn posts(app: &TestApp, channel: &str) -> Vec<Posted> {
    workspace::bot_posts(&app.slack, channel)
        .into_iter()
        .map(|m| Posted { ts: m.ts.clone(), text: format!("{} {}", m.text, m.blocks) })
        .collect()
}

#[derive(Debug)]
struct Posted {
    ts: String,
    text: String,
}

async fn declare(app: &TestApp, text: &str) -> String {
    let reply = app.command_in(text, "C0GENERAL", "U0REPORTER").await;
    reply["text"].as_str().unwrap().to_owned()
}

fn incident_channel(app: &TestApp, name: &str) -> crate::support::fake_slack::Channel {
    app.slack.channel_by_name(name).unwrap_or_else(|| panic!("no channel {name}"))
}

#[tokio::test]
async fn a_sev1_on_payments_gets_a_channel_its_people_and_notices_in_order() {
    let app = app().await;
    let reply = declare(&app, "declare sev1 service:payments Checkout is down").await;
    assert_eq!(
        reply,
        "Declaring incident #1: *Checkout is down* (SEV1). I'll post the channel link here as soon as it exists."
    );
    app.outbox_drained().await;

    let name = format!("inc-{}-1-checkout-is-down", workspace::seoul_today());
    let channel = incident_channel(&app, &name);
    assert_eq!(app.slack.calls_to("conversations.create").len(), 1);
    assert!(!channel.is_private);
    for person in ["U0REPORTER", "U0ONCALL1"] {
        assert!(channel.members.contains(&person.to_owned()), "{person} invited: {:?}", channel.members);
    }
    assert_eq!(channel.topic, "SEV1 · Investigating · Lead: not assigned");
    assert_eq!(channel.pins.len(), 1, "the summary is pinned");
    let summary = posts(&app, &channel.id);
    assert_eq!(summary.len(), 1);
    assert_eq!(channel.pins[0], summary[0].ts);
    assert!(summary[0].text.contains("Incident #1: Checkout is down"), "{}", summary[0].text);

    let (payments, checkout, announcements) =
        (posts(&app, "C0PAYMENTS"), posts(&app, "C0CHECKOUT"), posts(&app, "C0INCIDENTS"));
    assert_eq!((payments.len(), checkout.len(), announcements.len()), (1, 1, 1));
    // Every channel is told at once, each notice its own job; they are queued (and so taken
    // up) affected team first, then dependants, then announcements.
    let queued: Vec<String> = app
        .app
        .store
        .all_jobs()
        .await
        .unwrap()
        .into_iter()
        .filter(|job| job.kind == "post_notice")
        .map(|job| job.payload["channel"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(queued, ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"], "affected team first");
    assert!(announcements[0].text.starts_with("<!here> "), "{}", announcements[0].text);
    assert!(!payments[0].text.contains("<!here>"), "team notices carry no mass mention");
    for fact in
        ["SEV1 incident #1: Checkout is down", "SEV1 (Critical)", "Investigating", &format!("<#{}>", channel.id)]
    {
        assert!(payments[0].text.contains(fact), "notice lacks {fact}: {}", payments[0].text);
    }
    for elsewhere in ["C0TRIAGE", "C0SEARCH", "C0GENERAL"] {
        assert!(posts(&app, elsewhere).is_empty(), "nothing in {elsewhere}");
    }
    let told = app.slack.responses();
    assert!(
        told.iter().any(|r| r["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("Incident #1 is declared: <#{}>", channel.id))),
        "{told:?}"
    );
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(incident.channel.as_ref().map(|c| c.as_str()), Some(channel.id.as_str()));
    assert_eq!(app.app.store.timeline(incident.id).await.unwrap()[0].entry.kind(), Ok(TimelineKind::Declared));
}

#[tokio::test]
async fn a_sev3_on_an_unrelated_service_reaches_its_own_team_only() {
    let app = app().await;
    declare(&app, "declare sev3 service:search Search results are stale").await;
    app.outbox_drained().await;
    assert_eq!(posts(&app, "C0SEARCH").len(), 1);
    for other in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS", "C0TRIAGE"] {
        assert!(posts(&app, other).is_empty(), "nothing in {other}");
    }
    let channel = incident_channel(&app, &format!("inc-{}-1-search-results-are-stale", workspace::seoul_today()));
    assert!(channel.members.contains(&"U0SEARCHER".to_owned()));
}

#[tokio::test]
async fn an_unknown_severity_or_service_makes_no_slack_call_at_all() {
    let app = app().await;
    let work = |app: &TestApp| {
        app.slack
            .calls()
            .into_iter()
            .filter(|c| !["auth.test", "conversations.info"].contains(&c.method.as_str()))
            .count()
    };
    assert!(declare(&app, "declare sev9 Checkout is down").await.contains("`sev9` is not a severity here"));
    assert!(declare(&app, "declare service:billing Invoices late").await.contains("`billing` is not a known service"));
    assert_eq!(app.app.store.all_jobs().await.unwrap().len(), 0, "no work was queued");
    assert_eq!(work(&app), 0, "no Slack call beyond the start-up checks: {:?}", app.slack.calls());
}

#[tokio::test]
async fn mentions_in_a_title_ping_nobody_and_korean_titles_name_channels() {
    let app = app().await;
    declare(
        &app,
        "declare sev1 service:payments <!channel> <!here> <!everyone> <!subteam^S1|sre> cards & wallets down",
    )
    .await;
    declare(&app, "declare sev2 결제 장애").await;
    app.outbox_drained().await;
    for call in app.slack.calls_to("chat.postMessage").iter().chain(app.slack.calls_to("conversations.setTopic").iter())
    {
        let sent = call.params.to_string();
        for ping in ["<!channel>", "<!everyone>", "<!subteam"] {
            assert!(!sent.contains(ping), "{ping} sent in {sent}");
        }
        let announcements = call.params["channel"] == "C0INCIDENTS";
        assert!(!sent.contains("<!here>") || (announcements && sent.matches("<!here>").count() == 2), "{sent}");
    }
    assert!(
        app.slack
            .channel_by_name(&format!(
                "inc-{}-1-channel-here-everyone-subteam-s1-sre-cards-wallets-down",
                workspace::seoul_today()
            ))
            .is_some()
    );
    assert!(
        app.slack.channel_by_name(&format!("inc-{}-2", workspace::seoul_today())).is_some(),
        "an all-Korean title has no slug"
    );
}

#[tokio::test]
async fn rate_limited_posts_are_retried_after_retry_after_and_posted_once() {
    let app = app().await;
    app.slack.inject("chat.postMessage", Fault::RateLimited { retry_after_secs: 1 });
    app.slack.inject("chat.postMessage", Fault::RateLimited { retry_after_secs: 1 });
    declare(&app, "declare sev1 service:payments Checkout is down").await;
    app.outbox_drained().await;
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(posts(&app, channel).len(), 1, "{channel}");
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let limited = "firebell_slack_api_errors_total{method=\"chat.postMessage\",code=\"ratelimited\"} 2";
    assert!(metrics.contains(limited), "both 429s were seen and waited out: {metrics}");
}

#[tokio::test]
async fn a_slack_outage_of_a_few_seconds_delays_everything_and_doubles_nothing() {
    let app = app().await;
    app.slack.outage(Duration::from_secs(3), 503);
    declare(&app, "declare sev1 service:payments Checkout is down").await;
    app.outbox_drained().await;
    assert_eq!(app.slack.channels_named_like(&format!("inc-{}-1", workspace::seoul_today())), 1);
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(posts(&app, channel).len(), 1, "{channel}");
    }
    let name = format!("inc-{}-1-checkout-is-down", workspace::seoul_today());
    assert_eq!(incident_channel(&app, &name).pins.len(), 1);
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_slow_slack_does_not_slow_the_acknowledgement() {
    let app = app().await;
    app.slack.inject("*", Fault::Latency(Duration::from_secs(2)));
    app.slack.inject("*", Fault::Latency(Duration::from_secs(2)));
    let response = tokio::time::timeout(
        Duration::from_secs(1),
        app.command_response("declare sev1 service:payments Checkout is down", "C0GENERAL", "U0REPORTER"),
    )
    .await
    .expect("the command is acknowledged within 1 s while Slack takes 2 s");
    assert_eq!(response.status(), 200);
    app.outbox_drained().await;
    assert_eq!(posts(&app, "C0PAYMENTS").len(), 1);
}

#[tokio::test]
async fn a_foreign_channel_holding_the_name_gets_a_numbered_name() {
    let app = app().await;
    let taken = format!("inc-{}-1-checkout-is-down", workspace::seoul_today());
    app.slack.add_foreign_channel("C0SOMEONEELSE", &taken);
    declare(&app, "declare sev1 service:payments Checkout is down").await;
    app.outbox_drained().await;
    let ours = incident_channel(&app, &format!("{taken}-2"));
    assert!(ours.members.contains(&"U0REPORTER".to_owned()));
    assert!(app.slack.messages("C0SOMEONEELSE").is_empty(), "the foreign channel is left alone");
}

#[tokio::test]
async fn two_declares_at_the_same_moment_get_two_channels_and_numbers() {
    let app = app().await;
    let (first, second) = tokio::join!(
        declare(&app, "declare sev3 service:search First problem"),
        declare(&app, "declare sev3 service:search Second problem")
    );
    app.outbox_drained().await;
    let mut numbers = vec![first, second];
    numbers.sort();
    assert!(
        numbers[0].starts_with("Declaring incident #1") && numbers[1].starts_with("Declaring incident #2"),
        "{numbers:?}"
    );
    assert_eq!(app.slack.calls_to("conversations.create").len(), 2);
    assert_eq!(app.slack.channels_named_like(&format!("inc-{}-", workspace::seoul_today())), 2);
    assert_eq!(posts(&app, "C0SEARCH").len(), 2);
}

fn declare_submission(values: Value) -> Value {
    json!({
        "type": "view_submission",
        "team": {"id": signing::TEAM_ID, "domain": "acme"},
        "user": {"id": "U0REPORTER", "username": "alice", "team_id": signing::TEAM_ID},
        "api_app_id": "A0FIREBELL",
        "trigger_id": "2.3.xyz",
        "view": {
            "id": "V0DECLARE", "type": "modal", "callback_id": "declare",
            "private_metadata": "{\"channel\":\"C0GENERAL\"}",
            "state": {"values": values}
        }
    })
}

fn form_values(title: &str) -> Value {
    json!({
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "severity": {"severity": {"type": "static_select", "selected_option": {"value": "SEV2"}}},
        "services": {"services": {"type": "multi_static_select", "selected_options": [{"value": "checkout"}]}},
        "impact": {"impact": {"type": "plain_text_input", "value": "Orders cannot be placed"}},
        "description": {"description": {"type": "plain_text_input", "value": null}},
        "private": {"private": {"type": "checkboxes", "selected_options": []}}
    })
}

#[tokio::test]
async fn declare_alone_opens_the_modal_and_its_submission_declares() {
    let app = app().await;
    let response = app.command_response("declare sev2 service:checkout", "C0GENERAL", "U0REPORTER").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "", "an empty acknowledgement once the modal is open");
    let opened = app.slack.calls_to("views.open");
    assert_eq!(opened.len(), 1);
    let view = &opened[0].params["view"];
    assert_eq!(opened[0].params["trigger_id"], "13345224609.738474920.8088930838d88f008e0");
    assert_eq!(view["callback_id"], "declare");
    assert_eq!(view["blocks"][1]["element"]["initial_option"]["value"], "SEV2");
    assert_eq!(view["blocks"][2]["element"]["initial_options"][0]["value"], "checkout");

    let body = signing::interaction_form(&declare_submission(form_values("Orders fail at payment")));
    let submitted = app.post_signed("/slack/interactions", "application/x-www-form-urlencoded", body).await;
    assert_eq!(submitted.status(), 200);
    assert_eq!(submitted.text().await.unwrap(), "", "an empty answer closes the modal");
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!((incident.title.as_str(), incident.severity.as_str()), ("Orders fail at payment", "SEV2"));
    assert_eq!(incident.impact.as_deref(), Some("Orders cannot be placed"));
    assert_eq!(posts(&app, "C0CHECKOUT").len(), 1);
    assert_eq!(posts(&app, "C0INCIDENTS").len(), 1, "SEV2 is broad");
    let dm = app.slack.messages("U0REPORTER");
    assert!(dm.iter().any(|m| m.text.contains("Incident #1 is declared")), "the reporter is told by DM: {dm:?}");
}

#[tokio::test]
async fn a_submission_with_an_empty_title_is_answered_with_an_error_on_the_title() {
    let app = app().await;
    let body = signing::interaction_form(&declare_submission(form_values("   ")));
    let response = app.post_signed("/slack/interactions", "application/x-www-form-urlencoded", body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"response_action": "errors", "errors": {"title": "Give the incident a title."}}));
    assert!(app.app.store.open_incidents().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_team_channel_that_does_not_exist_is_reported_and_the_others_are_still_told() {
    let policy = workspace::policy().replace("team_channel = \"C0CHECKOUT\"", "team_channel = \"C0MISSING\"");
    let app =
        spawn_app_with(Options { policy: Some(policy), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    declare(&app, "declare sev1 service:payments Checkout is down").await;
    app.outbox_drained().await;
    assert_eq!(posts(&app, "C0PAYMENTS").len(), 1);
    assert_eq!(posts(&app, "C0INCIDENTS").len(), 1);
    let told: Vec<String> =
        app.slack.responses().iter().map(|r| r["text"].as_str().unwrap_or_default().to_owned()).collect();
    assert!(
        told.iter().any(|t| t.contains("could not reach <#C0MISSING>")
            && t.contains("channel_not_found")
            && t.contains("Check that the channel id")),
        "{told:?}"
    );
}

#[tokio::test]
async fn a_channel_slack_refuses_to_create_is_reported_with_what_to_fix() {
    let app = app().await;
    app.slack.inject("conversations.create", Fault::SlackError("restricted_action".into()));
    declare(&app, "declare sev2 Checkout is down").await;
    app.outbox_drained().await;
    let told: Vec<String> =
        app.slack.responses().iter().map(|r| r["text"].as_str().unwrap_or_default().to_owned()).collect();
    let expected = "Incident #1: creating the incident channel failed because Slack said `restricted_action`. A workspace setting stops apps from doing this; ask a Slack admin.";
    assert!(told.iter().any(|t| t == expected), "{told:?}");
    assert_eq!(app.app.store.failed_jobs().await.unwrap().len(), 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("firebell_jobs_total{kind=\"open_channel\",outcome=\"failed\"} 1"), "{metrics}");
}

#[tokio::test]
async fn configured_channels_are_checked_at_start() {
    let policy = workspace::policy().replace("team_channel = \"C0CHECKOUT\"", "team_channel = \"C0GONE\"");
    let app =
        spawn_app_with(Options { policy: Some(policy), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    let checked = || {
        let mut channels: Vec<String> = app
            .slack
            .calls_to("conversations.info")
            .iter()
            .map(|c| c.params["channel"].as_str().unwrap_or_default().to_owned())
            .collect();
        channels.sort();
        channels
    };
    crate::support::wait::until_sync("every configured channel to be checked", || checked().len() == 5).await;
    assert_eq!(checked(), ["C0GONE", "C0INCIDENTS", "C0PAYMENTS", "C0SEARCH", "C0TRIAGE"]);
}

#[tokio::test]
async fn declaring_works_the_same_on_postgres() {
    let Some(database) = crate::support::database::postgres().await else {
        return;
    };
    let options = Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        database: Some(database),
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    let (first, second) = tokio::join!(
        declare(&app, "declare sev1 service:payments Checkout is down"),
        declare(&app, "declare sev3 service:search Search is slow")
    );
    assert!(first.starts_with("Declaring incident #") && second.starts_with("Declaring incident #"));
    app.outbox_drained().await;
    for (channel, expected) in [("C0PAYMENTS", 1), ("C0CHECKOUT", 1), ("C0INCIDENTS", 1), ("C0SEARCH", 1)] {
        assert_eq!(posts(&app, channel).len(), expected, "{channel}");
    }
    assert_eq!(app.slack.channels_named_like(&format!("inc-{}-", workspace::seoul_today())), 2);
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
}
