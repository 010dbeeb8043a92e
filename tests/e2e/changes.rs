//! Pre-shared changes: announced before the work, listed by the incidents it may explain.

use firebell::domain::incident::IncidentNumber;

use crate::support::workspace;

#[tokio::test]
async fn a_change_is_announced_and_listed_by_an_incident_on_the_same_service() {
    let app = workspace::spawn().await;
    let reply = app.command("change service:payments Rolling out gateway config v2 at:23:59").await;
    let reply = reply["text"].as_str().unwrap().to_owned();
    assert!(reply.starts_with("Announced in <#C0INCIDENTS>, <#C0PAYMENTS>"), "{reply}");
    app.command("change service:search Reindexing the catalogue").await;
    app.outbox_drained().await;
    let announced = workspace::bot_posts(&app.slack, "C0INCIDENTS");
    assert_eq!(announced.len(), 2);
    assert!(
        announced[0].text.contains("*Planned change* by <@U0REPORTER>")
            && announced[0].text.contains("Rolling out gateway config v2")
    );
    assert_eq!(workspace::bot_posts(&app.slack, "C0PAYMENTS").len(), 1);

    app.command("declare sev3 service:payments Card payments failing").await;
    app.outbox_drained().await;
    let notice = workspace::bot_posts(&app.slack, "C0PAYMENTS").pop().unwrap();
    let body = notice.blocks.to_string();
    assert!(body.contains("Recent changes") && body.contains("Rolling out gateway config v2"), "{body}");
    assert!(!body.contains("Reindexing"), "a change on another service is not listed: {body}");
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    let summary =
        workspace::bot_posts(&app.slack, &channel).into_iter().find(|m| m.text.contains("Incident #1")).unwrap();
    assert!(summary.blocks.to_string().contains("Rolling out gateway config v2"), "the pinned summary lists it too");
}

#[tokio::test]
async fn a_change_with_a_bad_time_is_refused_and_changes_nothing() {
    let app = workspace::spawn().await;
    let reply = app.command("change Upgrade postgres at:25:61").await;
    assert!(reply["text"].as_str().unwrap().contains("is not a time"));
    app.outbox_drained().await;
    assert!(workspace::bot_posts(&app.slack, "C0INCIDENTS").is_empty());
}
