//! Reminders with second-scale cadences: they fire on time, mention the lead, are answered
//! by updates and snoozes, escalate once per silence, stop at resolve, survive restarts and
//! are sent once by two replicas.

use std::time::Duration;

use firebell::config::env::DatabaseUrl;
use firebell::domain::incident::IncidentNumber;
use firebell::domain::timeline::TimelineEntry;
use firebell::store::Store;
use firebell::store::outbox::JobState;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::db_fault;
use crate::support::fake_slack::{FakeSlack, Fault, Message};
use crate::support::process::{Firebell, Setup};
use crate::support::signing::{self, event_envelope};
use crate::support::{database, wait, workspace};

/// A policy whose clocks tick in seconds.
fn fast_policy(extra: &str) -> String {
    format!(
        r#"
timezone = "UTC"
default_severity = "SEV1"
[channels]
announcements = "C0INCIDENTS"
[reminders]
escalate_after = 2
lead_within = "1h"
retro_within = "2s"
{extra}
[retro]
required_for = ["SEV1"]
[[severities]]
name = "SEV1"
label = "Critical"
share = "broad"
update_every = "2s"
[[severities]]
name = "SEV3"
label = "Minor"
share = "narrow"
update_every = "1h"
[[services]]
name = "payments"
team_channel = "C0PAYMENTS"
responders = ["U0ONCALL1"]
"#
    )
}

async fn app(extra: &str) -> TestApp {
    spawn_app_with(Options {
        policy: Some(fast_policy(extra)),
        prepare_slack: Some(workspace::seed),
        ..Options::default()
    })
    .await
}

async fn declare(app: &TestApp, text: &str) -> String {
    app.command_in(text, "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel.unwrap().to_string()
}

fn reminders_in(slack: &FakeSlack, channel: &str) -> Vec<Message> {
    workspace::bot_posts(slack, channel).into_iter().filter(|m| m.text.contains("No update on incident #1")).collect()
}

fn escalations(slack: &FakeSlack) -> Vec<Message> {
    workspace::bot_posts(slack, "C0INCIDENTS")
        .into_iter()
        .filter(|m| m.text.contains("has had no update for"))
        .collect()
}

async fn until_reminders(slack: &FakeSlack, channel: &str, count: usize) {
    wait::until_sync(&format!("{count} reminder(s)"), || reminders_in(slack, channel).len() >= count).await;
}

async fn interact(app: &TestApp, payload: Value) {
    let response = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&payload))
        .await;
    assert_eq!(response.status(), 200);
}

fn click(action: Value) -> Value {
    json!({"type": "block_actions", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0ONCALL1"}, "trigger_id": "t-1", "actions": [action]})
}

#[tokio::test]
async fn a_sev1_without_updates_gets_a_reminder_that_mentions_the_lead() {
    let app = app("").await;
    let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
    app.command_in("lead <@U0ONCALL1>", &channel, "U0REPORTER").await;
    until_reminders(&app.slack, &channel, 1).await;
    let reminder = &reminders_in(&app.slack, &channel)[0];
    assert!(reminder.text.starts_with("<@U0ONCALL1> "), "{}", reminder.text);
    let blocks = reminder.blocks.to_string();
    for part in ["incident_update", "reminder_snooze", "reminder_snooze_for", "what is being tried"] {
        assert!(blocks.contains(part), "the reminder lacks {part}: {blocks}");
    }
}

#[tokio::test]
async fn posting_an_update_from_the_reminder_resets_the_clock() {
    let app = app("").await;
    let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
    until_reminders(&app.slack, &channel, 1).await;
    let id = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().id;
    interact(&app, click(json!({"action_id": "incident_update", "value": id.to_string(), "type": "button"}))).await;
    assert_eq!(app.slack.calls_to("views.open").last().unwrap().params["view"]["callback_id"], "incident_update");
    let values = json!({"text": {"text": {"type": "plain_text_input", "value": "Rolled back"}}, "status": {"status": {"selected_option": null}}});
    let submitted = app.post_signed(
        "/slack/interactions",
        "application/x-www-form-urlencoded",
        signing::interaction_form(&json!({"type": "view_submission", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0ONCALL1"},
            "view": {"callback_id": "incident_update", "private_metadata": id.to_string(), "state": {"values": values}}})),
    );
    let before = chrono::Utc::now();
    assert_eq!(submitted.await.status(), 200);
    let incident = app.app.store.incident(id).await.unwrap().unwrap();
    assert_eq!(incident.timers.unanswered, 0);
    assert!(
        incident.timers.reminder_due_at.unwrap() >= before + chrono::Duration::milliseconds(1900),
        "a full cadence from the update"
    );
}

#[tokio::test]
async fn snoozing_delays_the_next_reminder_and_an_eyes_reaction_snoozes_once() {
    let app = app("").await;
    let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
    until_reminders(&app.slack, &channel, 1).await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let before = chrono::Utc::now();
    interact(&app, click(json!({"action_id": "reminder_snooze_for", "type": "overflow", "selected_option": {"value": format!("{}:3600", incident.id)}}))).await;
    let snoozed = app.app.store.incident(incident.id).await.unwrap().unwrap();
    assert!(snoozed.timers.reminder_due_at.unwrap() >= before + chrono::Duration::minutes(59), "{:?}", snoozed.timers);

    // The eyes reaction on the latest reminder snoozes by the cadence, once per reminder.
    let reminder_ts = app.app.store.incident(incident.id).await.unwrap().unwrap().last_reminder_ts.unwrap();
    let eyes = |id: &str| {
        event_envelope(
            id,
            json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "eyes", "item": {"type": "message", "channel": &channel, "ts": &reminder_ts}}),
        )
    };
    assert_eq!(app.event(eyes("Ev1"), None).await.status(), 200);
    app.event(eyes("Ev2"), None).await;
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    let snoozes = timeline.iter().filter(|e| matches!(e.entry, TimelineEntry::ReminderSnoozed { .. })).count();
    assert_eq!(snoozes, 2, "the overflow snooze and one eyes snooze");
}

