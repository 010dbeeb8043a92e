//! Alerts from monitoring, end to end: authentication, parsing, triage prompts, repeats,
//! declaring by rule, by ✅ and by the form, resolutions.

use firebell::domain::incident::IncidentNumber;
use firebell::domain::timeline::{TimelineEntry, TimelineKind};
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_slack::Fault;
use crate::support::signing::{self, event_envelope};
use crate::support::workspace;

const TOKEN: &str = "hook-s3cret";
const FIRING: &str = include_str!("../fixtures/alerts/alertmanager_firing.json");
const RESOLVED: &str = include_str!("../fixtures/alerts/alertmanager_resolved.json");
const GRAFANA: &str = include_str!("../fixtures/alerts/grafana_firing.json");
const DATADOG: &str = include_str!("../fixtures/alerts/datadog_default.json");

async fn app() -> TestApp {
    spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env: vec![("FIREBELL_WEBHOOK_TOKEN", TOKEN.to_owned())],
        ..Options::default()
    })
    .await
}

async fn hook(app: &TestApp, source: &str, body: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/webhooks/{source}", app.base_url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    app.outbox_drained().await;
    response
}

/// Alertmanager's sample, on checkout: no rule matches it, so it is a prompt.
fn checkout_firing() -> String {
    FIRING.replace("payments", "checkout").replace("Payments", "Checkout")
}

fn prompts(app: &TestApp) -> Vec<crate::support::fake_slack::Message> {
    workspace::bot_posts(&app.slack, "C0TRIAGE")
}

