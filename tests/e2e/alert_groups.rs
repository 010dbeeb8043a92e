//! Alerts as monitoring people expect, end to end with the real payload shapes: one prompt per
//! group updated in place, counts of firings (not of notifications), flood control in the
//! triage channel under Slack's per-channel limit, links labelled by what they open, a
//! declared incident told when its alerts resolve, webhook refusals in the log, and no direct
//! message from the bot to itself.

use std::time::Duration;

use firebell::domain::incident::IncidentNumber;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::database::{self, TestDatabase};
use crate::support::fake_slack::{BOT_USER_ID, FakeSlack};
use crate::support::process::{Firebell, Setup};
use crate::support::workspace;

const TOKEN: &str = "hook-s3cret";
const GRAFANA: &str = include_str!("../fixtures/alerts/grafana_firing.json");
const DATADOG: &str = include_str!("../fixtures/alerts/datadog_recommended.json");
const ALERTMANAGER: &str = include_str!("../fixtures/alerts/alertmanager_firing.json");

async fn app_on(policy: String, database: TestDatabase) -> TestApp {
    spawn_app_with(Options {
        policy: Some(policy),
        database: Some(database),
        prepare_slack: Some(workspace::seed),
        env: vec![("FIREBELL_WEBHOOK_TOKEN", TOKEN.to_owned())],
        ..Options::default()
    })
    .await
}

async fn app_with(policy: String) -> TestApp {
    app_on(policy, database::sqlite()).await
}

async fn app() -> TestApp {
    app_with(workspace::policy()).await
}

async fn hook(app: &TestApp, source: &str, body: &str) {
    let response = app
        .client
        .post(format!("{}/webhooks/{source}", app.base_url))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap_or_default());
}

fn prompts(app: &TestApp) -> Vec<crate::support::fake_slack::Message> {
    workspace::bot_posts(&app.slack, "C0TRIAGE")
}

/// One Alertmanager alert of the `NodeDown` group on node `n`.
fn node_down(n: usize, status: &str) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": "NodeDown", "job": "node", "instance": format!("node-{n:02}:9100")},
        "annotations": {"summary": "A node is down"},
        "startsAt": "2026-12-03T01:00:00Z",
        "endsAt": if status == "resolved" { "2026-12-03T01:30:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": format!("http://prometheus.example:9090/graph?g0.expr=up%7Binstance%3D%22node-{n:02}%22%7D"),
        "fingerprint": format!("{n:016x}")
    })
}

/// An Alertmanager (version 4) notification of one group, as Alertmanager 0.25 sends it.
fn notification(group: &str, alerts: Vec<Value>) -> String {
    let firing = alerts.iter().any(|a| a["status"] == "firing");
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{group}\"}}"),
        "truncatedAlerts": 0,
        "status": if firing { "firing" } else { "resolved" },
        "receiver": "firebell",
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group, "job": "node"},
        "commonAnnotations": {"summary": "A node is down"},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts
    })
    .to_string()
}

#[tokio::test]
async fn a_group_of_thirty_alerts_is_one_prompt_updated_in_place_with_the_right_counts_on_sqlite() {
    a_group_of_thirty_alerts_is_one_prompt_updated_in_place_with_the_right_counts(database::sqlite()).await;
}

#[tokio::test]
async fn a_group_of_thirty_alerts_is_one_prompt_updated_in_place_with_the_right_counts_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    a_group_of_thirty_alerts_is_one_prompt_updated_in_place_with_the_right_counts(db).await;
}

