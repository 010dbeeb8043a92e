//! Custom fields (`set FIELD VALUE`) and response actions (`action KIND [TEXT]`) through
//! `/slack/commands`: what fits is recorded and shown in the pinned summary, what does not is
//! refused with what fits, the first action is the incident's, and `stats` shows MTTFA and
//! the time to resolve by first-action kind.

use firebell::domain::incident::IncidentNumber;
use firebell::domain::timeline::TimelineEntry;

use crate::support::app::TestApp;
use crate::support::workspace;

async fn declared(app: &TestApp, title: &str) -> String {
    app.command(&format!("declare sev2 service:payments {title}")).await;
    app.outbox_drained().await;
    let number = app.app.store.open_incidents().await.unwrap().iter().map(|i| i.number.0).max().unwrap();
    app.app.store.incident_by_number(IncidentNumber(number)).await.unwrap().unwrap().channel.unwrap().to_string()
}

/// The pinned summary's text, blocks included.
fn summary(app: &TestApp, channel: &str) -> String {
    let pinned = app.slack.channel(channel).unwrap().pins;
    let message = app.slack.messages(channel).into_iter().find(|m| pinned.contains(&m.ts)).expect("a pinned summary");
    message.blocks.to_string()
}

#[tokio::test]
async fn fields_take_values_that_fit_refuse_the_others_with_what_fits_and_show_in_the_summary() {
    let app = workspace::spawn().await;
    let channel = declared(&app, "Card payments declined").await;
    let say = |text: &'static str| app.command_in(text, &channel, "U0ONCALL1");

    assert_eq!(say("set customers 1200").await["text"], "Done.");
    assert_eq!(say("set TYPE Database").await["text"], "Done.");
    let refused = say("set customers many").await;
    assert_eq!(
        refused["text"],
        "`customers` takes a number (like 1200 or 3.5, without separators); nothing was changed."
    );
    let refused = say("set type cosmic-rays").await;
    assert_eq!(refused["text"], "`type` takes one of: hardware, network, database, code; nothing was changed.");
    let refused = say("set colour red").await;
    assert_eq!(refused["text"], "That is not a field here; nothing was changed. Fields: type, customers.");
    app.outbox_drained().await;

    let shown = summary(&app, &channel);
    assert!(shown.contains("*Incident type*\\ndatabase") && shown.contains("*Affected customers*\\n1200"), "{shown}");
    let posts: Vec<String> = workspace::bot_posts(&app.slack, &channel).into_iter().map(|m| m.text).collect();
    assert!(posts.contains(&"📝 <@U0ONCALL1> set *Affected customers* to 1200.".to_owned()), "{posts:#?}");
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let set: Vec<TimelineEntry> = app
        .app
        .store
        .timeline(incident.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .filter(|e| matches!(e, TimelineEntry::FieldSet { .. }))
        .collect();
    assert_eq!(
        set,
        [
            TimelineEntry::FieldSet { field: "customers".into(), value: "1200".into() },
            TimelineEntry::FieldSet { field: "type".into(), value: "database".into() },
        ],
        "each set is a timeline entry; the refused ones are not"
    );
    // Setting again replaces the value shown.
    say("set customers 1500").await;
    app.outbox_drained().await;
    let shown = summary(&app, &channel);
    assert!(shown.contains("*Affected customers*\\n1500") && !shown.contains("\\n1200"), "{shown}");
    // Neither counts as the acknowledgement.
    let stats = app.command("stats").await["text"].as_str().unwrap().to_owned();
    assert!(stats.contains("• SEV2: 1 · MTTA — "), "{stats}");
}

#[tokio::test]
async fn the_first_action_is_the_incidents_and_stats_show_mttfa_and_time_to_resolve_by_first_action() {
    let app = workspace::spawn().await;
    let first = declared(&app, "Card payments declined").await;
    let reply = app.command_in("action rollback Rolled back deploy v42", &first, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Done.");
    app.command_in("action hotfix", &first, "U0ONCALL1").await;
    let refused = app.command_in("action pray", &first, "U0ONCALL1").await;
    assert_eq!(
        refused["text"],
        "That is not an action kind here; nothing was recorded. Kinds: rollback, scale-out, hotfix, restart, failover, config."
    );
    app.command_in("resolve", &first, "U0ONCALL1").await;
    let second = declared(&app, "Refunds stuck").await;
    app.command_in("action scale-out Doubled the workers", &second, "U0ONCALL1").await;
    app.outbox_drained().await;

    let posts: Vec<String> = workspace::bot_posts(&app.slack, &first).into_iter().map(|m| m.text).collect();
    assert!(
        posts.contains(&"🛠️ <@U0ONCALL1> recorded an action, *rollback*: Rolled back deploy v42".to_owned()),
        "{posts:#?}"
    );
    let stats = app.command("stats").await["text"].as_str().unwrap().to_owned();
    let sev2 = stats.lines().find(|l| l.starts_with("• SEV2")).unwrap();
    assert!(sev2.starts_with("• SEV2: 2 · MTTA — · MTTD — · MTTFA ") && !sev2.contains("MTTFA —"), "{stats}");
    let by_kind = stats.lines().find(|l| l.starts_with("Time to resolve by first action:")).unwrap();
    // The first incident's first action was the rollback, not the hotfix after it; the
    // second's scale-out has not resolved anything yet.
    assert!(by_kind.contains("rollback ") && by_kind.contains(" (1)"), "{by_kind}");
    assert!(by_kind.contains("scale-out — (1)") && !by_kind.contains("hotfix"), "{by_kind}");

    // After close, neither is accepted.
    app.command_in("close", &first, "U0ONCALL1").await;
    let closed = app.command_in("action restart", &first, "U0ONCALL1").await;
    assert!(closed["text"].as_str().unwrap().contains("closed"), "{closed}");
    let closed = app.command_in("set customers 3", &first, "U0ONCALL1").await;
    assert!(closed["text"].as_str().unwrap().contains("closed"), "{closed}");
}