#[tokio::test]
async fn an_eyes_snooze_that_fails_once_is_applied_by_slacks_retry() {
    for db in database::all().await {
        let backend = db.backend;
        let app = spawn_app_with(Options {
            policy: Some(fast_policy("")),
            prepare_slack: Some(workspace::seed),
            database: Some(db),
            ..Options::default()
        })
        .await;
        let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
        until_reminders(&app.slack, &channel, 1).await;
        let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
        // An hour's snooze first, so that the reminder reacted to stays the latest one.
        interact(&app, click(json!({"action_id": "reminder_snooze_for", "type": "overflow", "selected_option": {"value": format!("{}:3600", incident.id)}}))).await;
        let reminder_ts = app.app.store.incident(incident.id).await.unwrap().unwrap().last_reminder_ts.unwrap();
        let eyes = event_envelope(
            "Ev1",
            json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "eyes", "item": {"type": "message", "channel": &channel, "ts": &reminder_ts}}),
        );
        let recording_the_snooze =
            db_fault::Fault { table: "timeline_events", event: "INSERT", when: Some("NEW.kind = 'reminder_snoozed'") };

        recording_the_snooze.inject(&app.app.store).await;
        assert_eq!(app.event(eyes.clone(), None).await.status(), 500, "{backend}: Slack is asked to deliver it again");
        recording_the_snooze.clear(&app.app.store).await;
        assert_eq!(app.event(eyes, Some(1)).await.status(), 200, "{backend}");

        let timeline = app.app.store.timeline(incident.id).await.unwrap();
        let snoozes = timeline.iter().filter(|e| matches!(e.entry, TimelineEntry::ReminderSnoozed { .. })).count();
        assert_eq!(snoozes, 2, "{backend}: the overflow snooze and the eyes snooze, applied by the retry");
        assert!(app.app.store.reminder_snoozed(incident.id, &reminder_ts).await.unwrap(), "{backend}: snoozed");
    }
}