async fn a_group_of_thirty_alerts_is_one_prompt_updated_in_place_with_the_right_counts(db: TestDatabase) {
    let app = app_on(workspace::policy(), db).await;
    hook(&app, "alertmanager", &notification("NodeDown", (0..30).map(|n| node_down(n, "firing")).collect())).await;
    app.outbox_drained().await;
    assert_eq!(prompts(&app).len(), 1, "one prompt for the group");
    let prompt = prompts(&app).remove(0).blocks.to_string();
    for expected in
        ["30 firing · 0 resolved", "node-00:9100", "node-09:9100", "…and 20 more.", "Silence", "Alertmanager"]
    {
        assert!(prompt.contains(expected), "{expected:?} in {prompt}");
    }
    assert!(!prompt.contains("node-10:9100"), "the first ten are listed: {prompt}");
    assert!(!prompt.contains("alertname=") && prompt.contains("instance=node-"), "the labels that differ: {prompt}");

    // Five resolve and two join: the same prompt, edited.
    let second: Vec<Value> = (0..32).map(|n| node_down(n, if n < 5 { "resolved" } else { "firing" })).collect();
    hook(&app, "alertmanager", &notification("NodeDown", second)).await;
    app.outbox_drained().await;
    assert_eq!(prompts(&app).len(), 1, "still one prompt");
    let prompt = prompts(&app).remove(0).blocks.to_string();
    assert!(prompt.contains("27 firing · 5 resolved"), "{prompt}");
    assert!(prompt.contains("…and 22 more."), "{prompt}");
    assert_eq!(app.app.store.alert_groups().await.unwrap().len(), 1);
    assert_eq!(app.app.store.alerts().await.unwrap().len(), 32);

    // Declaring from it links every alert of the group.
    let group = app.app.store.alert_groups().await.unwrap().remove(0);
    let ts = group.prompt_ts.clone().unwrap();
    let check = crate::support::signing::event_envelope(
        "EvGroup",
        json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "white_check_mark",
               "item": {"type": "message", "channel": "C0TRIAGE", "ts": ts}}),
    );
    app.event(check, None).await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().expect("declared from the group");
    let linked = app.app.store.alerts().await.unwrap().iter().filter(|a| a.incident_id == Some(incident.id)).count();
    assert_eq!(linked, 32, "every alert of the group is linked");
    assert_eq!(incident.title, "A node is down");
}

/// Each alert's firings, by fingerprint.
async fn fired(app: &TestApp) -> Vec<(String, i64)> {
    app.app.store.alerts().await.unwrap().iter().map(|a| (a.fingerprint.clone(), a.fired)).collect()
}

#[tokio::test]
async fn repeats_do_not_count_as_firings_but_a_return_from_resolved_does_on_sqlite() {
    repeats_do_not_count_as_firings_but_a_return_from_resolved_does(database::sqlite()).await;
}

#[tokio::test]
async fn repeats_do_not_count_as_firings_but_a_return_from_resolved_does_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    repeats_do_not_count_as_firings_but_a_return_from_resolved_does(db).await;
}

async fn repeats_do_not_count_as_firings_but_a_return_from_resolved_does(db: TestDatabase) {
    let app = app_on(workspace::policy(), db).await;
    let both = || vec![node_down(1, "firing"), node_down(2, "firing")];
    hook(&app, "alertmanager", &notification("NodeDown", both())).await;
    // `repeat_interval`, and a notification caused by the other alert: nothing fired again.
    hook(&app, "alertmanager", &notification("NodeDown", both())).await;
    hook(&app, "alertmanager", &notification("NodeDown", vec![node_down(1, "firing"), node_down(2, "resolved")])).await;
    app.outbox_drained().await;

    assert_eq!(fired(&app).await, [(format!("{:016x}", 1), 1), (format!("{:016x}", 2), 1)]);
    assert!(!prompts(&app)[0].blocks.to_string().contains("fired 2×"));
    // Node 2 comes back: it fired again.
    hook(&app, "alertmanager", &notification("NodeDown", both())).await;
    app.outbox_drained().await;
    assert_eq!(fired(&app).await, [(format!("{:016x}", 1), 1), (format!("{:016x}", 2), 2)]);
    let prompt = prompts(&app)[0].blocks.to_string();
    assert!(prompt.contains("fired 2×") && prompt.contains("2 firing · 0 resolved"), "{prompt}");
    assert_eq!(prompts(&app).len(), 1);
}

