//! `firebell demo`: the real bot against the Slack stand-in, with the page at `/demo`. The
//! browser test drives the page as a visitor would (typing, clicking buttons, the modal, a
//! reaction, skipping ahead); the others check the scripted scenario, the page's API on bad
//! input, and the binary itself.

use std::time::Duration;

use firebell::demo::{self, Options};
use firebell::domain::timeline::TimelineEntry;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::browser::Browser;
use crate::support::wait;

/// A demo on a free port with a fresh database; stops when the token is cancelled.
async fn start(scenario: Option<Duration>) -> (demo::Running, CancellationToken) {
    let shutdown = CancellationToken::new();
    let options = Options { listen: "127.0.0.1:0".parse().unwrap(), korean: false, scenario, database: None };
    let running = tokio::time::timeout(Duration::from_secs(30), demo::start(options, shutdown.clone()))
        .await
        .expect("the demo starts within 30 s")
        .expect("the demo starts");
    (running, shutdown)
}

/// Waits until `script` (a JS expression) is true on the page.
async fn until_page(browser: &Browser, what: &str, script: &str) {
    let check = format!("return !!({script});");
    wait::until(what, || async { browser.execute(&check).await == json!(true) }).await;
}

/// The text of the message list as the page shows it.
async fn messages_text(browser: &Browser) -> String {
    browser
        .execute("return document.querySelector('#messages').innerText;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn in_a_real_browser_a_visitor_declares_updates_highlights_and_sees_the_reminder() {
    let Some(browser) = Browser::start().await else { return };
    let (running, shutdown) = start(None).await;
    let slack = running.slack.clone();

    browser.goto(&format!("{}?as=U0DEMOALICE&channel=general", running.url())).await;
    until_page(&browser, "the workspace", "document.querySelector('.channel[data-channel-name=\"general\"].active')")
        .await;
    let first = browser.text().await;
    for expected in ["firebell demo", "general", "team-payments", "incidents", "Welcome!"] {
        assert!(first.contains(expected), "{expected:?} on the page:\n{first}");
    }

    browser.type_into("#composer", "/incident declare sev2 service:payments Checkout errors").await;
    browser.click("#send").await;
    until_page(
        &browser,
        "the incident channel in the sidebar",
        "document.querySelector('.channel[data-channel-name^=\"inc-\"]')",
    )
    .await;
    let channel = slack.channel_by_prefix("inc-").expect("the incident channel");
    browser.click(".channel[data-channel-name^=\"inc-\"]").await;
    until_page(
        &browser,
        "the pinned summary",
        "document.querySelector('.message.pinned .bk-button[data-action-id=\"incident_update\"]')",
    )
    .await;
    let summary = messages_text(&browser).await;
    assert!(summary.contains("Checkout errors") && summary.contains("SEV2"), "{summary}");

    // The notices in the team channels: payments' own and, for a SEV2, the announcements.
    for team in ["team-payments", "incidents"] {
        browser.click(&format!(".channel[data-channel-name=\"{team}\"]")).await;
        until_page(&browser, team, &format!("document.querySelector('.channel[data-channel-name=\"{team}\"].active') && document.querySelector('#messages').innerText.includes('Checkout errors')")).await;
    }

    // Post update: the modal opens; submitting it posts the update in the channel.
    browser.click(".channel[data-channel-name^=\"inc-\"]").await;
    until_page(
        &browser,
        "the incident channel again",
        "document.querySelector('.message.pinned .bk-button[data-action-id=\"incident_update\"]')",
    )
    .await;
    browser.click(".message.pinned .bk-button[data-action-id=\"incident_update\"]").await;
    until_page(&browser, "the update modal", "document.querySelector('#modal textarea, #modal input[type=text]')")
        .await;
    browser
        .type_into("#modal textarea, #modal input[type=text]", "Rolling back the 14:02 deploy of payments-api")
        .await;
    browser.click("#modal-submit").await;
    until_page(&browser, "the modal to close", "!document.querySelector('#modal')").await;
    until_page(
        &browser,
        "the update in the channel",
        "document.querySelector('#messages').innerText.includes('Rolling back the 14:02 deploy')",
    )
    .await;

    // A person's message, then 📌 on it: a highlight on the incident's timeline.
    browser.type_into("#composer", "The error ratio doubled right after the 14:02 deploy").await;
    browser.click("#send").await;
    until_page(
        &browser,
        "the message",
        "[...document.querySelectorAll('.message')].some(m => m.innerText.includes('doubled right after'))",
    )
    .await;
    let said = slack.messages(&channel).into_iter().find(|m| m.text.contains("doubled right after")).expect("said");
    browser.click(&format!(".message[data-ts=\"{}\"] button.react[data-react=\"pushpin\"]", said.ts)).await;
    until_page(
        &browser,
        "the 📌 on the message",
        &format!("document.querySelector('.message[data-ts=\"{}\"] .reaction[data-name=\"pushpin\"].mine')", said.ts),
    )
    .await;
    let app = running.server.app.clone();
    let incident = app
        .store
        .incident_by_channel(&firebell::domain::ids::ChannelId::parse(&channel).unwrap())
        .await
        .unwrap()
        .expect("the incident");
    wait::until("the highlight on the timeline", || {
        let (app, id) = (app.clone(), incident.id);
        async move {
            let entries = app.store.timeline(id).await.unwrap();
            entries.iter().any(|e| matches!(e.entry, TimelineEntry::Highlight { .. }))
        }
    })
    .await;

    // Skipping ahead 30 minutes brings the update reminder.
    browser.click("#skip").await;
    until_page(
        &browser,
        "the reminder",
        "document.querySelector('#messages').innerText.includes('No update on incident')",
    )
    .await;
    browser.screenshot(&crate::dashboard::screenshot_path("demo.png")).await;

    // The message shortcut from a message's ⋯ menu opens the declare form; Cancel closes it.
    let message = format!(".message[data-ts=\"{}\"]", said.ts);
    browser.click(&format!("{message} button.more")).await;
    browser.click(&format!("{message} .shortcut[data-shortcut=\"declare_incident\"]")).await;
    until_page(&browser, "the declare form", "document.querySelector('#modal [data-block-id=\"title\"]')").await;
    browser.click("#modal-close").await;
    until_page(&browser, "the form to close", "!document.querySelector('#modal')").await;
    assert!(slack.open_view_for("U0DEMOALICE").is_none(), "closed in the stand-in too");
    browser.quit().await;
    shutdown.cancel();
    running.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn the_scenario_plays_from_the_alert_to_the_retrospective() {
    let (running, shutdown) = start(Some(Duration::ZERO)).await;
    let progress = running.scenario.clone().expect("a scenario runs");
    wait::until_within(Duration::from_secs(240), "the scenario to end", || {
        let progress = progress.clone();
        async move { progress.outcome().is_some() }
    })
    .await;
    let state = progress.json();
    assert_eq!(progress.outcome(), Some(Ok(())), "{state}");
    assert_eq!((state["done"].as_u64(), state["of"].as_u64()), (Some(12), Some(12)), "{state}");
    assert_eq!(state["log"].as_array().map(Vec::len), Some(12), "every step is listed: {state}");

    // Every step is visible in the workspace: the page's state shows the incident channel's story.
    let client = reqwest::Client::new();
    let channel = running.slack.channel_by_prefix("inc-").expect("the incident channel");
    let url = format!("http://{}/demo/api/state?as=U0DEMOALICE&channel={channel}", running.addr);
    let page: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    let shown = page["channel"]["messages"].to_string();
    for expected in ["Rolling back the 14:02 deploy", "Error ratio back under 0.1%", "Checkout fails for about 12%"] {
        assert!(shown.contains(expected), "{expected:?} in the channel: {shown}");
    }
    let pinned_by_bob = page["channel"]["messages"].as_array().unwrap().iter().any(|m| {
        m["text"].as_str().unwrap_or_default().contains("Checkout fails") && m["reactions"][0]["name"] == "pushpin"
    });
    assert!(pinned_by_bob, "carol's message carries bob's 📌: {shown}");
    assert_eq!(page["scenario"]["finished"], true);
    // The report and the retrospective are documents of their own (canvases, or files where
    // canvases are refused), each announced in the channel.
    let documents = running.slack.canvases().len() + running.slack.files().len();
    assert!(documents >= 2, "the report and the retrospective were published: {documents}");
    for announced in ["is published", "retrospective of incident #1 is ready"] {
        assert!(shown.contains(announced), "{announced:?} in the channel: {shown}");
    }
    shutdown.cancel();
    running.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn the_pages_api_refuses_bad_input_with_a_reason_and_changes_nothing() {
    let (running, shutdown) = start(None).await;
    let client = reqwest::Client::new();
    let base = format!("http://{}", running.addr);
    let page = client.get(format!("{base}/demo")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("demo.js"));
    let before = running.slack.writes();

    let post = |path: &str, body: Value| client.post(format!("{base}/demo/api/{path}")).json(&body).send();
    let cases = [
        (
            "command",
            json!({"as": "U0NOBODY", "channel": "C0DEMOGENERAL", "text": "help"}),
            400,
            "not one of the demo's people",
        ),
        ("command", json!({"as": "U0DEMOALICE", "channel": "C0NOPE", "text": "help"}), 422, "no channel"),
        ("message", json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "text": "  "}), 422, "empty"),
        (
            "react",
            json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "ts": "1.000001", "name": "eyes"}),
            422,
            "not there",
        ),
        (
            "react",
            json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "ts": "1.000001", "name": "<b>"}),
            422,
            "not a reaction name",
        ),
        ("action", json!({"as": "U0DEMOALICE", "action_id": "incident_update"}), 400, "view_id, or channel and ts"),
        ("submit", json!({"as": "U0DEMOALICE", "view_id": "V0NOPE", "values": {}}), 422, "not open"),
        ("skip", json!({"minutes": 0}), 400, "minutes"),
        ("skip", json!({"minutes": "soon"}), 400, "minutes"),
    ];
    for (path, body, status, reason) in cases {
        let answer = post(path, body.clone()).await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{path} {body}");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["ok"], false);
        assert!(answer["error"].as_str().unwrap().contains(reason), "{path} {body}: {answer}");
    }
    let broken = client
        .post(format!("{base}/demo/api/command"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    assert_eq!(running.slack.writes(), before, "nothing reached Slack");
    assert!(running.slack.channels().iter().all(|c| !c.name.starts_with("inc-")));
    let state: Value =
        client.get(format!("{base}/demo/api/state?as=U0NOBODY")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["me"], "U0DEMOALICE", "an unknown viewer sees the page as the first person");
    shutdown.cancel();
    running.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn the_binary_runs_the_demo_and_serves_the_page() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("firebell demo starts");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let url = format!("http://127.0.0.1:{port}/demo/api/state");
    wait::until("the demo to answer", || {
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(&url).send().await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    let state: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = state["channels"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(names.contains(&"general") && names.contains(&"team-payments"), "{names:?}");
    let declared = client
        .post(format!("http://127.0.0.1:{port}/demo/api/command"))
        .json(&json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "text": "declare sev3 service:checkout Slow cart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status(), 200);
    wait::until("the incident channel", || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let state: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
            state["channels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"].as_str().unwrap_or_default().contains("slow-cart"))
        }
    })
    .await;
    // A second demo on the same address says which flag to change, and stops.
    let second = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "off")
        .kill_on_drop(true)
        .output();
    let second = tokio::time::timeout(Duration::from_secs(30), second).await.expect("it stops").expect("it ran");
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains(&format!("--listen 127.0.0.1:{port}")) && said.contains("choose another"), "{said}");
    child.start_kill().unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
}

