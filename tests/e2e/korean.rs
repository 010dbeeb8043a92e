//! Korean all the way: with `locale = "ko"`, a whole incident — commands and their errors,
//! the declare modal, notices, summary, topic, reminders, nudges, the escalation, the digest,
//! mentions, catch-ups, highlights, buttons and their modals, an alert prompt, follow-ups, the
//! resolution, the retrospective and stats — shows people no English word from the catalog.
//!
//! "English words from the catalog" are the words of `en.toml`, except the few that Korean
//! text uses on purpose ([`ALLOWED_IN_KOREAN`]: names such as Slack or MTTR, command words).

use std::collections::BTreeSet;

use firebell::domain::incident::IncidentNumber;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::signing::{self, event_envelope};
use crate::support::{wait, workspace};

const WEBHOOK_TOKEN: &str = "korean-webhook-token";

/// A Korean team's policy whose clocks tick in seconds, so every reminder kind fires.
const POLICY: &str = r#"
timezone = "Asia/Seoul"
locale = "ko"
default_severity = "SEV2"
[channels]
announcements = "C0INCIDENTS"
triage = "C0TRIAGE"
[reminders]
escalate_after = 1
lead_within = "1s"
retro_within = "1s"
digest = "*/2 * * * * *"
[retro]
required_for = ["SEV1", "SEV2"]
[permissions]
admins = ["U0ADMIN"]
[[roles]]
name = "liaison"
description = "영향받는 팀과 고객 지원에 상황을 전합니다."
[[severities]]
name = "SEV1"
label = "치명적"
share = "broad"
mention = "here"
update_every = "2s"
[[severities]]
name = "SEV2"
label = "주요"
share = "broad"
update_every = "2s"
[[severities]]
name = "SEV3"
label = "경미"
share = "narrow"
update_every = "1h"
[[services]]
name = "payments"
team_channel = "C0PAYMENTS"
responders = ["U0ONCALL1"]
[[services]]
name = "checkout"
team_channel = "C0CHECKOUT"
depends_on = ["payments"]
"#;

/// Words that appear in what people see but come from the scenario's own data (alert labels,
/// service names), not from the catalog.
const DATA_WORDS: [&str; 7] = ["alertname", "paymentserrorrate", "instance", "critical", "pay", "payments", "service"];

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 3).map(str::to_ascii_lowercase).collect()
}

/// English that Korean text may show: names (firebell, Slack, OAuth, MTTR, the monitoring
/// products a link opens), the DRILL mark, the command
/// words help lists beside their Korean aliases, the status arguments a refusal names, and
/// the date pattern. Everything else English in `ko.toml` is a missed translation.
const ALLOWED_IN_KOREAN: [&str; 25] = [
    "firebell",
    // The DRILL mark and `--drill`: kept in English in every language, so a drill reads as
    // one at a glance and the flag is the same word everywhere.
    "drill",
    "slack",
    "prometheus",
    "alertmanager",
    "datadog",
    "oauth",
    "scope",
    "mtta",
    "mttd",
    "mttr",
    "mttfa",
    "declare",
    "update",
    "status",
    "severity",
    "resolve",
    "retro",
    "help",
    "list",
    "investigating",
    "identified",
    "monitoring",
    "yyyy",
    "due",
];

/// Each catalog text's words, outside markup, `code` spans and `{placeholders}`.
fn catalog_texts(source: &str) -> Vec<(String, BTreeSet<String>)> {
    let table: toml::Table = toml::from_str(source).unwrap();
    table.iter().filter_map(|(key, v)| Some((key.clone(), words(&without_markup(v.as_str()?))))).collect()
}

/// The catalog's English words that Korean text must not show.
fn english_only_words() -> BTreeSet<String> {
    catalog_texts(include_str!("../../src/catalog/en.toml"))
        .into_iter()
        .flat_map(|(_, words)| words)
        .filter(|w| !ALLOWED_IN_KOREAN.contains(&w.as_str()) && !DATA_WORDS.contains(&w.as_str()))
        .collect()
}

/// What people read in a Web API call or a reply: message text, Block Kit text objects,
/// topics, bookmark titles, canvas Markdown — not ids, action ids or URLs.
fn visible(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    (
                        "text" | "topic" | "purpose" | "title" | "markdown" | "alt_text" | "fallback",
                        Value::String(s),
                    ) => out.push(s.clone()),
                    ("blocks" | "view", Value::String(s)) => {
                        if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                            visible(&parsed, out);
                        }
                    }
                    _ => visible(field, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| visible(item, out)),
        _ => {}
    }
}