#[tokio::test]
async fn a_hundred_groups_in_a_minute_hold_the_flood_limit_under_slacks_channel_limit() {
    let policy = workspace::policy();
    assert!(policy.contains("[[alerts.rules]]"), "the contract's policy has its alert rule");
    let app =
        app_with(policy.replacen("[[alerts.rules]]", "[alerts]\nflood_threshold = 10\n\n[[alerts.rules]]", 1)).await;
    // Slack's limit, enforced: about one post a second per channel, a short burst allowed.
    app.slack.limit_posts_per_channel(1.0, 3);
    for n in 0..100 {
        let group = format!("Disk{n:03}");
        let alert = json!({
            "status": "firing",
            "labels": {"alertname": group, "instance": "db-1"},
            "annotations": {"summary": format!("Disk {n} is filling up")},
            "startsAt": "2026-12-03T01:00:00Z",
            "fingerprint": format!("disk{n:03}")
        });
        hook(&app, "alertmanager", &notification(&group, vec![alert])).await;
    }
    app.outbox_drained_within(Duration::from_secs(90)).await;
    let posts = prompts(&app);
    assert_eq!(
        posts.len(),
        11,
        "ten prompts, then one storm prompt: {:?}",
        posts.iter().map(|p| &p.text).collect::<Vec<_>>()
    );
    // The storm prompt goes in its own lane: it may land between the paced prompts.
    let storms: Vec<String> =
        posts.iter().map(|p| p.blocks.to_string()).filter(|b| b.contains("Alert storm")).collect();
    assert_eq!(storms.len(), 1, "one storm prompt");
    let storm = &storms[0];
    assert!(storm.contains("Alert storm") && storm.contains("90 new alert groups"), "{storm}");
    assert!(storm.contains("Disk 10 is filling up") && storm.contains("…and 70 more."), "{storm}");
    assert_eq!(app.slack.rate_limited("chat.postMessage"), 0, "firebell kept to Slack's pace: no 429");
    assert_eq!(app.app.store.alert_groups().await.unwrap().len(), 100, "every group is recorded");
}

#[tokio::test]
async fn a_declared_incident_whose_alerts_all_resolve_says_so_once_in_its_channel_and_notice_threads_on_sqlite() {
    a_declared_incident_whose_alerts_all_resolve_says_so_once_in_its_channel_and_notice_threads(database::sqlite())
        .await;
}

#[tokio::test]
async fn a_declared_incident_whose_alerts_all_resolve_says_so_once_in_its_channel_and_notice_threads_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    a_declared_incident_whose_alerts_all_resolve_says_so_once_in_its_channel_and_notice_threads(db).await;
}

async fn a_declared_incident_whose_alerts_all_resolve_says_so_once_in_its_channel_and_notice_threads(db: TestDatabase) {
    let app = app_on(workspace::policy(), db).await;
    // The contract's rule declares payments + critical at once.
    let payments = |n: usize, status: &str| {
        let mut alert = node_down(n, status);
        alert["labels"] = json!({"alertname": "PaymentsErrors", "service": "payments", "severity": "critical",
                                 "instance": format!("pay-{n}")});
        alert["annotations"] = json!({"summary": "Payments 5xx ratio above 5%"});
        alert
    };
    hook(&app, "alertmanager", &notification("PaymentsErrors", vec![payments(1, "firing"), payments(2, "firing")]))
        .await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().expect("declared by the rule");
    let channel = incident.channel.clone().unwrap().to_string();
    let said = |app: &TestApp, needle: &str| -> usize {
        workspace::bot_posts(&app.slack, &channel).iter().filter(|m| m.text.contains(needle)).count()
    };
    let in_threads = |app: &TestApp, needle: &str| -> usize {
        app.slack.messages("C0PAYMENTS").iter().filter(|m| m.thread_ts.is_some() && m.text.contains(needle)).count()
    };
    hook(&app, "alertmanager", &notification("PaymentsErrors", vec![payments(1, "resolved"), payments(2, "firing")]))
        .await;
    app.outbox_drained().await;
    assert_eq!(said(&app, "Resolved at the source: Payments 5xx ratio above 5%"), 1);
    assert_eq!(in_threads(&app, "resolved"), 0, "the notice's thread hears only when all have resolved");
    for _ in 0..2 {
        // The same resolution twice (a retry): said once.
        hook(
            &app,
            "alertmanager",
            &notification("PaymentsErrors", vec![payments(1, "resolved"), payments(2, "resolved")]),
        )
        .await;
        app.outbox_drained().await;
    }
    assert_eq!(said(&app, "Every alert of this incident has resolved"), 1);
    assert_eq!(in_threads(&app, "Every alert of this incident has resolved"), 1);
    // Declared by the rule: the summary names the rule and its source, and nobody gets a DM.
    let pinned = app.slack.channel(&channel).unwrap().pins.first().cloned().expect("the summary is pinned");
    let summary_text = app.slack.messages(&channel).into_iter().find(|m| m.ts == pinned).unwrap().blocks.to_string();
    assert!(
        summary_text.contains("alert rule `service=payments, severity=critical` from alertmanager"),
        "{summary_text}"
    );
    assert!(app.slack.messages(&format!("D{}", &BOT_USER_ID[1..])).is_empty(), "no direct message to the bot itself");
    let policy = &app.app.policy;
    let names = std::collections::HashMap::new();
    let built = firebell::app::retro::build(&app.app.store, policy, &incident, true, &names).await.unwrap();
    let retro = firebell::render::retro::markdown(&built, policy);
    assert!(retro.contains("by the alert rule `service=payments, severity=critical` from alertmanager"), "{retro}");
}