#[tokio::test]
async fn two_ignored_reminders_escalate_once_and_resolve_stops_them() {
    let app = app("").await;
    let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
    until_reminders(&app.slack, &channel, 3).await;
    app.outbox_drained().await;
    let escalated = escalations(&app.slack);
    assert_eq!(escalated.len(), 1, "once per silence, not once per reminder");
    assert!(escalated[0].text.contains(&format!("<#{channel}>")));
    assert!(
        workspace::bot_posts(&app.slack, "C0PAYMENTS").iter().all(|m| !m.text.contains("has had no update")),
        "broad: announcements only"
    );

    app.command_in("resolve Rolled back", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    let after_resolve = reminders_in(&app.slack, &channel).len();
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(incident.timers.reminder_due_at, None);
    // Longer than a cadence: nothing more comes.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.outbox_drained().await;
    assert_eq!(reminders_in(&app.slack, &channel).len(), after_resolve, "no reminder after resolve");
    let nudges = workspace::bot_posts(&app.slack, &channel)
        .into_iter()
        .filter(|m| m.text.contains("has no retrospective yet"))
        .count();
    assert!(nudges <= 1);
}

#[tokio::test]
async fn a_missing_lead_is_nudged_once_with_an_assign_lead_button() {
    let policy = fast_policy("")
        .replace("lead_within = \"1h\"", "lead_within = \"1s\"")
        .replace("update_every = \"2s\"", "update_every = \"1h\"");
    let app =
        spawn_app_with(Options { policy: Some(policy), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
    let nudges = || {
        workspace::bot_posts(&app.slack, &channel)
            .into_iter()
            .filter(|m| m.text.contains("has no lead yet"))
            .collect::<Vec<_>>()
    };
    wait::until_sync("the lead nudge", || !nudges().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.outbox_drained().await;
    let found = nudges();
    assert_eq!(found.len(), 1, "once");
    assert!(found[0].blocks.to_string().contains("incident_lead"));
}

/// Slack holds the channel's creation back (rate limited) past the instants of the first
/// reminder and the lead nudge: both wait for the channel and arrive once, none is given up.
#[tokio::test]
async fn a_reminder_due_before_the_channel_exists_waits_for_it() {
    let policy = fast_policy("").replace("lead_within = \"1h\"", "lead_within = \"1s\"");
    let app =
        spawn_app_with(Options { policy: Some(policy), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    app.slack.inject("conversations.create", Fault::RateLimited { retry_after_secs: 4 });
    app.command_in("declare sev1 service:payments Checkout is down", "C0GENERAL", "U0REPORTER").await;
    let store = &app.app.store;
    wait::until("the incident channel", || async {
        store.incident_by_number(IncidentNumber(1)).await.unwrap().and_then(|i| i.channel).is_some()
    })
    .await;
    let channel = store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel.unwrap().to_string();
    until_reminders(&app.slack, &channel, 1).await;
    wait::until_sync("the lead nudge", || {
        workspace::bot_posts(&app.slack, &channel).iter().any(|m| m.text.contains("has no lead yet"))
    })
    .await;
    assert!(store.failed_jobs().await.unwrap().is_empty(), "{:?}", store.failed_jobs().await);
    let nudges =
        workspace::bot_posts(&app.slack, &channel).iter().filter(|m| m.text.contains("has no lead yet")).count();
    assert_eq!(nudges, 1);
    // It waited (counted as waiting, not as a failure) and then went out.
    app.outbox_drained().await;
    let nudge = store.all_jobs().await.unwrap().into_iter().find(|j| j.kind == "lead_nudge").unwrap();
    assert_eq!((nudge.state, nudge.last_error.as_deref()), (JobState::Done, Some("waiting for the incident channel")));
    assert!(app.app.metrics.counter("firebell_jobs_total", &[("outcome", "waiting")]) >= 1);
    assert_eq!(app.app.metrics.counter("firebell_jobs_total", &[("outcome", "retried")]), 0, "no failure in between");
}

#[tokio::test]
async fn a_resolved_sev1_without_a_retrospective_is_nudged() {
    let app = app("").await;
    let channel = declare(&app, "declare sev1 service:payments Checkout is down").await;
    app.command_in("resolve Fixed", &channel, "U0REPORTER").await;
    wait::until_sync("the retro nudge", || {
        workspace::bot_posts(&app.slack, &channel)
            .iter()
            .any(|m| m.text.contains("has no retrospective yet") && m.text.contains("/incident retro"))
    })
    .await;
}

#[tokio::test]
async fn the_digest_runs_on_its_cron_schedule_and_lists_open_incidents() {
    let app = app("digest = \"*/2 * * * * *\"").await;
    let channel = declare(&app, "declare sev3 service:payments Slow refunds").await;
    app.command_in("declare --private sev3 Quiet trouble", "C0GENERAL", "U0REPORTER").await;
    let digests = || {
        workspace::bot_posts(&app.slack, "C0INCIDENTS")
            .into_iter()
            .filter(|m| m.text.contains("*Open incidents*"))
            .collect::<Vec<_>>()
    };
    wait::until_sync("two digests", || digests().len() >= 2).await;
    wait::until_sync("a digest after the channel exists", || {
        digests().last().is_some_and(|m| m.text.contains(&channel))
    })
    .await;
    let first = digests().pop().unwrap();
    assert!(
        first.text.contains("#1 SEV3 · Investigating · Slow refunds") && first.text.contains(&format!("<#{channel}>")),
        "{}",
        first.text
    );
    let latest = digests().pop().unwrap();
    assert!(latest.text.contains("a private incident") && !latest.text.contains("Quiet trouble"), "{}", latest.text);
    app.outbox_drained().await;
    let jobs: Vec<_> = app.app.store.all_jobs().await.unwrap().into_iter().filter(|j| j.kind == "digest").collect();
    let mut instants: Vec<i64> = jobs.iter().map(|j| j.payload["at"].as_i64().unwrap()).collect();
    instants.dedup();
    assert_eq!(instants.len(), jobs.len(), "one digest per scheduled instant");
    assert!(instants.windows(2).all(|w| w[1] - w[0] >= 2000), "on the cron's 2 s grid: {instants:?}");
    // Each scheduled instant is one job and at most one post (a digest with nothing to say, like
    // one due before the first declaration, posts nothing). Posts are read before the jobs so a
    // digest scheduled in between cannot make the count look doubled.
    let posts = digests().len();
    let jobs_now = app.app.store.all_jobs().await.unwrap().into_iter().filter(|j| j.kind == "digest").count();
    assert!(posts <= jobs_now, "each scheduled digest posted at most once: {posts} posts, {jobs_now} jobs");
}

/// Starts the real binary on `db` with the fast policy.
fn setup<'a>(
    slack: &'a FakeSlack,
    db: &'a database::TestDatabase,
    policy: &'a std::path::Path,
    name: &str,
) -> Setup<'a> {
    Setup { slack, database_url: &db.url, policy, log: db.dir.path().join(name), env: vec![] }
}

#[tokio::test]
async fn a_reminder_due_while_firebell_was_down_fires_once_after_restart() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let policy = db.write_policy(&fast_policy("").replace("update_every = \"2s\"", "update_every = \"3s\""));
    let first = Firebell::start(&setup(&slack, &db, &policy, "first.log")).await;
    first.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    wait::until_sync("the incident channel", || slack.channels_named_like("inc-").eq(&1)).await;
    first.kill().await;
    // Down for more than two cadences.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let _second = Firebell::start(&setup(&slack, &db, &policy, "second.log")).await;
    let channel = slack.channels_named_like("inc-");
    assert_eq!(channel, 1);
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    // The first process may have died after Slack created the channel but before recording
    // it: the restarted one adopts it.
    wait::until("the channel to be recorded", || {
        let store = store.clone();
        async move { store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel.is_some() }
    })
    .await;
    let channel = store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel.unwrap().to_string();
    until_reminders(&slack, &channel, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(reminders_in(&slack, &channel).len(), 1, "once, not once per missed cadence");
}

async fn two_replicas_send_each_reminder_once(db: database::TestDatabase) {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let policy = db.write_policy(&fast_policy(""));
    let one = Firebell::start(&setup(&slack, &db, &policy, "one.log")).await;
    let two = Firebell::start(&setup(&slack, &db, &policy, "two.log")).await;
    one.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the incident channel", || {
        let store = store.clone();
        async move { store.incident_by_number(IncidentNumber(1)).await.unwrap().and_then(|i| i.channel).is_some() }
    })
    .await;
    let channel = store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel.unwrap().to_string();
    until_reminders(&slack, &channel, 3).await;
    one.kill().await;
    two.kill().await;
    let posted = reminders_in(&slack, &channel);
    let claimed = store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().timers.unanswered;
    assert_eq!(posted.len(), usize::try_from(claimed).unwrap(), "every claimed reminder posted once");
    let times: Vec<f64> = posted.iter().map(|m| m.ts.parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] > 1.0), "no reminder posted twice: {times:?}");
    assert_eq!(escalations(&slack).len(), 1);
    assert_eq!(workspace::bot_posts(&slack, "C0PAYMENTS").len(), 1, "the notice went out once");
}