/// Links, mentions, emoji codes, `code` (command syntax, echoed input) and `{placeholders}`
/// are not words.
fn without_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['<', ':', '`', '{']) {
        out.push_str(&rest[..start]);
        // The openers are ASCII: one byte each.
        let opener = rest.as_bytes()[start] as char;
        let close = match opener {
            '<' => '>',
            '`' => '`',
            '{' => '}',
            _ => ':',
        };
        let tail = &rest[start + 1..];
        let is_markup =
            |inner: &str| close != ':' || inner.chars().all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c));
        match tail.find(close) {
            Some(end) if is_markup(&tail[..end]) => rest = &tail[end + 1..],
            _ => {
                out.push(opener);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs a command; its reply, or `Null` when it opened a modal instead.
async fn command(app: &TestApp, text: &str, channel: &str, user: &str) -> Value {
    let response = app.command_response(text, channel, user).await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    app.outbox_drained().await;
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn interact(app: &TestApp, payload: Value) -> Value {
    let response = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&payload))
        .await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    app.outbox_drained().await;
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn event(app: &TestApp, id: &str, event: Value) {
    assert_eq!(app.event(event_envelope(id, event), None).await.status(), 200);
    app.outbox_drained().await;
}

fn click(action_id: &str, value: &str) -> Value {
    json!({"type": "block_actions", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0ONCALL1"}, "trigger_id": format!("t-{action_id}"),
           "actions": [{"action_id": action_id, "type": "button", "value": value}]})
}

fn korean_alert() -> String {
    let mut alert: Value = serde_json::from_str(include_str!("../fixtures/alerts/alertmanager_firing.json")).unwrap();
    alert["commonLabels"]["service"] = json!("checkout");
    alert["commonAnnotations"]["summary"] = json!("결제 5xx 비율 5% 초과");
    alert["alerts"][0]["labels"]["service"] = json!("checkout");
    alert["alerts"][0]["annotations"] =
        json!({"summary": "결제 5xx 비율 5% 초과", "description": "pay-1에서 5xx 비율 12%"});
    alert.to_string()
}

/// Runs the scenario and returns every text people were shown, in order.
async fn run_scenario(app: &TestApp) -> Vec<String> {
    let mut replies = Vec::new();
    for text in [
        "help",
        "도움말",
        "list",
        "stats",
        "frobnicate",
        "declare sev9 결제 실패",
        "change service:payments 결제 서버 배포 at:23:00",
    ] {
        replies.push(command(app, text, "C0GENERAL", "U0REPORTER").await);
    }
    replies.push(command(app, "선언 sev2 service:payments", "C0GENERAL", "U0REPORTER").await);
    replies.push(command(app, "선언 sev2 service:payments 카드 결제 실패", "C0GENERAL", "U0REPORTER").await);
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.clone().unwrap().to_string();
    let id = incident.id.to_string();

    // Silence: the lead nudge, a reminder and the escalation fire.
    wait::until("a reminder and the escalation", || async {
        let now = app.app.store.incident(incident.id).await.unwrap().unwrap();
        now.timers.escalated && now.timers.lead_nudge_due_at.is_none()
    })
    .await;
    let posts_before = workspace::bot_posts(&app.slack, "C0INCIDENTS").len();
    wait::until_sync("a digest of the open incident", || {
        workspace::bot_posts(&app.slack, "C0INCIDENTS").len() > posts_before
    })
    .await;
    app.outbox_drained().await;
    let reminder_ts = app.app.store.incident(incident.id).await.unwrap().unwrap().last_reminder_ts.unwrap();
    event(app, "Ev1", json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "eyes", "item": {"type": "message", "channel": &channel, "ts": reminder_ts}})).await;

    for (text, user) in [
        ("update 롤백을 시작했습니다", "U0REPORTER"),
        ("status identified", "U0REPORTER"),
        ("lead <@U0ONCALL1|oncall>", "U0REPORTER"),
        ("role liaison <@U0REPORTER|alice>", "U0ONCALL1"),
        ("note 캐시를 비웠습니다", "U0ONCALL1"),
        ("title 카드 결제 일부 실패", "U0ONCALL1"),
        ("impact 결제 요청의 5%가 실패", "U0ONCALL1"),
        ("service add checkout", "U0ONCALL1"),
        ("severity sev1", "U0ONCALL1"),
        ("severity sev3", "U0REPORTER"),
        ("status resolved", "U0ONCALL1"),
        ("followup prevent 재시도 한도 추가 <@U0ONCALL1|oncall> due:2026-12-01", "U0ONCALL1"),
        ("followup detect 오류율 경보 추가", "U0ONCALL1"),
        ("followups", "U0ONCALL1"),
        ("list", "U0ONCALL1"),
        ("close", "U0ONCALL1"),
    ] {
        replies.push(command(app, text, &channel, user).await);
    }

    // The channel's own record: a mention, a newcomer, a highlighted message.
    event(app, "Ev2", json!({"type": "app_mention", "user": "U0SEARCHER", "text": "<@U0FIREBELL> 지금 상황은?", "ts": "1790000000.000100", "channel": &channel, "event_ts": "1790000000.000100"})).await;
    event(app, "Ev3", json!({"type": "member_joined_channel", "user": "U0SEARCHER", "channel": &channel, "channel_type": "C", "team": signing::TEAM_ID})).await;
    event(app, "Ev4", json!({"type": "message", "channel": &channel, "user": "U0ONCALL1", "text": "결제 게이트웨이 타임아웃 증가", "ts": "1790000010.000200", "event_ts": "1790000010.000200", "channel_type": "channel"})).await;
    event(app, "Ev5", json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "pushpin", "item": {"type": "message", "channel": &channel, "ts": "1790000010.000200"}})).await;

    // The summary's buttons and their modals.
    for action in ["incident_update", "incident_severity", "incident_lead", "incident_resolve"] {
        replies.push(interact(app, click(action, &id)).await);
    }
    let empty_update = json!({"text": {"text": {"type": "plain_text_input", "value": ""}}, "status": {"status": {"selected_option": null}}});
    replies.push(
        interact(
            app,
            json!({"type": "view_submission", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0ONCALL1"},
            "view": {"callback_id": "incident_update", "private_metadata": &id, "state": {"values": empty_update}}}),
        )
        .await,
    );

    // An alert prompt in the triage channel.
    let alert = app
        .client
        .post(format!("{}/webhooks/alertmanager", app.base_url))
        .header("authorization", format!("Bearer {WEBHOOK_TOKEN}"))
        .header("content-type", "application/json")
        .body(korean_alert())
        .send()
        .await
        .unwrap();
    assert_eq!(alert.status(), 202);
    app.outbox_drained().await;

    // Recovery, the retrospective nudge, the retrospective and the numbers.
    replies.push(command(app, "해결 롤백으로 복구했습니다", &channel, "U0ONCALL1").await);
    wait::until("the retrospective nudge", || async {
        app.app.store.incident(incident.id).await.unwrap().unwrap().timers.retro_nudge_due_at.is_none()
    })
    .await;
    for text in ["회고", "followups", "close"] {
        replies.push(command(app, text, &channel, "U0ONCALL1").await);
    }
    replies.push(command(app, "stats 7d", "C0GENERAL", "U0REPORTER").await);

    let mut shown = Vec::new();
    replies.iter().for_each(|reply| visible(reply, &mut shown));
    app.slack.responses().iter().for_each(|posted| visible(posted, &mut shown));
    for call in app.slack.calls() {
        visible(&call.params, &mut shown);
    }
    for file in app.slack.files() {
        shown.push(String::from_utf8_lossy(&file.bytes).into_owned());
    }
    shown.retain(|text| !text.trim().is_empty());
    shown
}

