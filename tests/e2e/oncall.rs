//! `oncall`: who is on call now for each schedule, until when, and who is next — through
//! `/slack/commands`, with the policy's schedules.

use crate::support::app::{Options, spawn_app_with};
use crate::support::workspace;

/// Payments rotates its two on-call people daily from a start long past; checkout has none.
fn policy() -> String {
    let policy = workspace::policy().replace("name = \"payments\"\n", "name = \"payments\"\noncall = \"payments\"\n");
    format!(
        "{policy}\n[[schedules]]\nname = \"payments\"\nmembers = [\"U0ONCALL1\", \"U0ONCALL2\"]\nshift = \"1d\"\nstart = \"2026-01-01T09:00\"\n"
    )
}

#[tokio::test]
async fn oncall_names_who_is_on_call_until_when_and_who_is_next() {
    let app =
        spawn_app_with(Options { policy: Some(policy()), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    let reply = app.command("oncall").await;
    let text = reply["text"].as_str().unwrap();
    assert_eq!(reply["response_type"], "ephemeral");
    assert!(text.starts_with("*On call now*\n• *payments*: <@U0ONCALL"), "{text}");
    assert!(text.contains(" until ") && text.contains(" KST, then <@U0ONCALL"), "{text}");
    // The two take turns: whoever is on call now, the other is next.
    let now = if text.contains("<@U0ONCALL1> until") { "U0ONCALL1" } else { "U0ONCALL2" };
    let next = if now == "U0ONCALL1" { "U0ONCALL2" } else { "U0ONCALL1" };
    assert!(text.ends_with(&format!("then <@{next}>")), "{text}");

    let reply = app.command("oncall service:payments").await;
    assert_eq!(reply["text"].as_str().unwrap(), text, "the service's schedule");
    let reply = app.command("oncall service:checkout").await;
    assert_eq!(
        reply["text"].as_str().unwrap(),
        "Service *checkout* has no on-call schedule. Set `oncall = \"NAME\"` on it in the policy file."
    );
}

#[tokio::test]
async fn without_schedules_oncall_says_how_to_set_one() {
    let app = workspace::spawn().await;
    let reply = app.command("oncall").await;
    assert!(reply["text"].as_str().unwrap().starts_with("No on-call schedules are set."), "{reply}");
}

#[tokio::test]
async fn the_person_on_call_hands_over_with_an_override_that_ends() {
    let app =
        spawn_app_with(Options { policy: Some(policy()), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    let before = app.command("oncall").await["text"].as_str().unwrap().to_owned();
    let on_call = if before.contains("<@U0ONCALL1> until") { "U0ONCALL1" } else { "U0ONCALL2" };

    // Someone else may not.
    let refused = app.command_in("oncall override <@U0SEARCHER> for 2h", "C0GENERAL", "U0REPORTER").await;
    let refused = refused["text"].as_str().unwrap();
    assert!(refused.starts_with("Only the person on call for *payments*"), "{refused}");
    assert_eq!(app.command("oncall").await["text"].as_str().unwrap(), before, "nothing changed");

    // The person on call hands over for two hours.
    let set = app.command_in("oncall override <@U0SEARCHER> service:payments for 2h", "C0GENERAL", on_call).await;
    assert!(set["text"].as_str().unwrap().starts_with("<@U0SEARCHER> is on call for *payments* until"), "{set}");
    let now = app.command("oncall").await;
    let now = now["text"].as_str().unwrap();
    assert!(now.contains("• *payments*: <@U0SEARCHER> until"), "{now}");
    // After it, the schedule again (whoever's shift it is then).
    assert!(now.ends_with("then <@U0ONCALL1>") || now.ends_with("then <@U0ONCALL2>"), "{now}");

    // An admin may set one too; the one set last wins.
    let admin = app.command_in("oncall override <@U0ADMIN> for 30m", "C0GENERAL", "U0ADMIN").await;
    assert!(admin["text"].as_str().unwrap().starts_with("<@U0ADMIN> is on call"), "{admin}");
    assert!(app.command("oncall").await["text"].as_str().unwrap().contains("<@U0ADMIN> until"));
}