#[tokio::test]
async fn webhooks_need_the_bearer_token_and_are_disabled_without_one() {
    let disabled = workspace::spawn().await;
    assert_eq!(hook(&disabled, "alertmanager", FIRING, Some(TOKEN)).await.status(), 503);
    let app = app().await;
    assert_eq!(hook(&app, "alertmanager", FIRING, None).await.status(), 401);
    assert_eq!(hook(&app, "alertmanager", FIRING, Some("guess")).await.status(), 401);
    assert!(app.app.store.alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_webhook_body_over_one_mebibyte_gets_413_and_nothing_is_stored() {
    let app = app().await;
    let padded = FIRING.replacen('{', &format!("{{\"padding\": \"{}\",", "x".repeat(1024 * 1024)), 1);
    assert_eq!(hook(&app, "alertmanager", &padded, Some(TOKEN)).await.status(), 413);
    assert!(app.app.store.alerts().await.unwrap().is_empty());
    assert!(prompts(&app).is_empty());
}

#[tokio::test]
async fn unreadable_bodies_get_400_and_nothing_is_stored() {
    let app = app().await;
    for (source, body) in [
        ("alertmanager", "{\"alerts\": 3}"),
        ("grafana", "<xml/>"),
        ("datadog", "[]"),
        ("alertmanager", "{\"alerts\": [{\"status\": \"odd\"}]}"),
    ] {
        let response = hook(&app, source, body, Some(TOKEN)).await;
        assert_eq!(response.status(), 400, "{source}: {body}");
        assert!(response.text().await.unwrap().starts_with("bad request:"));
    }
    assert!(app.app.store.alerts().await.unwrap().is_empty());
    assert!(prompts(&app).is_empty());
}

#[tokio::test]
async fn a_firing_alert_prompts_the_triage_channel_once_and_repeats_only_update_it() {
    let app = app().await;
    assert_eq!(hook(&app, "alertmanager", &checkout_firing(), Some(TOKEN)).await.status(), 202);
    assert_eq!(prompts(&app).len(), 1);
    let prompt = &prompts(&app)[0];
    let blocks = prompt.blocks.to_string();
    assert!(
        prompt.text.contains("Checkout 5xx ratio above 5%")
            && blocks.contains("alert_declare")
            && blocks.contains("alert_dismiss"),
        "{blocks}"
    );

    assert!(blocks.contains("Fired 1×"), "{blocks}");
    // The same notification again (a retry, `repeat_interval`) is not a firing.
    assert_eq!(hook(&app, "alertmanager", &checkout_firing(), Some(TOKEN)).await.status(), 202);
    app.outbox_drained().await;
    assert_eq!(prompts(&app).len(), 1, "the same alert again posts nothing new");
    let updated = prompts(&app)[0].blocks.to_string();
    assert!(updated.contains("Fired 1×"), "{updated}");

    assert_eq!(
        hook(
            &app,
            "alertmanager",
            &RESOLVED.replace("payments", "checkout").replace("Payments", "Checkout"),
            Some(TOKEN)
        )
        .await
        .status(),
        202
    );
    assert!(
        prompts(&app)[0].blocks.to_string().contains("Resolved at the source"),
        "the resolution is noted on the prompt"
    );
    assert!(app.app.store.open_incidents().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_check_mark_on_the_prompt_declares_with_the_alert_in_the_timeline() {
    let app = app().await;
    hook(&app, "alertmanager", &checkout_firing(), Some(TOKEN)).await;
    let ts = prompts(&app)[0].ts.clone();
    let react = |id: &str| {
        event_envelope(
            id,
            json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "white_check_mark", "item": {"type": "message", "channel": "C0TRIAGE", "ts": &ts}}),
        )
    };
    assert_eq!(app.event(react("Ev1"), None).await.status(), 200);
    assert_eq!(app.event(react("Ev2"), None).await.status(), 200);
    app.outbox_drained().await;
    let open = app.app.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1, "declared once");
    let incident = &open[0];
    assert_eq!((incident.title.as_str(), incident.severity.as_str()), ("Checkout 5xx ratio above 5%", "SEV3"));
    assert_eq!(incident.services.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["checkout"]);
    assert_eq!(incident.reporter.as_str(), "U0ONCALL1");
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    let alert =
        timeline.iter().find(|e| matches!(e.entry, TimelineEntry::Alert { .. })).expect("the alert is in the timeline");
    assert!(alert.at <= incident.declared_at, "the alert's start is the detection time");
    assert!(prompts(&app)[0].blocks.to_string().contains("Declared as incident #1"));
}

#[tokio::test]
async fn a_declare_rule_creates_the_incident_directly_and_a_resolution_is_noted() {
    let app = app().await;
    assert_eq!(hook(&app, "alertmanager", FIRING, Some(TOKEN)).await.status(), 202);
    assert!(prompts(&app).is_empty(), "no prompt: the rule declares");
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().expect("declared by the rule");
    assert_eq!(incident.severity.as_str(), "SEV2", "the rule's severity");
    assert_eq!(workspace::bot_posts(&app.slack, "C0PAYMENTS").len(), 1, "the payments team was told");
    hook(&app, "alertmanager", RESOLVED, Some(TOKEN)).await;
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    let kinds: Vec<_> = timeline.iter().map(|e| e.entry.kind()).collect();
    assert!(kinds.contains(&Ok(TimelineKind::Alert)) && kinds.contains(&Ok(TimelineKind::AlertResolved)), "{kinds:?}");
}

#[tokio::test]
async fn the_declare_button_opens_a_prefilled_form_whose_submission_declares_the_alert() {
    let app = app().await;
    hook(&app, "grafana", GRAFANA, Some(TOKEN)).await;
    let alert = app.app.store.alerts().await.unwrap().remove(0);
    let click = json!({"type": "block_actions", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0ONCALL1"}, "trigger_id": "t-alert",
                       "actions": [{"action_id": "alert_declare", "value": alert.id.to_string(), "type": "button"}]});
    app.post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&click))
        .await;
    let opened = app.slack.calls_to("views.open");
    let view = &opened.last().unwrap().params["view"];
    assert_eq!(view["blocks"][0]["element"]["initial_value"], "Checkout p99 latency is high");
    let metadata = view["private_metadata"].as_str().unwrap().to_owned();
    let values = json!({
        "title": {"title": {"value": "Checkout p99 latency is high"}},
        "severity": {"severity": {"selected_option": {"value": "SEV2"}}},
        "services": {"services": {"selected_options": [{"value": "checkout"}]}},
        "impact": {"impact": {"value": null}}, "description": {"description": {"value": null}}, "private": {"private": {"selected_options": []}}
    });
    let submission: Value = json!({"type": "view_submission", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0ONCALL1"},
        "view": {"callback_id": "declare", "private_metadata": metadata, "state": {"values": values}}});
    let response = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&submission))
        .await;
    assert_eq!(response.status(), 200);
    app.outbox_drained().await;
    let linked = app.app.store.alert(alert.id).await.unwrap().unwrap();
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(linked.incident_id, Some(incident.id));
    assert_eq!(incident.severity.as_str(), "SEV2");
}

#[tokio::test]
async fn a_cross_on_the_prompt_or_dismiss_settles_the_alert_without_an_incident() {
    let app = app().await;
    hook(&app, "datadog", DATADOG, Some(TOKEN)).await;
    let ts = prompts(&app)[0].ts.clone();
    let cross = event_envelope(
        "Ev1",
        json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "x", "item": {"type": "message", "channel": "C0TRIAGE", "ts": &ts}}),
    );
    app.event(cross, None).await;
    app.outbox_drained().await;
    assert!(prompts(&app)[0].blocks.to_string().contains("Dismissed by <@U0ONCALL1>"));
    assert!(app.app.store.open_incidents().await.unwrap().is_empty());
    // Still firing, notified again: the dismissal holds, no new prompt.
    hook(&app, "datadog", DATADOG, Some(TOKEN)).await;
    app.outbox_drained().await;
    assert_eq!(prompts(&app).len(), 1, "a dismissed alert that is still firing does not ask again");
    // Once it has resolved, firing again is news: a new prompt.
    hook(&app, "datadog", &DATADOG.replace("[Triggered]", "[Recovered]"), Some(TOKEN)).await;
    hook(&app, "datadog", DATADOG, Some(TOKEN)).await;
    app.outbox_drained().await;
    assert_eq!(prompts(&app).len(), 2, "after a dismissal and a resolution, the alert firing again is new");
}