#[test]
fn the_korean_catalog_uses_english_only_for_names_and_command_words() {
    let untranslated: Vec<String> = catalog_texts(include_str!("../../src/catalog/ko.toml"))
        .into_iter()
        .filter_map(|(key, words)| {
            let english: Vec<String> = words.into_iter().filter(|w| !ALLOWED_IN_KOREAN.contains(&w.as_str())).collect();
            (!english.is_empty()).then(|| format!("{key}: {english:?}"))
        })
        .collect();
    assert!(untranslated.is_empty(), "English in ko.toml:\n{}", untranslated.join("\n"));
}

#[tokio::test]
async fn a_whole_incident_in_korean_shows_no_english_word_from_the_catalog() {
    let app = spawn_app_with(Options {
        policy: Some(POLICY.to_owned()),
        prepare_slack: Some(workspace::seed),
        env: vec![("FIREBELL_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned())],
        ..Options::default()
    })
    .await;
    let shown = run_scenario(&app).await;
    let forbidden = english_only_words();
    assert!(forbidden.len() > 100, "the English catalog has words to look for: {}", forbidden.len());
    if std::env::var_os("FIREBELL_PRINT_KOREAN").is_some() {
        println!("{}", shown.join("\n---\n"));
    }
    let mut found = Vec::new();
    for text in &shown {
        let leaked: Vec<String> = words(&without_markup(text)).intersection(&forbidden).cloned().collect();
        if !leaked.is_empty() {
            found.push(format!("{leaked:?} in: {text}"));
        }
    }
    assert!(found.is_empty(), "English catalog words in Korean output:\n{}", found.join("\n"));
    assert!(shown.len() > 60, "the scenario showed people a lot: {}", shown.len());
    let all = shown.join("\n");
    for korean in ["장애", "심각도", "회고", "후속 조치"] {
        assert!(all.contains(korean), "no {korean} anywhere");
    }
}
