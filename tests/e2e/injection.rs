//! Mention injection: text people type (titles, updates, notes, follow-ups, summaries, the
//! impact) and text monitoring sends (alert labels and annotations) is echoed by the bot in
//! many places — each checked to carry it, escaped — and must never ping a channel, a group
//! or a person from there, nor from the retrospective built from it.

use firebell::domain::incident::IncidentNumber;
use serde_json::Value;

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::workspace;

const WEBHOOK_TOKEN: &str = "injection-webhook-token";

/// Every way Slack mrkdwn pings.
const PINGS: [&str; 6] = ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S0PAGERS>", "<@U0ADMIN>", "<!here|here>"];

fn hostile(what: &str) -> String {
    format!("{what} {}", PINGS.join(" "))
}

/// Every string the bot sent to Slack: messages, blocks, topics, views, canvases, replies.
fn everything_sent(app: &TestApp) -> Vec<String> {
    let mut out: Vec<String> = app.slack.calls().iter().map(|call| call.params.to_string()).collect();
    out.extend(app.slack.responses().iter().map(Value::to_string));
    out.extend(app.slack.files().iter().map(|f| String::from_utf8_lossy(&f.bytes).into_owned()));
    out
}

#[tokio::test]
async fn typed_and_alerted_text_is_echoed_everywhere_without_pinging_anyone() {
    let app = spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env: vec![("FIREBELL_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned())],
        ..Options::default()
    })
    .await;
    let mut replies = Vec::new();
    // SEV2: the policy adds no mention of its own, so any ping would be injected.
    replies.push(app.command(&format!("declare sev2 service:payments {}", hostile("Cards declined"))).await);
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    for text in [
        format!("update {}", hostile("Rolling back")),
        format!("note {}", hostile("Cache flushed")),
        format!("impact {}", hostile("Some cards")),
        format!("title {}", hostile("Card payments declined")),
        format!("followup prevent {}", hostile("Canary the config")),
        "followups".to_owned(),
        format!("resolve {}", hostile("Rolled back")),
        "retro".to_owned(),
    ] {
        replies.push(app.command_in(&text, &channel, "U0ONCALL1").await);
        app.outbox_drained().await;
    }
    replies.push(app.command(&format!("change service:payments {}", hostile("Deploying v43"))).await);
    let alert = serde_json::json!({
        "version": "4", "status": "firing", "receiver": "firebell", "groupKey": "{}:{alertname=\"x\"}",
        "commonLabels": {"service": "checkout"},
        "commonAnnotations": {},
        "alerts": [{"status": "firing", "labels": {"alertname": hostile("Latency"), "team": hostile("pay"),
                                                   "service": "checkout", "instance": hostile("pay-host")},
                    "annotations": {"summary": hostile("5xx high"), "description": hostile("on pay-1")},
                    "startsAt": "2026-11-26T05:01:00Z", "fingerprint": "f1", "generatorURL": "http://prom/x"},
                   {"status": "firing", "labels": {"alertname": hostile("Errors"), "service": "checkout"},
                    "annotations": {}, "startsAt": "2026-11-26T05:01:00Z", "fingerprint": "f2"}]
    });
    let hook = app
        .client
        .post(format!("{}/webhooks/alertmanager", app.base_url))
        .header("authorization", format!("Bearer {WEBHOOK_TOKEN}"))
        .header("content-type", "application/json")
        .body(alert.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 202);
    app.outbox_drained().await;

    // Every command did what it says (a refusal would echo nothing and prove nothing).
    let texts: Vec<&str> = replies.iter().map(|r| r["text"].as_str().unwrap_or_default()).collect();
    assert!(texts[0].starts_with("Declaring incident #1"), "{texts:?}");
    for (reply, command) in texts[1..].iter().zip(["update", "note", "impact", "title", "followup", "followups"]) {
        assert!(!reply.contains("went wrong") && !reply.contains("try again"), "{command}: {reply}");
    }

    // Each place carries its hostile text — escaped, so the words arrive and the pings do not.
    let carried_as = |place: &str, texts: Vec<String>, words: &str, neutralised: &str| {
        let found = texts.iter().any(|t| t.contains(words) && t.contains(neutralised));
        assert!(found, "{place}: no {words:?} with {neutralised:?} in {texts:#?}");
    };
    let carried = |place: &str, texts: Vec<String>, words: &str| carried_as(place, texts, words, "&lt;!channel&gt;");
    let messages = |channel: &str| -> Vec<String> {
        app.slack.messages(channel).iter().map(|m| format!("{} {}", m.text, m.blocks)).collect()
    };
    let updates =
        || -> Vec<String> { app.slack.calls_to("chat.update").iter().map(|c| c.params.to_string()).collect() };
    let answered: Vec<String> = replies.iter().map(Value::to_string).collect();
    let retro = || -> Vec<String> {
        let mut texts: Vec<String> = app.slack.canvases().into_iter().map(|c| c.markdown).collect();
        texts.extend(app.slack.files().iter().map(|f| String::from_utf8_lossy(&f.bytes).into_owned()));
        texts
    };
    // (The fake keeps messages as last edited; what was first posted is in the calls.)
    let posted = |channel: &str| -> Vec<String> {
        app.slack
            .calls_to("chat.postMessage")
            .iter()
            .filter(|c| c.params["channel"] == channel)
            .map(|c| c.params.to_string())
            .collect()
    };
    carried("the title, in the team notice", posted("C0PAYMENTS"), "Cards declined");
    carried("the new title, in the edited notices", updates(), "Card payments declined");
    carried("the impact, in the edited notices", updates(), "Some cards");
    carried("the update, in the incident channel", messages(&channel), "Rolling back");
    carried("the update, in the notice's thread", messages("C0PAYMENTS"), "Rolling back");
    carried("the follow-up, in the list of follow-ups", answered.clone(), "Canary the config");
    carried("the resolution, in the notice's thread", messages("C0PAYMENTS"), "Rolled back");
    carried("the change, in the announcements channel", messages("C0INCIDENTS"), "Deploying v43");
    carried("the alert's summary annotation, in the prompt", messages("C0TRIAGE"), "5xx high");
    carried("the alert's description annotation, in the prompt", messages("C0TRIAGE"), "on pay-1");
    carried("the alert's instance label, in the prompt", messages("C0TRIAGE"), "pay-host");
    carried("the alert's name (no summary), in the prompt", messages("C0TRIAGE"), "Errors");
    assert!(!retro().is_empty(), "a retrospective was published");
    for words in ["Rolling back", "Cache flushed", "Canary the config", "Card payments declined"] {
        // The document is not Slack markup: mentions there become plain words.
        carried_as("the retrospective", retro(), words, "@channel @here @everyone");
    }

    // And nowhere at all — messages, blocks, topics, views, canvases, replies — a live ping.
    let mut sent = everything_sent(&app);
    sent.extend(replies.iter().map(Value::to_string));
    for ping in PINGS {
        let found: Vec<&String> = sent.iter().filter(|text| text.contains(ping)).collect();
        assert!(found.is_empty(), "{ping} reached Slack unescaped in: {found:?}");
    }
}