#[tokio::test]
async fn each_source_gives_its_links_labelled_by_what_they_open() {
    let app = app().await;
    hook(&app, "grafana", GRAFANA).await;
    // Datadog's payments monitor would be declared by the contract's rule: make it a warning.
    hook(&app, "datadog", &DATADOG.replace("severity:critical", "severity:warning")).await;
    hook(&app, "alertmanager", &ALERTMANAGER.replace("critical", "warning")).await;
    app.outbox_drained().await;
    let posts = prompts(&app);
    assert_eq!(posts.len(), 3);
    // Each prompt is its own job: they may land in any order.
    let from = |source: &str| -> String {
        let needle = format!("— from {source}");
        posts.iter().map(|p| p.blocks.to_string()).find(|b| b.contains(&needle)).unwrap_or_else(|| panic!("{needle}"))
    };
    let grafana = from("grafana");
    for link in [
        "<https://grafana.example/alerting/1afz29v7z/edit|Alert rule>",
        "<https://grafana.example/alerting/silence/new?alertmanager=grafana&amp;matchers=alertname%3DCheckout+latency|Silence>",
        "<https://grafana.example/d/checkout|Dashboard>",
        "<https://grafana.example/d/checkout?viewPanel=2|Panel>",
    ] {
        assert!(grafana.contains(link), "{link} in {grafana}");
    }
    let datadog = from("datadog");
    assert!(datadog.contains("<https://app.datadoghq.com/monitors/98765|Datadog monitor>"), "{datadog}");
    let alertmanager = from("alertmanager");
    for link in [
        "<http://prometheus.example:9090/graph?g0.expr=payments_5xx_ratio+%3E+0.05|Prometheus graph>",
        "<http://alertmanager.example:9093/#/alerts?filter=%7Balertname%3D%22PaymentsErrorRate%22%7D|Alertmanager>",
        "<http://alertmanager.example:9093/#/silences/new?filter=%7Balertname%3D%22PaymentsErrorRate%22%7D|Silence>",
    ] {
        assert!(alertmanager.contains(link), "{link} in {alertmanager}");
    }
    assert!(!alertmanager.contains("Open in"), "no link is labelled by its sender: {alertmanager}");
}

#[tokio::test]
async fn a_wrong_webhook_token_is_refused_and_logged_once_with_the_source_and_without_the_token() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let policy = db.write_policy(&workspace::policy());
    let log = db.dir.path().join("firebell.log");
    let setup = Setup {
        slack: &slack,
        database_url: &db.url,
        policy: &policy,
        log: log.clone(),
        env: vec![("FIREBELL_WEBHOOK_TOKEN", TOKEN.to_owned())],
    };
    let firebell = Firebell::start(&setup).await;
    let wrong = "not-the-s3cret-Zq9";
    assert_eq!(firebell.webhook("grafana", wrong, GRAFANA).await, reqwest::StatusCode::UNAUTHORIZED);
    let metrics = reqwest::get(format!("{}/metrics", firebell.base_url)).await.unwrap().text().await.unwrap();
    firebell.kill().await;
    let logged = std::fs::read_to_string(&log).unwrap();
    let refusals: Vec<&str> = logged.lines().filter(|l| l.contains("webhook refused")).collect();
    assert_eq!(refusals.len(), 1, "{logged}");
    let line = refusals[0];
    assert!(line.contains("WARN") && line.contains("grafana") && line.contains("wrong bearer token"), "{line}");
    assert!(line.contains("127.0.0.1"), "the client's address: {line}");
    assert!(!logged.contains(wrong) && !logged.contains(TOKEN), "no token in the log");
    assert!(
        metrics.contains("endpoint=\"/webhooks/grafana\",status=\"401\"")
            || metrics.contains("status=\"401\",endpoint=\"/webhooks/grafana\""),
        "{metrics}"
    );
}
