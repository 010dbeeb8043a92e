//! Paging: the on-call of an affected service paged by direct message with Acknowledge,
//! unanswered pages climbing `paging.escalate_to`, the announcements told once, and the
//! external pagers (PagerDuty, Opsgenie) told through the outbox — through the HTTP
//! endpoints, against the fake Slack and the fake pagers.

use std::time::{Duration, Instant};

use firebell::config::env::DatabaseUrl;
use firebell::domain::incident::IncidentNumber;
use firebell::store::Store;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_opsgenie::{self, FakeOpsgenie};
use crate::support::fake_pagerduty::{self, FakePagerDuty};
use crate::support::fake_slack::{BOT_USER_ID, FakeSlack, Message};
use crate::support::process::{Firebell, Setup};
use crate::support::{database, signing, wait, workspace};

/// The on-call of payments (a one-person rotation, so the test knows who it is).
const ON_CALL: &str = "U0PAGED1";

/// The contract's policy with payments on a schedule, and `[paging]` as given.
fn policy(paging: &str) -> String {
    let policy = workspace::policy().replace("name = \"payments\"\n", "name = \"payments\"\noncall = \"payments\"\n");
    format!(
        "{policy}\n[[schedules]]\nname = \"payments\"\nmembers = [\"{ON_CALL}\"]\nshift = \"1w\"\nstart = \"2026-01-01T00:00\"\n\n[paging]\n{paging}\n"
    )
}

fn seed(slack: &FakeSlack) {
    workspace::seed(slack);
    for (id, name) in [(ON_CALL, "paged"), ("U0MANAGER", "manager"), ("U0DIRECTOR", "director")] {
        slack.add_user(id, name);
    }
}

async fn spawn(paging: &str) -> TestApp {
    spawn_app_with(Options { policy: Some(policy(paging)), prepare_slack: Some(seed), ..Options::default() }).await
}

/// The direct-message channel the fake opens for `user`.
fn dm(user: &str) -> String {
    format!("D{}", &user[1..])
}

/// The pages `user` was sent (the bot's messages in their direct messages).
fn pages_to(slack: &FakeSlack, user: &str) -> Vec<Message> {
    slack.messages(&dm(user)).into_iter().filter(|m| m.user == BOT_USER_ID).collect()
}

/// The Acknowledge button's value (the page id) of a page, if it still has one.
fn acknowledge_value(page: &Message) -> Option<String> {
    page.blocks.as_array()?.iter().find_map(|block| {
        block["elements"]
            .as_array()?
            .iter()
            .find(|e| e["action_id"] == "page_ack")
            .map(|e| e["value"].as_str().unwrap().to_owned())
    })
}

fn click_acknowledge(user: &str, page_id: &str) -> Value {
    json!({"type": "block_actions", "team": {"id": signing::TEAM_ID}, "user": {"id": user}, "trigger_id": "t-ack",
           "channel": {"id": dm(user)}, "actions": [{"action_id": "page_ack", "type": "button", "value": page_id}]})
}

async fn click(app: &TestApp, payload: &Value) {
    let answer = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(payload))
        .await;
    assert_eq!(answer.status(), 200);
}

async fn until_paged(slack: &FakeSlack, user: &str, count: usize) {
    wait::until_sync(&format!("{count} page(s) to {user}"), || pages_to(slack, user).len() >= count).await;
}

fn bot_lines(slack: &FakeSlack, channel: &str) -> Vec<String> {
    workspace::bot_posts(slack, channel).into_iter().map(|m| m.text).collect()
}

fn incident_channel(slack: &FakeSlack) -> String {
    slack.channel_by_prefix("inc-").expect("the incident channel")
}