#[tokio::test]
async fn two_replicas_on_one_sqlite_file_send_each_reminder_once() {
    two_replicas_send_each_reminder_once(database::sqlite()).await;
}

#[tokio::test]
async fn two_replicas_on_one_postgres_database_send_each_reminder_once() {
    let Some(db) = database::postgres().await else { return };
    two_replicas_send_each_reminder_once(db).await;
}

/// A hundred incidents declared, left silent until reminded, and resolved, each command sent
/// to one of two replicas picked at random. Once the outbox drains: every job is done (none
/// lost, stuck or given up), no delivery was posted twice, and each incident has exactly one
/// channel, team notice, announcement, pinned summary, and resolution in each of its three
/// places.
/// How long each phase of the hundred-incident test may take: it takes about 20 s alone, and
/// shares two cores with the whole suite in CI. It checks exactly-once, not speed.
const HUNDRED_DEADLINE: Duration = Duration::from_secs(90);

async fn a_hundred_incidents_through_two_replicas(db: database::TestDatabase) {
    const INCIDENTS: usize = 100;
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let policy = db.write_policy(&fast_policy(""));
    // A hundred simultaneous SEV1s make hundreds of Tier 2 calls (channels, topics) that
    // Slack's pace would spread over many minutes; this fake has no limits, and what is
    // tested here is exactly-once across replicas, so the replicas send as fast as they can.
    let unpaced =
        |name| Setup { env: vec![("FIREBELL_SLACK_PACING", "off".to_owned())], ..setup(&slack, &db, &policy, name) };
    let replicas = [Firebell::start(&unpaced("one.log")).await, Firebell::start(&unpaced("two.log")).await];
    // A fixed seed, so a failure replays; xorshift spreads the picks unevenly.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut pick = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::from(seed % 2 == 1)
    };
    for batch in (0..INCIDENTS).collect::<Vec<_>>().chunks(10) {
        let response_url = slack.response_url("cmd");
        let sends: Vec<(usize, String)> =
            batch.iter().map(|&n| (pick(), format!("declare sev1 service:payments Outage {n}"))).collect();
        let declared =
            futures::future::join_all(sends.iter().map(|(r, text)| replicas[*r].command(text, &response_url))).await;
        assert!(declared.iter().all(|reply| reply.starts_with("Declaring incident #")), "{declared:?}");
    }
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until_within(HUNDRED_DEADLINE, "every incident's notice and a first reminder", || {
        let (store, slack) = (store.clone(), &slack);
        async move {
            let open = store.open_incidents().await.unwrap();
            workspace::bot_posts(slack, "C0PAYMENTS").len() == INCIDENTS
                && open.len() == INCIDENTS
                && open.iter().all(|i| {
                    i.channel.as_ref().is_some_and(|c| {
                        let prefix = format!("No update on incident #{}", i.number);
                        workspace::bot_posts(slack, c.as_str()).iter().any(|m| m.text.contains(&prefix))
                    })
                })
        }
    })
    .await;
    // Resolve them all, ten at a time, each through a random replica.
    let open = store.open_incidents().await.unwrap();
    for batch in open.chunks(10) {
        let response_url = slack.response_url("cmd");
        let sends: Vec<(usize, String, String)> = batch
            .iter()
            .map(|i| (pick(), format!("resolve Fixed [{}]", i.number), i.channel.as_ref().unwrap().to_string()))
            .collect();
        let replies = futures::future::join_all(
            sends.iter().map(|(r, text, channel)| replicas[*r].command_in(text, channel, &response_url)),
        )
        .await;
        let logs = || {
            ["one.log", "two.log"]
                .iter()
                .map(|name| std::fs::read_to_string(db.dir.path().join(name)).unwrap_or_default())
                .flat_map(|log| {
                    log.lines()
                        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        };
        assert!(replies.iter().all(|reply| reply == "Done."), "{replies:?}\n{:#?}", logs());
    }
    wait::until_within(HUNDRED_DEADLINE, "the outbox to drain", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    for replica in replicas {
        replica.kill().await;
    }

    // Every job done; no delivery key (job, place, n-th post) on two messages.
    let all_jobs = store.all_jobs().await.unwrap();
    assert!(all_jobs.iter().all(|j| j.state == JobState::Done), "{:?}", store.failed_jobs().await);
    assert_eq!(slack.deliveries_posted_twice(), Vec::<String>::new(), "deliveries posted twice");
    let jobs_of = |kind: &str| all_jobs.iter().filter(|j| j.kind == kind).count();

    assert_eq!(slack.channels_named_like("inc-"), INCIDENTS, "one channel per incident");
    let (escalations, notices): (Vec<Message>, Vec<Message>) =
        workspace::bot_posts(&slack, "C0INCIDENTS").into_iter().partition(|m| m.text.contains("has had no update for"));
    assert_eq!(workspace::bot_posts(&slack, "C0PAYMENTS").len(), INCIDENTS, "one team notice per incident");
    assert_eq!(notices.len(), INCIDENTS, "one announcement per incident");
    // A reminder or escalation job that runs after its incident was resolved posts nothing
    // (by design), so those are at most one post per job; the keys above rule out doubles.
    assert!(escalations.len() <= jobs_of("escalate"), "{} escalations posted", escalations.len());
    let mut reminders_posted = 0;
    for number in 1..=INCIDENTS {
        let number = IncidentNumber(i64::try_from(number).unwrap());
        let incident = store.incident_by_number(number).await.unwrap().unwrap();
        let channel = incident.channel.unwrap().to_string();
        let posts = workspace::bot_posts(&slack, &channel);
        let reminders: Vec<&Message> =
            posts.iter().filter(|m| m.text.contains(&format!("No update on incident #{}", incident.number))).collect();
        assert!(!reminders.is_empty(), "#{}: reminded", incident.number);
        // (Post times say nothing about doubling here: a reminder that waited in a long
        // queue lands close to the next one. The delivery keys above do.)
        reminders_posted += reminders.len();
        // Each reminder of the silence was claimed by exactly one replica: its jobs are
        // numbered 1, 2, 3… with no number twice and none missing.
        let mut numbers: Vec<i64> = all_jobs
            .iter()
            .filter(|j| j.kind == "post_reminder" && j.incident_id == Some(incident.id))
            .map(|j| j.payload["number"].as_i64().unwrap())
            .collect();
        numbers.sort_unstable();
        let expected: Vec<i64> = (1..=i64::try_from(numbers.len()).unwrap()).collect();
        assert_eq!(numbers, expected, "#{}: reminders claimed", incident.number);
        assert_eq!(slack.channel(&channel).unwrap().pins.len(), 1, "#{}: one pinned summary", incident.number);
        // The resolution: once in the channel and once in each notice's thread.
        let resolution = format!("Fixed [{}]", incident.number);
        let everywhere: usize = [channel.as_str(), "C0PAYMENTS", "C0INCIDENTS"]
            .iter()
            .map(|c| slack.messages(c).iter().filter(|m| m.text.contains(&resolution)).count())
            .sum();
        assert_eq!(everywhere, 3, "#{}: the resolution once in each place", incident.number);
    }
    assert!(reminders_posted <= jobs_of("post_reminder"), "{reminders_posted} reminders posted");
}

#[tokio::test]
async fn a_hundred_incidents_through_two_replicas_on_one_sqlite_file() {
    a_hundred_incidents_through_two_replicas(database::sqlite()).await;
}

#[tokio::test]
async fn a_hundred_incidents_through_two_replicas_on_one_postgres_database() {
    let Some(db) = database::postgres().await else { return };
    a_hundred_incidents_through_two_replicas(db).await;
}

#[tokio::test]
async fn a_drills_reminders_say_drill_and_its_escalation_stays_in_its_channel() {
    let app = app("").await;
    let channel = declare(&app, "declare --drill sev1 service:payments Checkout failover rehearsal").await;
    until_reminders(&app.slack, &channel, 3).await;
    app.outbox_drained().await;
    for reminder in reminders_in(&app.slack, &channel) {
        assert!(reminder.text.starts_with("[DRILL] "), "{}", reminder.text);
        assert!(reminder.blocks[0]["elements"][0]["text"].as_str().unwrap_or_default().contains("DRILL"));
        assert!(!reminder.blocks.to_string().contains("<!"), "no mass mention: {}", reminder.blocks);
    }
    assert!(workspace::bot_posts(&app.slack, "C0INCIDENTS").is_empty(), "nothing in the announcements channel");
    let escalated: Vec<Message> = workspace::bot_posts(&app.slack, &channel)
        .into_iter()
        .filter(|m| m.text.contains("has had no update") || m.text.contains("no update for"))
        .collect();
    let said: Vec<String> = workspace::bot_posts(&app.slack, &channel).into_iter().map(|m| m.text).collect();
    assert!(!escalated.is_empty(), "the escalation is said in the drill's own channel: {said:#?}");
    assert!(escalated.iter().all(|m| m.text.starts_with("[DRILL] ")), "{escalated:#?}");
}
