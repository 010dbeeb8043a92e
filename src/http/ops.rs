//! Operations endpoints: liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;

/// 200 while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers and Slack has not rejected the token, else 503 and why.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    match state.app.health.check(&state.app.store).await {
        Ok(()) => (StatusCode::OK, "ready".to_owned()),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason),
    }
}

/// Prometheus text format: the counters and histograms, plus open incidents by severity
/// read from the database at scrape time.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.app.metrics.render();
    if let Ok(open) = state.app.store.open_incidents().await {
        text.push_str("# HELP firebell_open_incidents Incidents not yet resolved, by severity.\n# TYPE firebell_open_incidents gauge\n");
        for severity in &state.app.policy.severities {
            let count = open.iter().filter(|i| i.severity == severity.name).count();
            text.push_str(&format!("firebell_open_incidents{{severity=\"{}\"}} {count}\n", severity.name));
        }
    }
    let (commits, writes) = state.app.store.group_commit_counts();
    text.push_str(&format!(
        "# HELP firebell_group_commits_total Transactions committed by the group-commit writer.\n# TYPE firebell_group_commits_total counter\nfirebell_group_commits_total {commits}\n\
         # HELP firebell_group_commit_writes_total Writes those transactions carried.\n# TYPE firebell_group_commit_writes_total counter\nfirebell_group_commit_writes_total {writes}\n"
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
