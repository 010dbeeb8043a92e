//! Incident reports end to end: `/incident report [NAME] [final]` renders the company's
//! template from the record and publishes it as a canvas of its own (a file where canvases are
//! unavailable), edits the same document when run again, links it once in every notice's
//! thread; deadlines nudge the lead once; `firebell report` prints the same text and
//! `check-config` names a template's mistake by file and line.

use std::process::Command;
use std::time::Duration;

use firebell::config::env::DatabaseUrl;
use firebell::domain::incident::IncidentNumber;
use firebell::store::Store;
use serde_json::json;

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::database::{self, TestDatabase};
use crate::support::fake_slack::{FakeSlack, Fault};
use crate::support::process::{Firebell, Setup};
use crate::support::signing::event_envelope;
use crate::support::{wait, workspace};

/// The contract's policy (with its `[[fields]]`) in `locale`, plus `extra` at the end.
fn policy(locale: &str, extra: &str) -> String {
    let base = workspace::policy().replace("locale = \"en\"", &format!("locale = \"{locale}\""));
    assert!(base.contains(&format!("locale = \"{locale}\"")), "the fixture names its locale");
    format!("{base}\n{extra}\n")
}

async fn spawn(policy: String, database: Option<TestDatabase>) -> TestApp {
    spawn_app_with(Options {
        policy: Some(policy),
        database,
        prepare_slack: Some(workspace::seed),
        ..Default::default()
    })
    .await
}