#[tokio::test]
async fn the_message_shortcut_declares_from_a_message_and_answers_in_its_thread() {
    let app = workspace::spawn().await;
    let ts = app.slack.add_message(
        "C0GENERAL",
        "U0SEARCHER",
        "Checkout returns 500 for everyone\nsince 14:02, see graphs",
        None,
    );
    let view = report_from_message(&app, &ts, "Checkout returns 500 for everyone\nsince 14:02, see graphs").await;
    let view = &view;
    assert_eq!(view["blocks"][0]["element"]["initial_value"], "Checkout returns 500 for everyone");
    let description = view["blocks"].as_array().unwrap().iter().find(|b| b["block_id"] == "description").unwrap();
    let prefilled = description["element"]["initial_value"].as_str().unwrap();
    assert!(
        prefilled.contains("since 14:02")
            && prefilled.contains(&format!("/archives/C0GENERAL/p{}", ts.replace('.', ""))),
        "{prefilled}"
    );

    submit_declare(&app, view, "Checkout returns 500 for everyone", Some(prefilled)).await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().expect("declared");
    let replies: Vec<_> =
        app.slack.messages("C0GENERAL").into_iter().filter(|m| m.thread_ts.as_deref() == Some(ts.as_str())).collect();
    assert_eq!(replies.len(), 1);
    assert!(replies[0].text.contains(&format!("<#{}>", incident.channel.unwrap())), "{}", replies[0].text);
}

/// When the incident channel cannot be created, the reply under the reported message gives up
/// (there is no channel to point to) instead of being retried for ever, and the affected
/// teams still hear of the incident.
#[tokio::test]
async fn a_report_from_a_message_whose_channel_cannot_be_opened_stops_waiting_for_it() {
    let app = workspace::spawn().await;
    app.slack.inject("conversations.create", Fault::SlackError("restricted_action".into()));
    let ts = app.slack.add_message("C0GENERAL", "U0SEARCHER", "Checkout returns 500", None);
    let view = report_from_message(&app, &ts, "Checkout returns 500").await;
    submit_declare(&app, &view, "Checkout returns 500", None).await;
    app.outbox_drained().await;
    let failed: Vec<String> = app.app.store.failed_jobs().await.unwrap().into_iter().map(|j| j.kind).collect();
    assert_eq!(failed, ["open_channel", "reply_to_source"], "both given up, none retried for ever");
    let replies = app.slack.messages("C0GENERAL").into_iter().filter(|m| m.thread_ts.as_deref() == Some(ts.as_str()));
    assert_eq!(replies.count(), 0, "no reply pointing to a channel that does not exist");
    assert_eq!(workspace::bot_posts(&app.slack, "C0CHECKOUT").len(), 1, "the affected team still hears");
}

/// Runs the "Report an incident" message shortcut on `ts` (U0SEARCHER's message `text` in
/// C0GENERAL) and returns the declare modal it opened.
async fn report_from_message(app: &TestApp, ts: &str, text: &str) -> Value {
    let shortcut = json!({
        "type": "message_action", "callback_id": "report_incident", "trigger_id": "t-shortcut",
        "team": {"id": signing::TEAM_ID}, "user": {"id": "U0REPORTER"}, "channel": {"id": "C0GENERAL", "name": "general"},
        "message": {"type": "message", "user": "U0SEARCHER", "ts": ts, "text": text},
        "response_url": "https://hooks.slack.com/app/x"
    });
    let response = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&shortcut))
        .await;
    assert_eq!(response.status(), 200);
    app.slack.calls_to("views.open").last().unwrap().params["view"].clone()
}

/// Submits the declare modal `view` as a SEV2 on checkout with this title and description.
async fn submit_declare(app: &TestApp, view: &Value, title: &str, description: Option<&str>) {
    let values = json!({
        "title": {"title": {"value": title}},
        "severity": {"severity": {"selected_option": {"value": "SEV2"}}},
        "services": {"services": {"selected_options": [{"value": "checkout"}]}},
        "impact": {"impact": {"value": null}}, "description": {"description": {"value": description}}, "private": {"private": {"selected_options": []}}
    });
    let submission = json!({"type": "view_submission", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0REPORTER"},
        "view": {"callback_id": "declare", "private_metadata": view["private_metadata"], "state": {"values": values}}});
    app.post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&submission))
        .await;
}
