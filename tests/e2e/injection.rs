//! Mention injection: text people type (titles, updates, notes, follow-ups, summaries, the
//! impact) and text monitoring sends (alert labels and annotations) is echoed by the bot in
//! many places — and must never ping a channel, a group or a person from there.

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
        "commonLabels": {"alertname": hostile("Errors"), "service": "checkout"},
        "commonAnnotations": {"summary": hostile("5xx high")},
        "alerts": [{"status": "firing", "labels": {"alertname": hostile("Errors"), "team": hostile("pay")},
                    "annotations": {"summary": hostile("5xx high"), "description": hostile("on pay-1")},
                    "startsAt": "2026-11-26T05:01:00Z", "fingerprint": "f1", "generatorURL": "http://prom/x"}]
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

    let mut sent = everything_sent(&app);
    sent.extend(replies.iter().map(Value::to_string));
    let all = sent.join("\n");
    // The hostile words did travel (escaped), so the test looked where they went.
    for echoed in ["Rolling back", "Cache flushed", "Canary the config", "Rolled back", "Deploying v43", "5xx high"] {
        assert!(all.contains(echoed), "{echoed} was echoed somewhere");
    }
    assert!(!app.slack.canvases().is_empty() || !app.slack.files().is_empty(), "a retrospective was published");
    for ping in PINGS {
        let found: Vec<&String> = sent.iter().filter(|text| text.contains(ping)).collect();
        assert!(found.is_empty(), "{ping} reached Slack unescaped in: {found:?}");
    }
}