/// Every user the bot sent a direct message to, by `chat.postMessage` with a user id.
fn direct_messages(slack: &FakeSlack) -> Vec<String> {
    slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter_map(|call| call.params["channel"].as_str().filter(|c| c.starts_with('U')).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_sev1_on_payments_pages_its_on_call_once_and_a_sev3_pages_nobody_until_raised() {
    let app = spawn("severities = [\"SEV1\"]\nack_within = \"1h\"\nescalate_to = [\"U0MANAGER\"]").await;
    app.command("declare sev1 service:payments Card payments failing").await;
    until_paged(&app.slack, ON_CALL, 1).await;
    app.outbox_drained().await;

    let page = &pages_to(&app.slack, ON_CALL)[0];
    assert!(page.text.starts_with("📟 You are paged for incident #1: *Card payments failing*"), "{}", page.text);
    let shown = page.blocks.to_string();
    assert!(shown.contains("SEV1 (Critical)") && shown.contains("You are on call for *payments*."), "{shown}");
    assert!(acknowledge_value(page).is_some(), "an Acknowledge button: {shown}");
    assert_eq!(direct_messages(&app.slack), vec![ON_CALL.to_owned()], "nobody else is paged");
    // Sent before the channel existed, the page links it once it does.
    let channel = incident_channel(&app.slack);
    assert!(shown.contains(&format!("<#{channel}>")), "{shown}");
    // The on-call is a responder of the incident: invited to its channel.
    assert!(app.slack.channel(&channel).unwrap().members.contains(&ON_CALL.to_owned()));

    // A SEV3 pages nobody, but its on-call is invited all the same.
    app.command("declare sev3 service:payments Slow refunds").await;
    app.outbox_drained().await;
    assert_eq!(pages_to(&app.slack, ON_CALL).len(), 1, "no page for a SEV3");
    let sev3 = app.app.store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap().channel.unwrap();
    assert!(app.slack.channel(sev3.as_str()).unwrap().members.contains(&ON_CALL.to_owned()));
    // Raised into SEV1: paged once; down and up again: not again.
    for severity in ["sev1", "sev2", "sev1"] {
        app.command_in(&format!("severity {severity}"), sev3.as_str(), "U0REPORTER").await;
    }
    until_paged(&app.slack, ON_CALL, 2).await;
    app.outbox_drained().await;
    let pages = pages_to(&app.slack, ON_CALL);
    assert_eq!(pages.len(), 2, "one page per incident: {pages:#?}");
    assert!(pages[1].text.contains("incident #2"), "{}", pages[1].text);
    assert!(bot_lines(&app.slack, sev3.as_str()).iter().any(|l| l == "📟 Paged <@U0PAGED1>, on call for *payments*."));
}

#[tokio::test]
async fn an_unanswered_page_climbs_each_level_then_tells_the_announcements_once() {
    let app =
        spawn("severities = [\"SEV1\"]\nack_within = \"1s\"\nescalate_to = [\"U0MANAGER\", \"U0DIRECTOR\"]").await;
    app.command("declare sev1 service:payments Card payments failing").await;
    let told = |slack: &FakeSlack| {
        bot_lines(slack, "C0INCIDENTS")
            .into_iter()
            .filter(|l| l.starts_with("⚠️ Nobody acknowledged the pages"))
            .count()
    };
    wait::until_sync("the announcements to be told", || told(&app.slack) == 1).await;
    app.outbox_drained().await;
    // Two more ack_within: nothing more comes.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.outbox_drained().await;
    assert_eq!(told(&app.slack), 1, "told once");
    assert_eq!(pages_to(&app.slack, ON_CALL).len(), 1);
    assert_eq!(pages_to(&app.slack, "U0MANAGER").len(), 1);
    assert_eq!(pages_to(&app.slack, "U0DIRECTOR").len(), 1);
    let manager = &pages_to(&app.slack, "U0MANAGER")[0];
    assert!(manager.blocks.to_string().contains("escalation level 1"), "{}", manager.blocks);
    let channel = incident_channel(&app.slack);
    let lines = bot_lines(&app.slack, &channel);
    let climb: Vec<&String> = lines.iter().filter(|l| l.starts_with("📟") || l.starts_with("⚠️")).collect();
    assert_eq!(
        climb,
        [
            "📟 Nobody acknowledged within 1s: paging <@U0MANAGER> (escalation level 1).",
            "📟 Nobody acknowledged within 1s: paging <@U0DIRECTOR> (escalation level 2).",
            "⚠️ Nobody acknowledged any page after 2 escalation level(s); the announcements channel was told.",
        ],
        "{lines:#?}"
    );
    let announced = bot_lines(&app.slack, "C0INCIDENTS").into_iter().find(|l| l.starts_with("⚠️")).unwrap();
    assert!(announced.contains("incident #1 (SEV1: Card payments failing) after 2 escalation level(s)"), "{announced}");
    assert!(announced.contains(&format!("<#{channel}>")), "{announced}");

    // A private incident's climb is told too, without its title or channel.
    app.command("declare --private sev1 service:payments Payroll export leaked").await;
    wait::until_sync("the private incident's announcement", || told(&app.slack) == 2).await;
    let private = bot_lines(&app.slack, "C0INCIDENTS").into_iter().filter(|l| l.starts_with("⚠️")).nth(1).unwrap();
    assert!(private.starts_with("⚠️ Nobody acknowledged the pages for private incident #2"), "{private}");
    assert!(!private.contains("Payroll") && !private.contains("<#"), "{private}");
}

#[tokio::test]
async fn acknowledging_edits_the_page_invites_stops_the_climb_and_counts_for_mtta() {
    let app = spawn("severities = [\"SEV1\"]\nack_within = \"5s\"\nescalate_to = [\"U0MANAGER\"]").await;
    app.command("declare sev1 service:checkout Checkout errors").await;
    // Checkout has no schedule: nobody to page, so no climb and no announcement either.
    app.outbox_drained().await;
    assert!(direct_messages(&app.slack).is_empty());
    app.command("declare sev1 service:payments Card payments failing").await;
    until_paged(&app.slack, ON_CALL, 1).await;
    let page_id = acknowledge_value(&pages_to(&app.slack, ON_CALL)[0]).unwrap();
    let store = app.app.store.clone();
    wait::until("the incident channel", || {
        let store = store.clone();
        async move { store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap().channel.is_some() }
    })
    .await;
    let channel = app.app.store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap().channel.unwrap();
    wait::until_sync("the on-call to be invited", || {
        app.slack.channel(channel.as_str()).unwrap().members.contains(&ON_CALL.to_owned())
    })
    .await;
    app.slack.remove_member(channel.as_str(), ON_CALL);

    // Someone else's click changes nothing; a second click neither.
    click(&app, &click_acknowledge("U0MANAGER", &page_id)).await;
    click(&app, &click_acknowledge(ON_CALL, &page_id)).await;
    click(&app, &click_acknowledge(ON_CALL, &page_id)).await;
    app.outbox_drained().await;
    let page = &pages_to(&app.slack, ON_CALL)[0];
    assert!(page.edited && acknowledge_value(page).is_none(), "the button is gone: {}", page.blocks);
    assert!(page.blocks.to_string().contains("✅ Acknowledged"), "{}", page.blocks);
    assert!(app.slack.channel(channel.as_str()).unwrap().members.contains(&ON_CALL.to_owned()), "invited again");
    let acknowledged: Vec<String> =
        bot_lines(&app.slack, channel.as_str()).into_iter().filter(|l| l.contains("acknowledged the page")).collect();
    assert_eq!(acknowledged, ["✅ <@U0PAGED1> acknowledged the page."], "once, for the first click");

    // Past the first level's instant: nobody else was paged.
    tokio::time::sleep(Duration::from_secs(6)).await;
    app.outbox_drained().await;
    assert!(pages_to(&app.slack, "U0MANAGER").is_empty(), "the climb stopped");
    assert!(bot_lines(&app.slack, "C0INCIDENTS").iter().all(|l| !l.starts_with("⚠️")));
    // The acknowledgement is the incident's (MTTA); the checkout incident has none yet.
    let stats = app.command("stats").await["text"].as_str().unwrap().to_owned();
    let row = stats.lines().find(|l| l.starts_with("• SEV1")).unwrap().to_owned();
    assert!(row.starts_with("• SEV1: 2 · MTTA ") && !row.contains("MTTA —"), "{stats}");
    let incident = app.app.store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap();
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    let kinds: Vec<String> = timeline.iter().filter_map(|e| e.entry.kind().ok()).map(|k| k.name()).collect();
    assert!(kinds.contains(&"paged".to_owned()) && kinds.contains(&"page_acknowledged".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn resolving_stops_the_climb_and_a_late_acknowledge_is_not_the_incidents() {
    let app = spawn("severities = [\"SEV1\"]\nack_within = \"3s\"\nescalate_to = [\"U0MANAGER\"]").await;
    app.command("declare sev1 service:payments Card payments failing").await;
    until_paged(&app.slack, ON_CALL, 1).await;
    // Recorded, not only created in Slack: `resolve` finds its incident by the stored channel.
    let store = app.app.store.clone();
    wait::until("the incident channel to be recorded", || {
        let store = store.clone();
        async move { store.incident_by_number(IncidentNumber(1)).await.unwrap().is_some_and(|i| i.channel.is_some()) }
    })
    .await;
    let channel = incident_channel(&app.slack);
    let resolved = app.command_in("resolve Rolled back", &channel, "U0REPORTER").await;
    assert!(!resolved["text"].as_str().unwrap().contains("Only"), "{resolved}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    app.outbox_drained().await;
    assert!(pages_to(&app.slack, "U0MANAGER").is_empty(), "no escalation after the resolution");
    assert!(bot_lines(&app.slack, "C0INCIDENTS").iter().all(|l| !l.starts_with("⚠️")));

    // The page answered after the resolution shows it, but is no acknowledgement of the incident.
    let page_id = acknowledge_value(&pages_to(&app.slack, ON_CALL)[0]).unwrap();
    click(&app, &click_acknowledge(ON_CALL, &page_id)).await;
    app.outbox_drained().await;
    assert!(acknowledge_value(&pages_to(&app.slack, ON_CALL)[0]).is_none());
    let stats = app.command("stats").await["text"].as_str().unwrap().to_owned();
    assert!(stats.contains("• SEV1: 1 · MTTA —"), "{stats}");
    assert!(bot_lines(&app.slack, &channel).iter().all(|l| !l.contains("acknowledged the page")));
}

#[tokio::test]
async fn page_user_pages_anyone_now_without_a_climb() {
    let app = spawn("severities = [\"SEV1\"]\nack_within = \"1s\"\nescalate_to = [\"U0MANAGER\"]").await;
    app.command("declare sev3 service:search Search is slow").await;
    app.outbox_drained().await;
    let channel = incident_channel(&app.slack);
    let reply = app.command_in("page <@U0DIRECTOR>", &channel, "U0SEARCHER").await;
    assert_eq!(reply["text"], "📟 Paging <@U0DIRECTOR> now.");
    until_paged(&app.slack, "U0DIRECTOR", 1).await;
    app.outbox_drained().await;
    let page = &pages_to(&app.slack, "U0DIRECTOR")[0];
    assert!(page.blocks.to_string().contains("<@U0SEARCHER> paged you."), "{}", page.blocks);
    assert!(bot_lines(&app.slack, &channel).iter().any(|l| l == "📟 <@U0SEARCHER> paged <@U0DIRECTOR>."));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.outbox_drained().await;
    assert!(pages_to(&app.slack, "U0MANAGER").is_empty(), "a page by hand starts no climb");

    // Outside an incident channel, or on a resolved incident, nobody is paged.
    let outside = app.command("page <@U0DIRECTOR>").await;
    assert!(outside["text"].as_str().unwrap().contains("works inside an incident channel"), "{outside}");
    app.command_in("resolve", &channel, "U0SEARCHER").await;
    let resolved = app.command_in("page <@U0DIRECTOR>", &channel, "U0SEARCHER").await;
    assert!(
        resolved["text"].as_str().unwrap().starts_with("Incident #1 is resolved, so nobody is paged"),
        "{resolved}"
    );
    app.outbox_drained().await;
    assert_eq!(pages_to(&app.slack, "U0DIRECTOR").len(), 1);
}

/// Starts the app with PagerDuty and Opsgenie on, against their fakes.
async fn spawn_with_pagers(pagerduty: &FakePagerDuty, opsgenie: &FakeOpsgenie) -> TestApp {
    let paging = "severities = [\"SEV1\"]\nack_within = \"1h\"\npagerduty = true\nopsgenie = true";
    spawn_app_with(Options {
        policy: Some(policy(paging)),
        prepare_slack: Some(seed),
        env: vec![
            ("PAGERDUTY_ROUTING_KEY", fake_pagerduty::ROUTING_KEY.to_owned()),
            ("FIREBELL_PAGERDUTY_URL", pagerduty.url()),
            ("OPSGENIE_API_KEY", fake_opsgenie::KEY.to_owned()),
            ("FIREBELL_OPSGENIE_URL", opsgenie.url()),
        ],
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn external_pagers_are_triggered_acknowledged_and_resolved_once_each_through_429s_and_500s() {
    let (pagerduty, opsgenie) = (FakePagerDuty::start().await, FakeOpsgenie::start().await);
    let app = spawn_with_pagers(&pagerduty, &opsgenie).await;
    pagerduty.fail_next(1, 429);
    opsgenie.fail_next(1, 500);
    app.command("declare sev1 service:payments Card payments failing").await;
    until_paged(&app.slack, ON_CALL, 1).await;
    app.outbox_drained().await;
    let triggered = pagerduty.accepted();
    assert_eq!(triggered.len(), 1, "{triggered:#?}");
    let key = triggered[0].dedup_key.clone();
    let body = &triggered[0].body;
    assert_eq!(body["payload"]["severity"], "critical");
    assert_eq!(body["payload"]["summary"], "Incident #1: Card payments failing");
    assert_eq!(body["payload"]["source"], "payments");
    let channel = incident_channel(&app.slack);
    assert_eq!(body["links"][0]["href"], format!("https://slack.com/app_redirect?channel={channel}"), "{body}");
    let alias = key.clone();
    let alert = opsgenie.alert(&alias).expect("the Opsgenie alert, by the same key");
    assert_eq!((alert.priority.as_str(), alert.message.as_str()), ("P1", "Card payments failing"));

    // Raising again and a manual page send nothing more outside Slack.
    for severity in ["sev2", "sev1"] {
        app.command_in(&format!("severity {severity}"), &channel, "U0REPORTER").await;
    }
    app.command_in("page <@U0MANAGER>", &channel, "U0REPORTER").await;
    pagerduty.fail_next(1, 500);
    opsgenie.fail_next(1, 429);
    let page_id = acknowledge_value(&pages_to(&app.slack, ON_CALL)[0]).unwrap();
    click(&app, &click_acknowledge(ON_CALL, &page_id)).await;
    app.outbox_drained().await;
    pagerduty.fail_next(1, 429);
    opsgenie.fail_next(1, 500);
    app.command_in("resolve Rolled back", &channel, "U0REPORTER").await;
    app.outbox_drained().await;

    for action in ["trigger", "acknowledge", "resolve"] {
        assert_eq!(pagerduty.accepted_count(action, &key), 1, "{action} once");
    }
    assert_eq!(pagerduty.duplicates(&key), 0);
    assert_eq!(pagerduty.alert_state(&key), Some(fake_pagerduty::AlertState::Resolved));
    for action in [fake_opsgenie::Action::Create, fake_opsgenie::Action::Acknowledge, fake_opsgenie::Action::Close] {
        assert_eq!(opsgenie.count(action, &alias), 1, "{action:?} once");
    }
    assert_eq!(opsgenie.status(&alias), Some(fake_opsgenie::AlertStatus::Closed));
    assert!(opsgenie.unknown().is_empty());
    assert!(pagerduty.requests().len() == 6 && opsgenie.requests().len() == 6, "each failed once, then went through");
}

#[tokio::test]
async fn a_pager_turned_on_without_its_key_stops_the_start_with_what_to_set() {
    let db = database::sqlite();
    let path = db.write_policy(&policy("pagerduty = true"));
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    let vars: std::collections::HashMap<&str, String> = std::collections::HashMap::from([
        ("SLACK_BOT_TOKEN", "xoxb-test-token".to_owned()),
        ("SLACK_SIGNING_SECRET", signing::SIGNING_SECRET.to_owned()),
        ("SLACK_API_URL", slack.api_url()),
        ("DATABASE_URL", db.url.clone()),
        ("FIREBELL_CONFIG", path.display().to_string()),
        ("FIREBELL_LISTEN", "127.0.0.1:0".to_owned()),
    ]);
    let settings = firebell::config::env::Env(move |name: &str| vars.get(name).cloned()).serve().unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let started = firebell::serve::start(settings, std::sync::Arc::new(firebell::clock::SystemClock), shutdown).await;
    let error = format!("{:#}", started.err().expect("refused"));
    assert!(error.contains("paging.pagerduty = true in the policy, but PAGERDUTY_ROUTING_KEY is not set"), "{error}");
}

/// The real binary with paging on, against the fakes, on `db`.
fn process_setup<'a>(
    slack: &'a FakeSlack,
    db: &'a database::TestDatabase,
    policy: &'a std::path::Path,
    name: &str,
    pagerduty: Option<&FakePagerDuty>,
) -> Setup<'a> {
    let env = pagerduty.map_or_else(Vec::new, |fake| {
        vec![("PAGERDUTY_ROUTING_KEY", fake_pagerduty::ROUTING_KEY.to_owned()), ("FIREBELL_PAGERDUTY_URL", fake.url())]
    });
    Setup { slack, database_url: &db.url, policy, log: db.dir.path().join(name), env }
}

#[tokio::test]
async fn a_kill_between_pagerduty_events_sends_each_once() {
    let (slack, pagerduty) =
        (FakeSlack::start().await.expect("the Slack stand-in starts"), FakePagerDuty::start().await);
    seed(&slack);
    let db = database::sqlite();
    let path = db.write_policy(&policy("severities = [\"SEV1\"]\nack_within = \"1h\"\npagerduty = true"));
    let first = Firebell::start(&process_setup(&slack, &db, &path, "first.log", Some(&pagerduty))).await;
    first.command("declare sev1 service:payments Card payments failing", &slack.response_url("cmd")).await;
    assert!(pagerduty.wait_for(|f| f.accepted().len() == 1, Duration::from_secs(30)).await, "triggered");
    until_paged(&slack, ON_CALL, 1).await;
    // Killed between two events: the trigger is recorded as sent. (Killed in the middle of
    // one, after PagerDuty accepted it and before it was recorded, the trigger is sent again
    // with the same dedup_key, which PagerDuty folds into the same alert.)
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the trigger to be recorded as sent", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    first.kill().await;

    let second = Firebell::start(&process_setup(&slack, &db, &path, "second.log", Some(&pagerduty))).await;
    let page_id = acknowledge_value(&pages_to(&slack, ON_CALL)[0]).unwrap();
    assert_eq!(second.interaction(&click_acknowledge(ON_CALL, &page_id)).await, 200);
    assert!(pagerduty.wait_for(|f| f.accepted().len() == 2, Duration::from_secs(30)).await, "acknowledged");
    wait::until("the acknowledge to be recorded as sent", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    second.kill().await;

    let third = Firebell::start(&process_setup(&slack, &db, &path, "third.log", Some(&pagerduty))).await;
    let channel = incident_channel(&slack);
    third.command_in("resolve", &channel, &slack.response_url("resolve")).await;
    assert!(pagerduty.wait_for(|f| f.accepted().len() == 3, Duration::from_secs(30)).await, "resolved");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let key = pagerduty.accepted()[0].dedup_key.clone();
    let actions: Vec<String> = pagerduty.accepted().iter().map(|e| e.action.clone()).collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(pagerduty.accepted().iter().all(|e| e.dedup_key == key), "one dedup_key");
    assert_eq!(pages_to(&slack, ON_CALL).len(), 1);
}

async fn a_restart_mid_climb_neither_loses_nor_doubles_a_level(db: database::TestDatabase) {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    seed(&slack);
    let path = db.write_policy(&policy(
        "severities = [\"SEV1\"]\nack_within = \"2s\"\nescalate_to = [\"U0MANAGER\", \"U0DIRECTOR\"]",
    ));
    let first = Firebell::start(&process_setup(&slack, &db, &path, "first.log", None)).await;
    first.command("declare sev1 service:payments Card payments failing", &slack.response_url("cmd")).await;
    until_paged(&slack, "U0MANAGER", 1).await;
    // Killed between two levels (not in the middle of the first one's post, which a restart
    // would send again: a page is sent at least once).
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("level 1 to be recorded as sent", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    first.kill().await;
    // Down across the next level's instant.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _second = Firebell::start(&process_setup(&slack, &db, &path, "second.log", None)).await;
    until_paged(&slack, "U0DIRECTOR", 1).await;
    wait::until_sync("the announcements", || bot_lines(&slack, "C0INCIDENTS").iter().any(|l| l.starts_with("⚠️")))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(pages_to(&slack, ON_CALL).len(), 1);
    assert_eq!(pages_to(&slack, "U0MANAGER").len(), 1);
    assert_eq!(pages_to(&slack, "U0DIRECTOR").len(), 1);
    assert_eq!(bot_lines(&slack, "C0INCIDENTS").iter().filter(|l| l.starts_with("⚠️")).count(), 1);
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_climb_neither_loses_nor_doubles_a_level() {
    a_restart_mid_climb_neither_loses_nor_doubles_a_level(database::sqlite()).await;
}

#[tokio::test]
async fn two_replicas_on_postgres_page_once() {
    let Some(db) = database::postgres().await else { return };
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    seed(&slack);
    let path = db.write_policy(&policy(
        "severities = [\"SEV1\"]\nack_within = \"1s\"\nescalate_to = [\"U0MANAGER\", \"U0DIRECTOR\"]",
    ));
    let one = Firebell::start(&process_setup(&slack, &db, &path, "one.log", None)).await;
    let two = Firebell::start(&process_setup(&slack, &db, &path, "two.log", None)).await;
    one.command("declare sev1 service:payments Card payments failing", &slack.response_url("one")).await;
    let channel_of_two = || slack.channel_by_prefix("inc-");
    wait::until_sync("the incident channel", || channel_of_two().is_some()).await;
    two.command("declare sev1 service:payments Refunds failing", &slack.response_url("two")).await;
    wait::until_sync("both climbs to end", || {
        bot_lines(&slack, "C0INCIDENTS").iter().filter(|l| l.starts_with("⚠️")).count() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    one.kill().await;
    two.kill().await;
    assert_eq!(pages_to(&slack, ON_CALL).len(), 2, "one page per incident");
    assert_eq!(pages_to(&slack, "U0MANAGER").len(), 2);
    assert_eq!(pages_to(&slack, "U0DIRECTOR").len(), 2);
    assert_eq!(bot_lines(&slack, "C0INCIDENTS").iter().filter(|l| l.starts_with("⚠️")).count(), 2);
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    for number in [1, 2] {
        let incident = store.incident_by_number(IncidentNumber(number)).await.unwrap().unwrap();
        assert_eq!(store.pages(incident.id).await.unwrap().len(), 3, "on-call, manager, director");
    }
}

/// Not a timing assertion: prints how long a page takes to reach the fakes, for BENCHMARKS.md.
#[tokio::test]
async fn declaration_to_page_and_to_pagerduty_trigger_figures() {
    const RUNS: usize = 15;
    let (pagerduty, opsgenie) = (FakePagerDuty::start().await, FakeOpsgenie::start().await);
    let app = spawn_with_pagers(&pagerduty, &opsgenie).await;
    let (mut to_dm, mut to_trigger) = (Vec::new(), Vec::new());
    for n in 1..=RUNS {
        let started = Instant::now();
        app.command(&format!("declare sev1 service:payments Card payments failing {n}")).await;
        let (mut dm_at, mut trigger_at) = (None, None);
        // Polled every millisecond, so the figure is not the poll's interval; the wait is
        // bounded like every other (the usual deadline), not timed.
        let seen = tokio::time::timeout(wait::DEADLINE, async {
            while dm_at.is_none() || trigger_at.is_none() {
                if dm_at.is_none() && pages_to(&app.slack, ON_CALL).len() >= n {
                    dm_at = Some(started.elapsed());
                }
                if trigger_at.is_none() && pagerduty.accepted().len() >= n {
                    trigger_at = Some(started.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        assert!(seen.is_ok(), "the page and the trigger of declaration {n} never came");
        to_dm.extend(dm_at);
        to_trigger.extend(trigger_at);
        // One page a second to the same person: Slack's pace for posts to one conversation,
        // which firebell keeps; faster, the figure would be the pace's queue.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    app.outbox_drained().await;
    assert_eq!(pages_to(&app.slack, ON_CALL).len(), RUNS, "one page per incident");
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    println!("declaration → DM page, each: {to_dm:?}");
    println!(
        "declaration → DM page: median {:?}; declaration → PagerDuty trigger: median {:?} ({RUNS} SEV1 declarations a second apart, polled every millisecond)",
        median(to_dm),
        median(to_trigger)
    );
}

#[tokio::test]
async fn a_resolved_incident_raised_or_given_a_service_wakes_nobody() {
    let (pagerduty, opsgenie) = (FakePagerDuty::start().await, FakeOpsgenie::start().await);
    let app = spawn_with_pagers(&pagerduty, &opsgenie).await;
    app.command("declare sev3 service:checkout Slow checkout").await;
    app.outbox_drained().await;
    let channel = incident_channel(&app.slack);
    app.command_in("resolve", &channel, "U0REPORTER").await;
    app.command_in("severity sev1", &channel, "U0REPORTER").await;
    app.command_in("service add payments", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    assert!(direct_messages(&app.slack).is_empty(), "nobody paged");
    assert!(pagerduty.requests().is_empty() && opsgenie.requests().is_empty(), "no external alert");
}