/// Posts to the page's API and answers the JSON.
async fn act(client: &reqwest::Client, running: &demo::Running, path: &str, body: Value) -> Value {
    let url = format!("http://{}/demo/api/{path}", running.addr);
    let answer = client.post(url).json(&body).send().await.unwrap();
    answer.json().await.unwrap()
}

async fn page_state(client: &reqwest::Client, running: &demo::Running, me: &str, channel: &str) -> Value {
    let url = format!("http://{}/demo/api/state?as={me}&channel={channel}", running.addr);
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn what_a_visitor_does_reaches_firebell_as_slack_sends_it_alert_prompts_shortcut_and_modal_errors() {
    let (running, shutdown) = start(None).await;
    let (client, slack) = (reqwest::Client::new(), running.slack.clone());
    let bot_posts = |channel: &str| {
        slack.messages(channel).into_iter().filter(|m| m.user == firebell::standin::BOT_USER_ID).collect::<Vec<_>>()
    };

    // The sample alert is offered in the triage channel; ✅ on the prompt declares it.
    assert_eq!(act(&client, &running, "alert", json!({})).await["ok"], true);
    wait::until_sync("the alert's prompt", || !bot_posts("C0DEMOTRIAGE").is_empty()).await;
    let prompt = bot_posts("C0DEMOTRIAGE").remove(0);
    assert!(prompt.blocks.to_string().contains("Checkout p99 latency"), "{}", prompt.blocks);
    let reacted = json!({"as": "U0DEMOCAROL", "channel": "C0DEMOTRIAGE", "ts": prompt.ts, "name": "white_check_mark"});
    assert_eq!(act(&client, &running, "react", reacted).await["ok"], true);
    wait::until_sync("the incident declared from the prompt", || slack.channel_by_prefix("inc-").is_some()).await;

    // The message shortcut opens the declare modal for the person who used it, and no one else.
    let said = json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "text": "Search returns last week's prices"});
    assert_eq!(act(&client, &running, "message", said).await["ok"], true);
    let message = slack.messages("C0DEMOGENERAL").into_iter().find(|m| m.text.contains("last week's prices")).unwrap();
    let shortcut = json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "ts": message.ts});
    assert_eq!(act(&client, &running, "shortcut", shortcut).await["ok"], true);
    wait::until_sync("the declare modal", || slack.open_view_for("U0DEMOALICE").is_some()).await;
    assert!(page_state(&client, &running, "U0DEMOBOB", "general").await["view"].is_null(), "bob sees no modal");
    let state = page_state(&client, &running, "U0DEMOALICE", "general").await;
    let view_id = state["view"]["id"].as_str().unwrap().to_owned();
    assert_eq!(state["view"]["view"]["callback_id"], "declare");

    // An empty title is refused under its field and the modal stays; a good one declares.
    let values = |title: &str| {
        json!({"title": {"title": {"type": "plain_text_input", "value": title}},
               "severity": {"severity": {"type": "static_select", "selected_option": {"value": "SEV3"}}}})
    };
    let refused =
        act(&client, &running, "submit", json!({"as": "U0DEMOALICE", "view_id": view_id, "values": values("  ")}))
            .await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert!(refused["errors"]["title"].is_string(), "{refused}");
    assert!(slack.open_view_for("U0DEMOALICE").is_some(), "the modal stays open");
    let declared = act(
        &client,
        &running,
        "submit",
        json!({"as": "U0DEMOALICE", "view_id": view_id, "values": values("Stale search prices")}),
    )
    .await;
    assert_eq!(declared["ok"], true, "{declared}");
    assert!(slack.open_view_for("U0DEMOALICE").is_none(), "the modal closed");
    wait::until_sync("the second incident", || slack.channels().iter().any(|c| c.name.contains("stale-search-prices")))
        .await;

    // Cancel closes a modal: the summary's Post update opens one, Cancel takes it away.
    let channel = slack.channels().into_iter().find(|c| c.name.contains("stale-search-prices")).unwrap().id;
    wait::until_sync("the pinned summary", || slack.channel(&channel).is_some_and(|c| !c.pins.is_empty())).await;
    let summary = slack.channel(&channel).unwrap().pins[0].clone();
    let summary_message = slack.messages(&channel).into_iter().find(|m| m.ts == summary).unwrap();
    let button = summary_message
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .find_map(|b| b["elements"].as_array()?.iter().find(|e| e["action_id"] == "incident_update").cloned());
    let button = button.expect("a Post update button");
    let click = json!({"as": "U0DEMOBOB", "channel": channel, "ts": summary, "action_id": "incident_update", "value": button["value"]});
    assert_eq!(act(&client, &running, "action", click).await["ok"], true);
    wait::until_sync("the update modal", || slack.open_view_for("U0DEMOBOB").is_some()).await;
    let view = slack.open_view_for("U0DEMOBOB").unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(act(&client, &running, "close", json!({"as": "U0DEMOBOB", "view_id": view})).await["ok"], true);
    assert!(slack.open_view_for("U0DEMOBOB").is_none());
    shutdown.cancel();
    running.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn with_the_korean_locale_the_bot_and_the_page_speak_korean() {
    let shutdown = CancellationToken::new();
    let options = Options { listen: "127.0.0.1:0".parse().unwrap(), korean: true, scenario: None, database: None };
    let running = demo::start(options, shutdown.clone()).await.expect("the demo starts");
    let client = reqwest::Client::new();
    let declared =
        json!({"as": "U0DEMOALICE", "channel": "C0DEMOGENERAL", "text": "declare sev2 service:payments 결제 오류"});
    assert_eq!(act(&client, &running, "command", declared).await["ok"], true);
    wait::until_sync("the incident channel", || running.slack.channel_by_prefix("inc-").is_some()).await;
    let channel = running.slack.channel_by_prefix("inc-").unwrap();
    wait::until_sync("the summary", || running.slack.channel(&channel).is_some_and(|c| !c.pins.is_empty())).await;
    let state = page_state(&client, &running, "U0DEMOALICE", &channel).await;
    assert_eq!(state["locale"], "ko");
    assert_eq!(state["people"][0]["title"], "결제 엔지니어");
    let summary = state["channel"]["messages"][0]["blocks"].to_string();
    assert!(summary.contains("심각도") || summary.contains("인시던트"), "the summary in Korean: {summary}");
    shutdown.cancel();
    running.stop().await.expect("the demo stops cleanly");
}