/// Declares a SEV2 on payments; returns the incident channel.
async fn declared(app: &TestApp, title: &str) -> String {
    app.command_in(&format!("declare sev2 service:payments {title}"), "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    incident.channel.unwrap().to_string()
}

/// A message said in the channel and pinned (seen by firebell through the Events API).
async fn pinned(app: &TestApp, channel: &str, text: &str) {
    let ts = app.slack.add_message(channel, "U0ONCALL1", text, None);
    app.event(
        event_envelope(
            "Ev1",
            json!({"type": "message", "channel": channel, "user": "U0ONCALL1", "text": text, "ts": &ts}),
        ),
        None,
    )
    .await;
    app.event(
        event_envelope(
            "Ev2",
            json!({"type": "reaction_added", "user": "U0REPORTER", "reaction": "pushpin",
                   "item": {"type": "message", "channel": channel, "ts": &ts}}),
        ),
        None,
    )
    .await;
}

/// The section of `markdown` under the heading `heading` (up to the next `## `).
fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown.find(heading).unwrap_or_else(|| panic!("no {heading:?} in:\n{markdown}"));
    let body = &markdown[start + heading.len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    &body[..end]
}

/// Replies the bot posted in threads of `channel`.
fn thread_replies(slack: &FakeSlack, channel: &str) -> Vec<String> {
    slack
        .messages(channel)
        .into_iter()
        .filter(|m| m.user == crate::support::fake_slack::BOT_USER_ID && m.thread_ts.is_some())
        .map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn the_korean_report_of_a_scripted_incident_has_every_section_with_its_facts() {
    let app = spawn(policy("ko", ""), None).await;
    let channel = declared(&app, "결제 승인 실패").await;
    let say = |text: &'static str| app.command_in(text, &channel, "U0ONCALL1");
    say("lead <@U0ONCALL1>").await;
    say("impact 카드 결제의 30%가 실패").await;
    say("action rollback 배포 v42 롤백").await;
    say("update 게이트웨이 502 증가, 배포 v42 직후 시작").await;
    pinned(&app, &channel, "배포 v42의 게이트웨이 설정 변경이 원인으로 보임").await;
    say("update 롤백 후 오류율 정상화, 모니터링 중").await;
    say("status monitoring").await;
    say("set customers 1200").await;
    say("set type database").await;
    say("followup prevent 게이트웨이 설정 변경에 카나리 배포 적용 <@U0ONCALL1> due:2026-12-10").await;
    say("followup detect 502 비율 알람 추가").await;
    say("followup handle 요약에 롤백 런북 링크").await;
    say("resolve 배포 v42 롤백으로 복구").await;
    app.outbox_drained().await;

    let reply = say("report").await;
    assert_eq!(reply["text"], "장애 #1의 보고서 *report*를 작성하고 있습니다. 완성되면 채널에 링크를 올리겠습니다.");
    app.outbox_drained().await;
    let canvases = app.slack.canvases();
    assert_eq!(canvases.len(), 1, "the report is a canvas of its own");
    assert_eq!(canvases[0].channel.as_deref(), Some(channel.as_str()), "tabbed in the incident channel");
    assert_eq!(canvases[0].title.as_deref(), Some("장애 #1: report"));
    let report = canvases[0].markdown.clone();
    println!("{report}");

    let headings: Vec<&str> = report.lines().filter(|l| l.starts_with('#')).collect();
    let expected = [
        "## 장애 내용",
        "## 장애 영향",
        "## 장애 원인",
        "## 조치 상황",
        "## 조치 결과",
        "## 핵심 원인 (5 Whys)",
        "## 향후 대책",
        "### 재발 방지",
        "### 탐지 개선",
        "### 대응 개선",
    ];
    assert!(headings[0].starts_with("# 제목: 결제 승인 실패 ("), "{headings:?}");
    assert_eq!(&headings[1..], expected, "every section, in order");
    // The title's time window is in the policy's zone (Asia/Seoul).
    assert!(headings[0].contains(" KST ~ ") && headings[0].ends_with(" KST)"), "{}", headings[0]);

    let what = section(&report, "## 장애 내용");
    assert!(what.contains("- 심각도: SEV2"), "{what}");
    assert!(what.contains("- 서비스: payments"), "{what}");
    assert!(what.contains("- 상태: 해결됨"), "{what}");
    assert!(what.contains("- 장애 유형: database"), "{what}");
    assert!(what.contains("리드: 리드"), "blameless: the lead as a role: {what}");
    assert!(what.contains("(rollback)"), "the first action's kind: {what}");
    let impact = section(&report, "## 장애 영향");
    assert!(impact.contains("카드 결제의 30%가 실패") && impact.contains("- customers: 1200"), "{impact}");
    let actions = section(&report, "## 조치 상황");
    let order = [
        "첫 조치 · rollback: 배포 v42 롤백",
        "게이트웨이 502 증가, 배포 v42 직후 시작",
        "📌 배포 v42의 게이트웨이 설정 변경이 원인으로 보임",
        "롤백 후 오류율 정상화, 모니터링 중",
    ];
    let positions: Vec<usize> =
        order.iter().map(|s| actions.find(s).unwrap_or_else(|| panic!("{s:?} in {actions}"))).collect();
    assert!(positions.is_sorted(), "the action, updates and pin in time order: {actions}");
    assert_eq!(actions.matches("📌").count(), 1, "the pin once: {actions}");
    assert!(!what.contains("- 완화: —"), "mitigated when it went to monitoring: {what}");
    let result = section(&report, "## 조치 결과");
    assert!(result.contains("- 해결까지: ") && !result.contains("- 해결까지: —"), "{result}");
    assert!(result.contains("- 첫 조치까지: ") && !result.contains("- 첫 조치까지: —"), "{result}");
    let next = section(&report, "## 향후 대책");
    let prevent = section(next, "### 재발 방지");
    assert!(
        prevent.contains("- [ ] 게이트웨이 설정 변경에 카나리 배포 적용 — 담당: 리드 — 기한: 2026년 12월 10일"),
        "{prevent}"
    );
    assert!(section(next, "### 탐지 개선").contains("- [ ] 502 비율 알람 추가"), "{next}");
    assert!(section(next, "### 대응 개선").contains("- [ ] 요약에 롤백 런북 링크"), "{next}");
    assert!(!report.contains("U0ONCALL1") && !report.contains("U0REPORTER"), "blameless: no user ids");

    // Said in the channel, with the link.
    let posts: Vec<String> = workspace::bot_posts(&app.slack, &channel).into_iter().map(|m| m.text).collect();
    assert!(
        posts.iter().any(|p| p.starts_with(":page_facing_up: 장애 #1의 보고서 *report*가 게시되었습니다: <https://")),
        "{posts:#?}"
    );
}

#[tokio::test]
async fn report_twice_updates_one_document_final_marks_it_and_each_notice_thread_gets_one_link() {
    published_twice_then_final(database::sqlite()).await;
}

#[tokio::test]
async fn report_twice_and_final_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    published_twice_then_final(db).await;
}

async fn published_twice_then_final(db: TestDatabase) {
    let app = spawn(policy("en", ""), Some(db)).await;
    let channel = declared(&app, "Card payments declined").await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let notices = app.app.store.notices(incident.id).await.unwrap();
    assert!(!notices.is_empty(), "the incident was shared");

    let reply = app.command_in("report", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Rendering the report *report* of incident #1; I'll post its link in the channel.");
    app.outbox_drained().await;
    app.command_in("update Rolled back deploy v42", &channel, "U0ONCALL1").await;
    app.command_in("report", &channel, "U0ONCALL1").await;
    app.outbox_drained().await;
    let canvases = app.slack.canvases();
    assert_eq!(canvases.len(), 1, "run again, the same document");
    assert_eq!(app.slack.calls_to("canvases.create").len(), 1);
    assert!(canvases[0].markdown.contains("Rolled back deploy v42"), "the second run's content");
    assert!(!canvases[0].markdown.contains("(final)"));

    let reply = app.command_in("report final", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Rendering the final report *report* of incident #1; I'll post its link in the channel.");
    app.outbox_drained().await;
    let canvases = app.slack.canvases();
    assert_eq!(canvases.len(), 1);
    let first_heading = canvases[0].markdown.lines().find(|l| l.starts_with('#')).unwrap().to_owned();
    assert!(first_heading.starts_with("# Title: Card payments declined (") && first_heading.ends_with(") (final)"));
    assert_eq!(canvases[0].markdown.matches("(final)").count(), 1, "marked once");
    // A later run keeps the mark.
    app.command_in("report", &channel, "U0ONCALL1").await;
    app.outbox_drained().await;
    assert_eq!(app.slack.canvases()[0].markdown.matches("(final)").count(), 1);

    for notice in &notices {
        let links: Vec<String> = thread_replies(&app.slack, notice.channel.as_str())
            .into_iter()
            .filter(|t| t.starts_with(":page_facing_up: The report *report* of incident #1: <https://"))
            .collect();
        assert_eq!(links.len(), 1, "one link in {}'s notice thread: {links:?}", notice.channel);
    }
    let posts: Vec<String> = workspace::bot_posts(&app.slack, &channel).into_iter().map(|m| m.text).collect();
    let said: Vec<&String> = posts.iter().filter(|p| p.starts_with(":page_facing_up:")).collect();
    assert_eq!(said.len(), 4, "each run said once in the channel: {said:#?}");
    assert!(said[0].contains("is published: <https://"), "{}", said[0]);
    assert!(said[1].contains("is updated: <https://"), "{}", said[1]);
    assert!(said[2].starts_with(":page_facing_up: The report *report* (final) of incident #1 is updated"));
}

#[tokio::test]
async fn unknown_report_names_get_the_names_there_are_and_nothing_is_published() {
    let extra = "[[reports]]\nname = \"initial\"\ntemplate = \"builtin:executive\"\n\n[[reports]]\nname = \"written\"\ntemplate = \"builtin:en-report\"\n";
    let app = spawn(policy("en", extra), None).await;
    let channel = declared(&app, "Card payments declined").await;
    let reply = app.command_in("report weekly", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "There is no report named `weekly`. The policy's reports: `initial`, `written`.");
    let reply = app.command("report").await;
    assert!(reply["text"].as_str().unwrap().contains("incident channel"), "{reply}");
    app.outbox_drained().await;
    assert!(app.slack.canvases().is_empty());
    // Without a name, the first entry; by name, that one.
    app.command_in("report", &channel, "U0ONCALL1").await;
    app.command_in("report WRITTEN", &channel, "U0ONCALL1").await;
    app.outbox_drained().await;
    let mut titles: Vec<String> = app.slack.canvases().into_iter().filter_map(|c| c.title).collect();
    titles.sort();
    assert_eq!(titles, ["Incident #1: initial", "Incident #1: written"]);
    let executive = app.slack.canvases().into_iter().find(|c| c.title.as_deref() == Some("Incident #1: initial"));
    assert!(executive.unwrap().markdown.contains("- **What happened:** Card payments declined on payments"));
}

#[tokio::test]
async fn without_canvases_the_report_is_a_markdown_file_updated_by_a_new_file() {
    let app = spawn(policy("en", ""), None).await;
    let channel = declared(&app, "Card payments declined").await;
    app.slack.inject("canvases.create", Fault::SlackError("not_allowed_token_type".into()));
    app.command_in("report", &channel, "U0ONCALL1").await;
    app.outbox_drained().await;
    assert!(app.slack.canvases().is_empty());
    let uploads = app.slack.calls_to("files.completeUploadExternal");
    assert_eq!(uploads.len(), 1, "one file shared");
    let shared = app.slack.messages(&channel).into_iter().filter(|m| !m.files.is_empty()).count();
    assert_eq!(shared, 1);
    let posts: Vec<String> = workspace::bot_posts(&app.slack, &channel).into_iter().map(|m| m.text).collect();
    assert!(posts.iter().any(|p| p.starts_with(":page_facing_up: The report *report* of incident #1")), "{posts:#?}");
}

/// A custom template beside the policy that reads every documented variable renders from a
/// real incident; the CLI prints the same text.
#[tokio::test]
async fn a_custom_template_using_every_variable_renders_and_firebell_report_prints_the_same() {
    let database = database::sqlite();
    let reports = database.dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let every = include_str!("../fixtures/reports/every_variable.md.j2");
    std::fs::write(reports.join("every.md.j2"), every).unwrap();
    let extra =
        "[[reports]]\nname = \"every\"\ntitle = \"Every variable\"\ntemplate = \"reports/every.md.j2\"\ndue = \"2h\"\n";
    let text = policy("en", extra);
    let app = spawn(text, Some(database)).await;
    let channel = declared(&app, "Card payments declined").await;
    let say = |text: &'static str| app.command_in(text, &channel, "U0ONCALL1");
    say("lead <@U0ONCALL1>").await;
    say("action scale-out Added four gateway nodes").await;
    say("set customers 1200").await;
    say("update Error rate back to normal").await;
    say("followup detect Alert on the 502 ratio").await;
    say("resolve Scaled out").await;
    app.outbox_drained().await;
    say("report every").await;
    app.outbox_drained().await;
    let published = app.slack.canvases()[0].markdown.clone();
    assert!(published.starts_with("# Incident #1: Card payments declined\n"), "{published}");
    for expected in [
        "incident: SEV2 / ",
        "/ payments / ",
        "customers=1200",
        "first_action: scale-out / Added four gateway nodes / ",
        "action: scale-out / Added four gateway nodes / ",
        "update: ",
        "Error rate back to normal",
        "followup: Alert on the 502 ratio / ",
        "report: every / Every variable / ",
    ] {
        assert!(published.contains(expected), "{expected:?} in:\n{published}");
    }
    assert!(published.contains(" KST"), "times in the policy's zone: {published}");

    // `firebell report` renders the same from the database (but for the `now` it was rendered at).
    let policy_path = app.database.dir.path().join("firebell.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["report", "1", "--name", "every"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database.url)
        .env("FIREBELL_CONFIG", &policy_path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    let without_now = |text: &str| text.lines().filter(|l| !l.starts_with("now:")).collect::<Vec<_>>().join("\n");
    assert_eq!(without_now(&printed), without_now(&published));
    // Another template file, against the same incident.
    let other = app.database.dir.path().join("other.md.j2");
    std::fs::write(&other, "# {{ incident.title }}\n{{ people.lead }} / {{ durations.to_first_action }}\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["report", "#1", "--template", other.to_str().unwrap(), "--named"])
        .env_clear()
        .env("DATABASE_URL", &app.database.url)
        .env("FIREBELL_CONFIG", &policy_path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(printed.starts_with("# Card payments declined\nU0ONCALL1 / "), "named: {printed}");
}

#[tokio::test]
async fn check_config_names_the_policy_line_and_the_templates_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    std::fs::write(
        dir.path().join("reports/bad.md.j2"),
        "# {{ incident.title }}\n\nCustomers: {{ incident.customers }}\n",
    )
    .unwrap();
    let extra = "[[reports]]\nname = \"written\"\ntemplate = \"reports/bad.md.j2\"\n";
    let text = policy("en", extra);
    let line = text.lines().position(|l| l == "name = \"written\"").unwrap() + 1;
    let path = dir.path().join("firebell.toml");
    std::fs::write(&path, &text).unwrap();
    let run = |path: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_firebell"))
            .args(["check-config", path.to_str().unwrap()])
            .env_clear()
            .output()
            .unwrap()
    };
    let output = run(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("{}:{line}: report written: reports/bad.md.j2:3: ", path.display());
    assert!(stderr.contains(&expected), "{expected:?} in {stderr}");
    assert!(stderr.contains("`incident` has no attribute `customers`"), "names the attribute: {stderr}");
    // A missing file, and a syntax error, the same way.
    std::fs::write(&path, policy("en", "[[reports]]\nname = \"written\"\ntemplate = \"reports/none.md.j2\"\n"))
        .unwrap();
    let stderr = String::from_utf8_lossy(&run(&path).stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "{}:{line}: report written: reading the report template reports/none.md.j2",
            path.display()
        )),
        "{stderr}"
    );
    std::fs::write(dir.path().join("reports/bad.md.j2"), "# Title\n{% for x in actions %}\n{{ x.kind }\n").unwrap();
    std::fs::write(&path, &text).unwrap();
    let stderr = String::from_utf8_lossy(&run(&path).stderr).into_owned();
    assert!(
        stderr.contains(&format!("{}:{line}: report written: reports/bad.md.j2:3: syntax error", path.display())),
        "{stderr}"
    );
    // `serve` refuses what check-config refuses.
    let output = Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["serve"])
        .env_clear()
        .env("FIREBELL_CONFIG", &path)
        .env("SLACK_BOT_TOKEN", "xoxb-test")
        .env("SLACK_SIGNING_SECRET", "secret")
        .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("db.sqlite").display()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("reports/bad.md.j2:3"));
}

/// The nudges the bot posted for report `name` in `channel`.
fn nudges(slack: &FakeSlack, channel: &str, name: &str) -> Vec<String> {
    workspace::bot_posts(slack, channel)
        .into_iter()
        .map(|m| m.text)
        .filter(|t| t.starts_with(":memo:") && t.contains(&format!("The report *{name}*")))
        .collect()
}

const DUE_IN_3S: &str = "[[reports]]\nname = \"initial\"\ntemplate = \"builtin:en-report\"\ndue = \"3s\"\n";

#[tokio::test]
async fn a_report_due_and_unpublished_nudges_the_lead_once_and_one_published_in_time_none() {
    deadlines(database::sqlite()).await;
}

#[tokio::test]
async fn report_deadlines_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    deadlines(db).await;
}

async fn deadlines(db: TestDatabase) {
    let app = spawn(policy("en", DUE_IN_3S), Some(db)).await;
    let channel = declared(&app, "Card payments declined").await;
    app.command_in("lead <@U0ONCALL1>", &channel, "U0REPORTER").await;
    wait::until_within(Duration::from_secs(20), "the nudge", || async {
        !nudges(&app.slack, &channel, "initial").is_empty()
    })
    .await;
    let said = nudges(&app.slack, &channel, "initial");
    assert!(said[0].starts_with(":memo: <@U0ONCALL1> The report *initial* of incident #1 was due at "), "{said:?}");
    assert!(said[0].contains("`/incident report initial`"), "{said:?}");
    // Time passes; still one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(nudges(&app.slack, &channel, "initial").len(), 1);

    // Published in time: none. (A second incident in the same app.)
    app.command_in("declare sev2 service:payments Refunds failing", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let second = app.app.store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap();
    let second_channel = second.channel.unwrap().to_string();
    app.command_in("report", &second_channel, "U0REPORTER").await;
    app.outbox_drained().await;
    assert_eq!(app.slack.canvases().len(), 1);
    tokio::time::sleep(Duration::from_secs(5)).await;
    app.outbox_drained().await;
    assert!(nudges(&app.slack, &second_channel, "initial").is_empty(), "published before it was due");
    // Without a lead, the reporter is mentioned; a closed incident gets none.
    app.command_in("declare sev2 service:payments Payouts late", "C0GENERAL", "U0REPORTER").await;
    app.command_in("declare sev2 service:payments Invoices late", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let third = app.app.store.incident_by_number(IncidentNumber(3)).await.unwrap().unwrap().channel.unwrap();
    let fourth = app.app.store.incident_by_number(IncidentNumber(4)).await.unwrap().unwrap().channel.unwrap();
    app.command_in("resolve", fourth.as_str(), "U0REPORTER").await;
    app.command_in("close", fourth.as_str(), "U0REPORTER").await;
    wait::until_within(Duration::from_secs(20), "the third nudge", || async {
        !nudges(&app.slack, third.as_str(), "initial").is_empty()
    })
    .await;
    assert!(nudges(&app.slack, third.as_str(), "initial")[0].starts_with(":memo: <@U0REPORTER> "));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(nudges(&app.slack, fourth.as_str(), "initial").is_empty(), "closed: none");
}

#[tokio::test]
async fn a_restart_neither_loses_nor_doubles_a_report_nudge() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let path = db.write_policy(&policy("en", DUE_IN_3S));
    let setup = |log: &str| Setup {
        slack: &slack,
        database_url: &db.url,
        policy: &path,
        log: db.dir.path().join(log),
        env: vec![],
    };
    let first = Firebell::start(&setup("first.log")).await;
    first.command("declare sev2 service:payments Card payments declined", &slack.response_url("cmd")).await;
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the channel", || {
        let store = store.clone();
        async move { store.incident_by_number(IncidentNumber(1)).await.unwrap().is_some_and(|i| i.channel.is_some()) }
    })
    .await;
    // Down across the deadline.
    first.kill().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let second = Firebell::start(&setup("second.log")).await;
    let channel = store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel.unwrap().to_string();
    wait::until_within(Duration::from_secs(20), "the nudge after the restart", || async {
        !nudges(&slack, &channel, "initial").is_empty()
    })
    .await;
    wait::until("the nudge to be recorded as sent", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    // Restarted again after the nudge: not a second one.
    second.kill().await;
    let _third = Firebell::start(&setup("third.log")).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let said = nudges(&slack, &channel, "initial");
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].starts_with(":memo: <@U0REPORTER> "), "no lead: the reporter: {said:?}");
}
