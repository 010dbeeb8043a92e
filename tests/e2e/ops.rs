//! Health, readiness and metrics.

use crate::support::app::{Options, spawn_app, spawn_app_with};
use std::time::Duration;

use crate::support::database;

#[tokio::test]
async fn healthz_answers_200() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readyz_is_200_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_is_503_with_the_reason_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.app.store.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().starts_with("database unavailable"));
}

#[tokio::test]
async fn readyz_is_503_when_the_postgres_database_is_dropped() {
    let Some(database) = database::postgres().await else {
        return;
    };
    let url = database.url.clone();
    let app = spawn_app_with(Options { database: Some(database), ..Options::default() }).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    database::drop_postgres(&url).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().starts_with("database unavailable"));
}

#[tokio::test]
async fn readyz_is_503_when_slack_rejects_the_token() {
    let app = spawn_app_with(Options {
        env: vec![("SLACK_TEAM_ID", "T0FIREBELL".to_owned())],
        prepare_slack: Some(|slack| slack.revoke_token()),
        ..Options::default()
    })
    .await;
    // The token is checked in the background when SLACK_TEAM_ID is set; wait for it, bounded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let response = app.get("/readyz").await;
        if response.status() == 503 {
            assert_eq!(response.text().await.unwrap(), "Slack rejected the bot token: token_revoked");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "readyz never turned 503");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.get("/healthz").await.status(), 200, "alive even when not ready");
}

#[tokio::test]
async fn metrics_count_requests_by_endpoint_and_status_and_time_acks() {
    let app = spawn_app().await;
    app.command("help").await;
    app.post_raw("/slack/events", "application/json", "{}".to_owned(), &[]).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("firebell_http_requests_total{endpoint=\"/slack/commands\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("firebell_http_requests_total{endpoint=\"/slack/events\",status=\"401\"} 1"), "{metrics}");
    assert!(metrics.contains("firebell_ack_seconds_count{endpoint=\"/slack/commands\"} 1"), "{metrics}");
    assert!(metrics.contains("# TYPE firebell_ack_seconds histogram"), "{metrics}");
}
