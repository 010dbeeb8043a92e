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

#[tokio::test]
async fn beyond_the_in_flight_limit_requests_get_a_quick_503_and_the_rest_are_served() {
    use crate::support::fake_slack::Fault;
    let app = spawn_app().await;
    let limit = firebell::http::shed::MAX_IN_FLIGHT;
    // Each `declare` without a title waits (bounded) on a `views.open` that never answers.
    for _ in 0..limit + 100 {
        app.slack.inject("views.open", Fault::Hang);
    }
    let statuses = futures::future::join_all(
        (0..limit + 100).map(|_| async { app.command_response("declare", "C0GENERAL", "U0REPORTER").await.status() }),
    )
    .await;
    let shed = statuses.iter().filter(|s| s.as_u16() == 503).count();
    let served = statuses.iter().filter(|s| s.as_u16() == 200).count();
    assert_eq!(shed + served, limit + 100, "only 200 or 503: {statuses:?}");
    assert!(shed >= 100 && served >= 1, "shed {shed}, served {served}");
    assert_eq!(app.app.metrics.counter("firebell_shed_total", &[]), shed as u64);
    let after = app.command("help").await;
    assert!(after["text"].as_str().unwrap().contains("/incident"), "served again once the flood is over");
}

#[tokio::test]
async fn a_body_that_never_finishes_gets_408_after_the_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // Headers promise 1,000 bytes; one arrives, then nothing.
    let request = format!(
        "POST /slack/events HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let bound = firebell::http::deadline::REQUEST_DEADLINE + Duration::from_secs(5);
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(bound, stream.read(&mut answer)).await.expect("answered within the deadline");
    let answer = String::from_utf8_lossy(&answer[..read.unwrap()]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}

/// Sends `request` raw and returns the first bytes of the answer ("" when the server closed
/// the connection without one), waiting at most `bound`.
async fn raw_exchange(base_url: &str, request: &[u8], bound: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The server may answer and close before reading everything; a failed write is fine.
    let _ = stream.write_all(request).await;
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(bound, stream.read(&mut answer)).await.expect("answered or closed in time");
    String::from_utf8_lossy(&answer[..read.unwrap_or(0)]).into_owned()
}

#[tokio::test]
async fn too_many_headers_or_headers_too_large_get_431_and_change_nothing() {
    let app = spawn_app().await;
    let many: String = (0..=firebell::http::server::MAX_HEADERS).map(|n| format!("X-Padding-{n}: {n}\r\n")).collect();
    let large = format!("X-Padding: {}\r\n", "x".repeat(firebell::http::server::MAX_HEADER_BYTES));
    for (what, headers) in [("too many", many), ("too large", large)] {
        let request = format!(
            "POST /slack/events HTTP/1.1\r\nHost: firebell\r\nContent-Type: application/json\r\nContent-Length: 2\r\n{headers}\r\n{{}}"
        );
        let answer = raw_exchange(&app.base_url, request.as_bytes(), Duration::from_secs(10)).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{what}: {answer:?}");
    }
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
}

#[tokio::test]
async fn headers_that_never_finish_are_cut_off_after_the_header_timeout() {
    let app = spawn_app().await;
    // A request line and one header, then nothing: the connection is closed, not held.
    let bound = firebell::http::server::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    let answer = raw_exchange(&app.base_url, b"POST /slack/events HTTP/1.1\r\nHost: firebell\r\n", bound).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
}

#[tokio::test]
async fn metrics_time_each_stage_of_a_request() {
    let app = crate::support::workspace::spawn().await;
    app.command("help").await;
    let stage_count = |metrics: &str, stage: &str| -> u64 {
        let prefix = format!("firebell_stage_seconds_count{{stage=\"{stage}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map_or(0, |n| n.parse().unwrap())
    };
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for stage in ["verify", "parse", "render"] {
        assert!(stage_count(&metrics, stage) >= 1, "{stage} timed for help: {metrics}");
    }
    assert_eq!(stage_count(&metrics, "decide"), 0, "help decides nothing");

    app.command("declare sev3 service:search Search is slow").await;
    app.outbox_drained().await;
    let channel = app.slack.channel_by_prefix("inc-").expect("the incident channel");
    app.command_in("update Looking at the index", &channel, "U0SEARCHER").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(stage_count(&metrics, "decide"), 1, "the update was decided: {metrics}");
    assert!(stage_count(&metrics, "commit") >= 2, "the declaration and the update were committed: {metrics}");
    assert!(metrics.contains("firebell_stage_seconds_bucket{stage=\"commit\",le=\"0.1\"}"), "{metrics}");
    app.outbox_drained().await;
}
